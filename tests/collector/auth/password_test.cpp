#include "collector/auth/password.h"

#include <catch2/catch.hpp>
#include <chrono>

using namespace vigil::collector;

namespace {
// Tests use a tiny cost; the default's cost is checked on its encoding.
const PasswordCost kCheap{1, 64, 1};
}  // namespace

TEST_CASE("password: a hash verifies its own password and no other") {
  std::string h = hash_password("correct horse battery", kCheap);
  REQUIRE(h.rfind("$argon2id$v=19$m=64,t=1,p=1$", 0) == 0);
  CHECK(verify_password("correct horse battery", h));
  CHECK_FALSE(verify_password("correct horse batterY", h));
  CHECK_FALSE(verify_password("", h));
  // A fresh salt each time: the same password hashes differently.
  CHECK(hash_password("correct horse battery", kCheap) != h);
}

TEST_CASE("password: malformed or foreign hashes never verify") {
  CHECK_FALSE(verify_password("x", ""));
  CHECK_FALSE(verify_password("x", "$argon2id$garbage"));
  std::string h = hash_password("correct horse battery", kCheap);
  std::string argon2i = h;
  argon2i.replace(0, 9, "$argon2i");  // another variant is refused, not downgraded to
  CHECK_FALSE(verify_password("correct horse battery", argon2i));
  h.back() = h.back() == 'A' ? 'B' : 'A';
  CHECK_FALSE(verify_password("correct horse battery", h));
}

TEST_CASE("password: the default cost is argon2id t=3, m=64 MiB, p=1") {
  auto t0 = std::chrono::steady_clock::now();
  std::string h = hash_password("correct horse battery");
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  REQUIRE(h.rfind("$argon2id$v=19$m=65536,t=3,p=1$", 0) == 0);
  CHECK(verify_password("correct horse battery", h));
  WARN("argon2id default cost: one hash took " << ms << " ms");
}

TEST_CASE("password: the minimum and maximum lengths") {
  CHECK_FALSE(password_problem(std::string(kMinPasswordLen - 1, 'a')).empty());
  CHECK(password_problem(std::string(kMinPasswordLen, 'a')).empty());
  CHECK(password_problem(std::string(kMaxPasswordLen, 'a')).empty());
  CHECK_FALSE(password_problem(std::string(kMaxPasswordLen + 1, 'a')).empty());
}

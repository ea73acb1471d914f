#include "collector/auth/password.h"

#include <argon2.h>
#include <openssl/rand.h>

#include <array>
#include <vector>

namespace vigil::collector {

std::string password_problem(std::string_view password) {
  if (password.size() < kMinPasswordLen)
    return "a password needs at least " + std::to_string(kMinPasswordLen) + " characters";
  if (password.size() > kMaxPasswordLen)
    return "a password has at most " + std::to_string(kMaxPasswordLen) + " characters";
  return "";
}

std::string hash_password(std::string_view password, const PasswordCost& cost) {
  std::array<unsigned char, 16> salt{};
  if (RAND_bytes(salt.data(), static_cast<int>(salt.size())) != 1) return "";
  constexpr size_t kHashLen = 32;
  size_t len = argon2_encodedlen(cost.t_cost, cost.m_cost_kib, cost.parallelism,
                                 static_cast<uint32_t>(salt.size()), kHashLen, Argon2_id);
  std::vector<char> out(len);
  int rc = argon2id_hash_encoded(cost.t_cost, cost.m_cost_kib, cost.parallelism, password.data(),
                                 password.size(), salt.data(), salt.size(), kHashLen, out.data(), out.size());
  if (rc != ARGON2_OK) return "";
  return std::string(out.data());
}

bool verify_password(std::string_view password, const std::string& encoded) {
  if (encoded.rfind("$argon2id$", 0) != 0) return false;
  return argon2id_verify(encoded.c_str(), password.data(), password.size()) == ARGON2_OK;
}

}  // namespace vigil::collector

#include "collector/auth/credentials.h"

#include <catch2/catch.hpp>

using namespace vigil::collector;

TEST_CASE("credentials: the session cookie is found among others, in any Cookie header") {
  RequestHead h;
  CHECK(session_cookie(h).empty());
  h.headers = {{"cookie", "a=1; vigil_sessionx=no; b=2"}};
  CHECK(session_cookie(h).empty());
  h.headers = {{"cookie", "a=1; vigil_session=abc123 ; b=2"}};
  CHECK(session_cookie(h) == "abc123");
  h.headers = {{"cookie", "a=1"}, {"cookie", "vigil_session=def"}};
  CHECK(session_cookie(h) == "def");
  h.headers = {{"cookie", "vigil_session="}};
  CHECK(session_cookie(h).empty());
}

TEST_CASE(
    "credentials: the cookie is set HttpOnly, Secure, SameSite=Strict for the whole site, and cleared") {
  std::string c = session_set_cookie("v", 3600);
  CHECK(c == "vigil_session=v; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=3600");
  CHECK(session_clear_cookie() == "vigil_session=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0");
}

TEST_CASE("credentials: constant-time comparison is equality") {
  CHECK(constant_time_equal("abc", "abc"));
  CHECK_FALSE(constant_time_equal("abc", "abd"));
  CHECK_FALSE(constant_time_equal("abc", "abcd"));
  CHECK(constant_time_equal("", ""));
}

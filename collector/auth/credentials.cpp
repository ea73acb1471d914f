#include "collector/auth/credentials.h"

#include <openssl/crypto.h>

namespace vigil::collector {

std::string session_cookie(const RequestHead& req) {
  for (const auto& [name, value] : req.headers) {
    if (name != "cookie") continue;
    std::string_view v = value;
    while (!v.empty()) {
      size_t semi = v.find(';');
      std::string_view pair = v.substr(0, semi);
      v = semi == std::string_view::npos ? std::string_view() : v.substr(semi + 1);
      while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
      size_t eq = pair.find('=');
      if (eq == std::string_view::npos || pair.substr(0, eq) != kSessionCookie) continue;
      std::string_view val = pair.substr(eq + 1);
      while (!val.empty() && val.back() == ' ') val.remove_suffix(1);
      if (!val.empty()) return std::string(val);
    }
  }
  return "";
}

std::string session_set_cookie(const std::string& value, int64_t max_age_s) {
  return std::string(kSessionCookie) + "=" + value +
         "; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=" + std::to_string(max_age_s);
}

std::string session_clear_cookie() {
  return session_set_cookie("", 0);
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace vigil::collector

// ASCII helpers shared by the line-based parsers (SMTP, FTP) and protocol
// detection. Pure functions.
#pragma once

#include <string_view>

namespace vigil {

// s starts with `upper` (upper-case ASCII), compared case-insensitively.
inline bool ieq_prefix(std::string_view s, std::string_view upper) {
  if (s.size() < upper.size()) return false;
  for (size_t i = 0; i < upper.size(); ++i) {
    char c = s[i];
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
    if (c != upper[i]) return false;
  }
  return true;
}

}  // namespace vigil

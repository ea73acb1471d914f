#include "common/encoding.h"

namespace vigil {

std::string base64_encode(std::span<const uint8_t> d) {
  static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((d.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < d.size(); i += 3) {
    uint32_t v = (uint32_t(d[i]) << 16) | (uint32_t(d[i + 1]) << 8) | d[i + 2];
    out += k[v >> 18];
    out += k[(v >> 12) & 63];
    out += k[(v >> 6) & 63];
    out += k[v & 63];
  }
  if (i + 1 == d.size()) {
    uint32_t v = uint32_t(d[i]) << 16;
    out += k[v >> 18];
    out += k[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == d.size()) {
    uint32_t v = (uint32_t(d[i]) << 16) | (uint32_t(d[i + 1]) << 8);
    out += k[v >> 18];
    out += k[(v >> 12) & 63];
    out += k[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

std::string hex_encode(std::span<const uint8_t> d) {
  static const char* k = "0123456789abcdef";
  std::string out;
  out.reserve(d.size() * 2);
  for (uint8_t c : d) {
    out += k[c >> 4];
    out += k[c & 15];
  }
  return out;
}

std::string printable(std::span<const uint8_t> d) {
  std::string out;
  out.reserve(d.size());
  for (uint8_t c : d) {
    bool ok = (c >= 0x20 && c < 0x7f) || c == '\r' || c == '\n' || c == '\t';
    out += ok ? static_cast<char>(c) : '.';
  }
  return out;
}

}  // namespace vigil

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

bool base64_decode(std::string_view in, std::string& out) {
  out.clear();
  uint32_t acc = 0;
  int bits = 0;
  for (char ch : in) {
    int v;
    if (ch >= 'A' && ch <= 'Z')
      v = ch - 'A';
    else if (ch >= 'a' && ch <= 'z')
      v = ch - 'a' + 26;
    else if (ch >= '0' && ch <= '9')
      v = ch - '0' + 52;
    else if (ch == '+' || ch == '-')
      v = 62;
    else if (ch == '/' || ch == '_')
      v = 63;
    else if (ch == '=')
      break;
    else
      return false;
    acc = (acc << 6) | uint32_t(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return true;
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

// Small text encodings: base64 (EVE payload, dataset values, DoH queries), hex both ways, and the
// printable rendering Suricata uses for payload_printable.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace vigil {

std::string base64_encode(std::span<const uint8_t> data);
// Base64 of either alphabet (RFC 4648 '+/' or URL-safe '-_'), padding
// optional: decoding stops at the first '='. False, out unspecified, on any
// other byte outside the alphabets.
bool base64_decode(std::string_view in, std::string& out);
std::string hex_encode(std::span<const uint8_t> data);
// Value of one hex digit (either case); -1 when c is not one.
constexpr int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
// Printable ASCII (and \r \n \t) kept, everything else as '.'.
std::string printable(std::span<const uint8_t> data);

}  // namespace vigil

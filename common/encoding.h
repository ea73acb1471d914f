// Small text encodings: base64 (EVE payload), hex both ways, and the
// printable rendering Suricata uses for payload_printable.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace vigil {

std::string base64_encode(std::span<const uint8_t> data);
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

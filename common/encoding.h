// Small text encodings used by outputs: base64 (EVE payload), hex, and the
// printable rendering Suricata uses for payload_printable.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace vigil {

std::string base64_encode(std::span<const uint8_t> data);
std::string hex_encode(std::span<const uint8_t> data);
// Printable ASCII (and \r \n \t) kept, everything else as '.'.
std::string printable(std::span<const uint8_t> data);

}  // namespace vigil

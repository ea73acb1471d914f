// An IPv4 or IPv6 address held by value (16 bytes + family), cheap to copy,
// hash and compare; IPv4 lives in the first 4 bytes, the rest zero.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace vigil {

struct IpAddr {
  uint8_t family = 0;  // 4, 6, or 0 when unset
  std::array<uint8_t, 16> b{};

  static IpAddr v4(const uint8_t* p) {
    IpAddr a;
    a.family = 4;
    std::memcpy(a.b.data(), p, 4);
    return a;
  }
  static IpAddr v6(const uint8_t* p) {
    IpAddr a;
    a.family = 6;
    std::memcpy(a.b.data(), p, 16);
    return a;
  }
  // Host-order value of an IPv4 address.
  uint32_t v4_u32() const {
    return (uint32_t(b[0]) << 24) | (uint32_t(b[1]) << 16) | (uint32_t(b[2]) << 8) | b[3];
  }
  size_t len() const { return family == 6 ? 16 : 4; }

  std::string to_string() const;                         // "10.0.0.1", "2001:db8::1"
  static std::optional<IpAddr> parse(std::string_view);  // inverse of to_string

  friend bool operator==(const IpAddr&, const IpAddr&) = default;
  friend auto operator<=>(const IpAddr&, const IpAddr&) = default;
};

}  // namespace vigil

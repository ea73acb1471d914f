#include "common/ip_addr.h"

#include <arpa/inet.h>

namespace vigil {

std::string IpAddr::to_string() const {
  char buf[INET6_ADDRSTRLEN] = {0};
  if (family == 4) {
    inet_ntop(AF_INET, b.data(), buf, sizeof buf);
  } else if (family == 6) {
    inet_ntop(AF_INET6, b.data(), buf, sizeof buf);
  }
  return buf;
}

std::optional<IpAddr> IpAddr::parse(std::string_view s) {
  std::string z(s);
  IpAddr a;
  if (inet_pton(AF_INET, z.c_str(), a.b.data()) == 1) {
    a.family = 4;
    return a;
  }
  if (inet_pton(AF_INET6, z.c_str(), a.b.data()) == 1) {
    a.family = 6;
    return a;
  }
  return std::nullopt;
}

}  // namespace vigil

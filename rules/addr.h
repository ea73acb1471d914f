// Address and port groups of a rule header: "[10.0.0.0/8,!10.1.0.0/16]",
// "$HOME_NET", "!$EXTERNAL_NET", "[80,443,8000:8080]", "any".
//
// Parsed once at load (variables resolved), then immutable: contains() is a
// binary search over merged ranges, safe from any thread. IPv4 and IPv6 share
// one 128-bit space (IPv4 mapped into ::ffff:0:0/96) so negation over the whole
// space is one complement.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/ip_addr.h"

namespace vigil::rules {

using U128 = unsigned __int128;

U128 addr_key(const IpAddr& a);

struct AddrSet {
  bool any = true;
  std::vector<std::pair<U128, U128>> ranges;  // sorted, merged, inclusive; used when !any

  bool contains(const IpAddr& a) const;
  // Number of addresses covered, saturated; used to pick the narrower side to index.
  U128 coverage() const;
};

struct PortSet {
  bool any = true;
  std::vector<std::pair<uint16_t, uint16_t>> ranges;  // sorted, merged, inclusive

  bool contains(uint16_t p) const;
};

using VarMap = std::map<std::string, std::string, std::less<>>;

// Parse an address group; returns an error message ("" on success).
std::string parse_addr_set(std::string_view text, const VarMap& vars, AddrSet& out);
std::string parse_port_set(std::string_view text, const VarMap& vars, PortSet& out);

// Suricata's default suricata.yaml variables.
VarMap default_address_vars();
VarMap default_port_vars();

}  // namespace vigil::rules

// The packet an ICMP error quotes (RFC 792 / RFC 4443: the offending IP header
// and at least the first 8 bytes after it), read once for two callers that must
// agree: the flow table (flow_key.cpp, worker thread), which counts the error
// on the quoted packet's flow, and the capture reader's fan-out (fanout.cpp),
// which sends the error to the worker of that flow. Both take their answer
// from parse_icmp_quote, so an error is routed to a worker exactly when that
// worker will look for the quoted flow.
// Pure functions on bytes: no allocation, any thread; the pointers in an
// IcmpQuote point into the bytes given and live as long as they do.
#pragma once

#include <cstdint>
#include <span>

namespace vigil {

using Bytes = std::span<const uint8_t>;

// The request type of an id-keyed ICMP request/reply pair (echo, timestamp,
// information, address mask; ICMPv6 echo), or 0. `proto` is 1 or 58.
uint8_t icmp_pair_of(uint8_t proto, uint8_t type);

// Is (proto, type) an error that quotes a packet: ICMPv4 destination
// unreachable (3), source quench (4), redirect (5), time exceeded (11),
// parameter problem (12); ICMPv6 types 1-4.
bool is_icmp_error(uint8_t proto, uint8_t type);

struct IcmpQuote {
  uint8_t version = 0;           // 4 or 6, as the ICMP protocol (1: IPv4, 58: IPv6)
  const uint8_t* src = nullptr;  // 4 or 16 bytes, then dst the same length
  const uint8_t* dst = nullptr;
  uint8_t proto = 0;        // the quoted packet's IP protocol
  uint16_t sp = 0, dp = 0;  // TCP/UDP
  uint8_t icmp_type = 0, icmp_code = 0;
  uint16_t icmp_id = 0;  // ICMP quotes: an echo-like request or reply
};

// `quote` is what follows the 8-byte ICMP header of an error of protocol
// `icmp_proto` (1 or 58). True when it names a flow: an IP header of the
// ICMP's own version (IPv6 extension headers are not followed), then TCP or
// UDP with both ports, or an echo-like ICMP message with its identifier (an
// error about an error stays apart). The caller checks is_icmp_error first.
bool parse_icmp_quote(uint8_t icmp_proto, Bytes quote, IcmpQuote* out);

}  // namespace vigil

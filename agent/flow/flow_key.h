// FlowKey: the direction-free identity of a flow, built from a decoded packet
// so that both directions of a conversation give the same key and hash.
// Internal to FlowTable (worker thread); a plain value, safe to copy.
//
// ICMP: echo-like request/reply pairs (echo, timestamp, information, address
// mask; ICMPv6 echo) are keyed by their identifier, so a reply finds its
// request's flow, as Suricata does; other ICMP messages by type and code.
#pragma once

#include <cstdint>

#include "common/ip_addr.h"
#include "common/packet.h"

namespace vigil {

struct FlowKey {
  IpAddr lo, hi;  // lo <= hi (with ports for TCP/UDP)
  uint16_t port_lo = 0, port_hi = 0;
  uint8_t proto = 0;
  uint8_t icmp_pair = 0;  // request type of an id-keyed ICMP pair, else 0
  uint16_t vlan[2] = {0, 0};
  // An ICMP error about a conversation that has no flow here: a hash of the
  // quoted address pair (never 0), so that errors about different
  // conversations make different flows. The fan-out sends each error to the
  // worker of its quoted pair; one flow across pairs could not be kept whole
  // with more than one worker. 0 for every other flow.
  uint64_t quote = 0;

  friend bool operator==(const FlowKey&, const FlowKey&) = default;
};

// IP protocol number of the packet's transport (L4::kOther: p.ip_proto).
uint8_t flow_proto(const Packet& p);

// True when the ICMP message answers a request (echo reply, ...): the flow's
// client is then the receiver.
bool icmp_is_reply(uint8_t proto, uint8_t type);

// Builds the key of p. False when p cannot have a flow.
bool make_flow_key(const Packet& p, FlowKey* k);

// For an ICMP/ICMPv6 error message (destination unreachable, time exceeded,
// ...): the key of the flow of the packet it quotes (TCP, UDP or an ICMP
// echo-like request). False when p is no such error or the quote is too short.
bool make_icmp_error_key(const Packet& p, FlowKey* k);

// Deterministic 64-bit hash of a key (no per-process seed: flow ids derive
// from it and must be the same on every run).
uint64_t flow_key_hash(const FlowKey& k);

// Flow id from the key hash and the first packet's time; below 2^53 and never 0.
uint64_t make_flow_id(uint64_t key_hash, Timestamp first);

}  // namespace vigil

// The per-protocol decoders of this folder and what they share. Internal to
// agent/decode: only decoder.cpp calls these, through its dispatch tables
// (and fanout.cpp, through the same tables: walk_to_network below).
//
// Each decoder parses exactly one layer from `data` (the bytes starting at its
// header), fills its part of ctx.p, counts what it saw, and tells the
// dispatcher what comes next (an ethertype or IP protocol plus the remaining
// bytes). Decoders never call each other. Malformed input is counted as a
// named anomaly and answered with Next::kInvalid; nothing throws.
// Returned spans point into `data`.
#pragma once

#include <cstdint>

#include "agent/decode/decode_counters.h"
#include "agent/decode/decoder.h"
#include "common/packet.h"

namespace vigil::decode {

enum class Next : uint8_t {
  kEthertype,  // Step::type is an ethertype, Step::rest its payload
  kIpProto,    // Step::type is an IP protocol number, Step::rest the L4 bytes
  kDone,       // fully decoded
  kFragment,   // an IP fragment, described in DecodeCtx::frag
  kNotIp,      // usable frame but nothing for us (ARP, ...): counted, no anomaly
  kInvalid,    // malformed: anomaly counted
  kTunnel,     // a tunnel: Step::type is the inner ethertype (0x6558 Ethernet,
               // 0x880b PPP, ...), Step::rest the inner packet, Step::tunnel its kind
};

struct Step {
  Next next = Next::kInvalid;
  uint16_t type = 0;
  Bytes rest;
  Tunnel tunnel = Tunnel::kNone;
};

// What the IP decoders learned about a fragment, for the defragmenter.
struct FragInfo {
  bool v6 = false;
  Bytes unfrag;            // IPv4: the header; IPv6: bytes before the fragment header
  uint16_t nh_offset = 0;  // IPv6: offset in `unfrag` of the next-header byte that said 44
  uint8_t proto = 0;       // IPv4 protocol / IPv6 next header after the fragment header
  uint32_t id = 0;
  uint32_t offset = 0;  // in bytes
  bool more = false;
  Bytes data;  // the fragment's share of the payload
};

struct DecodeCtx {
  Packet& p;
  DecodeCounters& c;
  const DecodeConfig& cfg;
  FragInfo frag;
  bool reassembling = false;  // decoding a datagram the defragmenter just built
};

inline uint16_t rd16(const uint8_t* b) {
  return static_cast<uint16_t>((b[0] << 8) | b[1]);
}
inline uint32_t rd32(const uint8_t* b) {
  return (uint32_t(b[0]) << 24) | (uint32_t(b[1]) << 16) | (uint32_t(b[2]) << 8) | b[3];
}

inline constexpr uint16_t kEtherIpv4 = 0x0800, kEtherIpv6 = 0x86dd, kEtherArp = 0x0806, kEtherVlan = 0x8100,
                          kEtherQinq = 0x88a8, kEtherQinqOld = 0x9100, kEtherPppoe = 0x8864;
// Payload types of tunnels (GRE protocol field, Geneve protocol type): they
// sit in the same dispatch table as the link ethertypes, as in Suricata.
inline constexpr uint16_t kEtherTeb = 0x6558,  // Transparent Ethernet Bridging: an Ethernet frame
    kEtherPpp = 0x880b,                        // PPP (PPTP's enhanced GRE)
    kEtherErspan2 = 0x88be,                    // ERSPAN type II (type I without GRE sequence)
    kEtherErspan3 = 0x22eb;                    // ERSPAN type III

using LayerFn = Step (*)(DecodeCtx&, Bytes);

// What a row of the ethertype table leads to. The fan-out follows kLink rows
// and stops at the first kNetwork one; the decoder follows them all.
enum class Layer : uint8_t {
  kLink,     // another link layer or encapsulation: VLAN tag, PPPoE, a tunnel's Ethernet/PPP/ERSPAN
  kNetwork,  // an IP header: the addresses are at addr_off, addr_len bytes each (source, then destination)
  kOther,    // the end of the road for the fan-out (ARP)
};

struct EtherRow {
  uint16_t ethertype;
  LayerFn fn;
  Layer layer;
  uint8_t addr_off = 0, addr_len = 0;  // kNetwork only
};

// decoder.cpp: the link layers of a captured frame, decoded with the
// decoder's own tables (link type, then ethertypes of kLink rows) up to the
// first network header. Returns that header's row with *l3 its bytes, or
// nullptr when the frame is not IP, malformed, or of an unknown link type.
// Writes only the link part of ctx.p (VLAN ids) and link counters to ctx.c.
// For the capture reader's fan-out: no allocation, nothing kept.
const EtherRow* walk_to_network(DecodeCtx& ctx, int linktype, Bytes frame, Bytes* l3);

// checksum.cpp: RFC 1071 sums. Returns true when the data (with its stored
// checksum in place) sums to 0xffff, i.e. verifies.
uint32_t csum_add(Bytes data, uint32_t acc);
uint32_t pseudo_header_sum(const Packet& p, uint8_t proto, uint32_t l4_len);
bool csum_ok(Bytes data, uint32_t initial);

// Link layers (Step::next is kEthertype on success).
Step decode_ethernet(DecodeCtx& ctx, Bytes data);
Step decode_vlan(DecodeCtx& ctx, Bytes data);  // one 802.1Q/802.1ad tag
Step decode_sll(DecodeCtx& ctx, Bytes data);
Step decode_sll2(DecodeCtx& ctx, Bytes data);
Step decode_raw(DecodeCtx& ctx, Bytes data);      // version nibble picks v4/v6
Step decode_null(DecodeCtx& ctx, Bytes data);     // BSD loopback, either byte order
Step decode_raw4(DecodeCtx& ctx, Bytes data);     // DLT 228: always IPv4
Step decode_raw6(DecodeCtx& ctx, Bytes data);     // DLT 229: always IPv6
Step decode_arp(DecodeCtx& ctx, Bytes data);      // counted only
Step decode_ppp(DecodeCtx& ctx, Bytes data);      // DLT 9/50
Step decode_pppoe(DecodeCtx& ctx, Bytes data);    // PPPoE session, ethertype 0x8864
Step decode_chdlc(DecodeCtx& ctx, Bytes data);    // DLT 104
Step decode_erspan2(DecodeCtx& ctx, Bytes data);  // ERSPAN II header, then Ethernet
Step decode_erspan3(DecodeCtx& ctx, Bytes data);  // ERSPAN III header, then Ethernet

// Network layers (Step::next is kIpProto, kFragment or kDone).
Step decode_ipv4(DecodeCtx& ctx, Bytes data);
Step decode_ipv6(DecodeCtx& ctx, Bytes data);

// Transport layers (Step::next is kDone).
Step decode_tcp(DecodeCtx& ctx, Bytes data);
Step decode_udp(DecodeCtx& ctx, Bytes data);
Step decode_icmpv4(DecodeCtx& ctx, Bytes data);
Step decode_icmpv6(DecodeCtx& ctx, Bytes data);

// Tunnels (Step::next is kTunnel on success). GRE and IP-in-IP are IP
// protocols; the UDP ones are tried on a decoded UDP packet by port and answer
// kDone when the payload is not theirs (the packet stays plain UDP).
Step decode_gre(DecodeCtx& ctx, Bytes data);
Step decode_ipip4(DecodeCtx& ctx, Bytes data);  // IP protocol 4: IPv4 inside
Step decode_ipip6(DecodeCtx& ctx, Bytes data);  // IP protocol 41: IPv6 inside
Step decode_vxlan(DecodeCtx& ctx, Bytes udp_payload);
Step decode_geneve(DecodeCtx& ctx, Bytes udp_payload);
Step decode_teredo(DecodeCtx& ctx, Bytes udp_payload);

}  // namespace vigil::decode

// GRE (IP protocol 47). Version 0 (RFC 2784 with RFC 2890's key and sequence
// number) and version 1, PPTP's enhanced GRE (RFC 2637) carrying PPP. The
// header is followed by whatever its protocol field names: IPv4, IPv6,
// Ethernet (0x6558), PPP (0x880b), ERSPAN (0x88be type II, or type I when the
// sequence bit is clear: a bare Ethernet frame; 0x22eb type III). Checks and
// anomaly names follow Suricata's GRE decoder. The carrier packet keeps
// l4 = kOther with the GRE bytes as payload; the inner packet is decoded next.
#include "agent/decode/layers.h"

namespace vigil::decode {
namespace {

constexpr uint8_t kFlagC = 0x80, kFlagR = 0x40, kFlagK = 0x20, kFlagS = 0x10, kFlagSsr = 0x08, kRecur = 0x07;
constexpr uint8_t kFlagAck = 0x80, kFlagsV1 = 0x78, kVersion = 0x07;

bool known_payload(uint16_t proto) {
  switch (proto) {
    case kEtherIpv4:
    case kEtherIpv6:
    case kEtherTeb:
    case kEtherPpp:
    case kEtherErspan2:
    case kEtherErspan3:
    case kEtherVlan:
    case kEtherQinq:
      return true;
    default:
      return false;
  }
}

// RFC 1701 source route entries: address family (2), offset (1), length (1),
// then `length` bytes; a zero family with zero length ends the list.
// Returns the bytes the entries take, or 0 when they run off the packet.
size_t sre_length(Bytes data, size_t off) {
  size_t start = off;
  while (off + 4 <= data.size()) {
    uint16_t af = rd16(data.data() + off);
    uint8_t len = data[off + 3];
    off += 4;
    if (af == 0 && len == 0) return off - start;
    if (off + len > data.size()) return 0;
    off += len;
  }
  return 0;
}

}  // namespace

Step decode_gre(DecodeCtx& ctx, Bytes data) {
  DecodeCounters& c = ctx.c;
  ++c.gre;
  Packet& p = ctx.p;
  if (data.size() < 4) {
    ++c.ev_gre_small;
    return {};
  }
  const uint8_t f0 = data[0], f1 = data[1];
  const uint16_t proto = rd16(data.data() + 2);
  size_t hlen = 4;
  Tunnel kind = Tunnel::kGre;
  switch (f1 & kVersion) {
    case 0: {
      if (f0 & kRecur) {
        ++c.ev_gre_v0_recur;
        return {};
      }
      if (f1 & (kFlagAck | kFlagsV1)) {
        ++c.ev_gre_v0_flags;
        return {};
      }
      if (f0 & (kFlagC | kFlagR)) hlen += 4;  // checksum + offset
      if (f0 & kFlagK) hlen += 4;
      if (f0 & kFlagS) hlen += 4;
      if (hlen > data.size()) {
        ++c.ev_gre_v0_hdr_big;
        return {};
      }
      if (f0 & kFlagR) {
        size_t n = sre_length(data, hlen);
        if (n == 0) {
          ++c.ev_gre_v0_sre;
          return {};
        }
        hlen += n;
      }
      break;
    }
    case 1: {
      ++c.pptp;
      kind = Tunnel::kPptp;
      if (f0 & kFlagC) {
        ++c.ev_gre_v1_chksum;
        return {};
      }
      if (f0 & (kFlagR | kFlagSsr)) {
        ++c.ev_gre_v1_route;
        return {};
      }
      if (f0 & kRecur) {
        ++c.ev_gre_v1_recur;
        return {};
      }
      if (f1 & kFlagsV1) {
        ++c.ev_gre_v1_flags;
        return {};
      }
      if (!(f0 & kFlagK)) {
        ++c.ev_gre_v1_no_key;
        return {};
      }
      if (proto != kEtherPpp) {
        ++c.ev_gre_v1_proto;
        return {};
      }
      hlen += 4;  // payload length + call id
      if (f0 & kFlagS) hlen += 4;
      if (f1 & kFlagAck) hlen += 4;
      if (hlen > data.size()) {
        ++c.ev_gre_v1_hdr_big;
        return {};
      }
      // The key's high half is the payload length; an ack-only packet has
      // none. A length past the packet is clipped to what was captured.
      size_t plen = rd16(data.data() + 4);
      p.l4 = L4::kOther;
      p.payload = data;
      Bytes inner = data.subspan(hlen);
      if (plen < inner.size()) inner = inner.first(plen);
      if (inner.empty()) return {Next::kDone, 0, {}};
      return {Next::kTunnel, proto, inner, kind};
    }
    default:
      ++c.ev_gre_version;
      return {};
  }
  p.l4 = L4::kOther;
  p.payload = data;
  if (!known_payload(proto)) {
    // Well-formed GRE carrying something we do not decode (WCCP, MPLS, ...):
    // the carrier stays inspectable, nothing is opened.
    ++c.gre_other;
    return {Next::kDone, 0, {}};
  }
  uint16_t inner = proto;
  if (proto == kEtherErspan2) {
    ++c.erspan;
    kind = Tunnel::kErspan;
    if (!(f0 & kFlagS)) inner = kEtherTeb;  // type I: no ERSPAN header
  } else if (proto == kEtherErspan3) {
    ++c.erspan;
    kind = Tunnel::kErspan;
  }
  return {Next::kTunnel, inner, data.subspan(hlen), kind};
}

}  // namespace vigil::decode

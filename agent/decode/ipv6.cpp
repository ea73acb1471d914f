// IPv6 (RFC 8200): fixed header and the extension header chain (hop-by-hop,
// routing, destination options, fragment, AH). ESP and "no next header" end
// the chain: what follows is opaque and reported as the final protocol.
// Order and repetition rules of RFC 8200 section 4.1 that Suricata flags are
// counted as anomalies without dropping the packet; a chain that runs past
// the payload length is invalid.
#include "agent/decode/layers.h"

namespace vigil::decode {
namespace {

constexpr uint8_t kHopByHop = 0, kRouting = 43, kFragment = 44, kAh = 51, kDestOpts = 60;
constexpr int kMaxExtHeaders = 16;  // far beyond real use; bounds work on crafted chains

// TLV options of hop-by-hop and destination options headers.
bool options_ok(const uint8_t* o, size_t n) {
  size_t i = 0;
  while (i < n) {
    if (o[i] == 0) {  // Pad1
      ++i;
      continue;
    }
    if (i + 2 > n || i + 2 + o[i + 1] > n) return false;
    i += 2 + o[i + 1];
  }
  return true;
}

}  // namespace

Step decode_ipv6(DecodeCtx& ctx, Bytes data) {
  DecodeCounters& c = ctx.c;
  ++c.ipv6;
  if (data.size() < 40) {
    ++c.ev_ipv6_small;
    return {};
  }
  const uint8_t* h = data.data();
  if ((h[0] >> 4) != 6) {
    ++c.ev_ipv6_version;
    return {};
  }
  size_t end = 40 + size_t(rd16(h + 4));
  if (end > data.size()) {
    ++c.ev_ipv6_trunc;
    return {};
  }
  Packet& p = ctx.p;
  p.ip_version = 6;
  p.src = IpAddr::v6(h + 8);
  p.dst = IpAddr::v6(h + 24);
  p.l3 = data.first(end);
  p.tos = static_cast<uint8_t>(((h[0] & 0x0f) << 4) | (h[1] >> 4));
  p.ttl = h[7];

  uint8_t nh = h[6];
  size_t nh_pos = 6;  // where the current next-header value is stored
  size_t off = 40;
  int count = 0, dest_opts = 0;
  bool seen_hh = false, seen_rh = false, seen_fh = false, seen_ah = false;
  for (;;) {
    bool ext = nh == kHopByHop || nh == kRouting || nh == kFragment || nh == kAh || nh == kDestOpts;
    if (!ext) break;
    if (++count > kMaxExtHeaders) {
      ++c.ev_ipv6_exthdr_too_many;
      return {};
    }
    if (off + 2 > end) {
      ++c.ev_ipv6_exthdr_trunc;
      return {};
    }
    size_t hl = nh == kFragment ? 8 : nh == kAh ? (size_t(h[off + 1]) + 2) * 4 : (size_t(h[off + 1]) + 1) * 8;
    if (off + hl > end) {
      ++c.ev_ipv6_exthdr_trunc;
      return {};
    }
    bool dup = false;
    switch (nh) {
      case kHopByHop:
        if (count != 1) ++c.ev_ipv6_exthdr_hh_order;
        dup = seen_hh;
        seen_hh = true;
        break;
      case kRouting:
        dup = seen_rh;
        seen_rh = true;
        break;
      case kFragment:
        dup = seen_fh;
        seen_fh = true;
        break;
      case kAh:
        dup = seen_ah;
        seen_ah = true;
        break;
      case kDestOpts:
        dup = ++dest_opts > 2;
        break;
    }
    if (dup) ++c.ev_ipv6_exthdr_dupl;
    if ((nh == kHopByHop || nh == kDestOpts) && !options_ok(h + off + 2, hl - 2)) ++c.ev_ipv6_exthdr_optlen;

    if (nh == kFragment) {
      uint16_t fo = rd16(h + off + 2);
      bool more = fo & 1;
      uint16_t frag_off = fo >> 3;
      p.ip_id = rd32(h + off + 4);
      p.frag_offset = frag_off;
      p.frag_mf = more;
      // An atomic fragment (offset 0, no more) is a whole datagram (RFC 6946).
      if (frag_off != 0 || more) {
        if (ctx.reassembling) {
          ++c.ev_ipv6_frag_nested;
          return {};
        }
        p.ip_hlen = static_cast<uint16_t>(off + 8);
        p.ip_proto = h[off];
        FragInfo& f = ctx.frag;
        f.v6 = true;
        f.unfrag = data.first(off);
        f.nh_offset = static_cast<uint16_t>(nh_pos);
        f.proto = h[off];
        f.id = p.ip_id;
        f.offset = uint32_t(frag_off) * 8;
        f.more = more;
        f.data = data.subspan(off + 8, end - off - 8);
        return {Next::kFragment, 0, {}};
      }
    }
    nh_pos = off;
    nh = h[off];
    off += hl;
  }
  p.ip_hlen = static_cast<uint16_t>(off);
  p.ip_proto = nh;
  // ESP (50) and no-next-header (59) land here too: the dispatcher has no
  // decoder for them, so the packet ends as "other protocol" with the rest
  // as payload.
  return {Next::kIpProto, nh, data.subspan(off, end - off)};
}

}  // namespace vigil::decode

// ICMPv6 (RFC 4443): type, code, id/seq for echo; checksum over the IPv6
// pseudo-header. With a routing header the pseudo-header should use the
// final destination; we use the header's destination (a bad-checksum count
// on source-routed packets is the known cost). ICMPv6 inside IPv4 is invalid.
#include "agent/decode/layers.h"

namespace vigil::decode {
namespace {

bool known_type(uint8_t t) {
  return (t >= 1 && t <= 4) || t == 100 || t == 101 || (t >= 127 && t <= 161) || t == 200 || t == 201 ||
         t == 255;
}

}  // namespace

Step decode_icmpv6(DecodeCtx& ctx, Bytes data) {
  DecodeCounters& c = ctx.c;
  ++c.icmpv6;
  Packet& p = ctx.p;
  if (p.ip_version != 6) {
    ++c.ev_icmpv6_over_v4;
    return {};
  }
  if (data.size() < 8) {
    ++c.ev_icmpv6_small;
    return {};
  }
  const uint8_t* h = data.data();
  p.l4 = L4::kIcmpv6;
  IcmpInfo& i = p.icmp;
  i.type = h[0];
  i.code = h[1];
  if (!known_type(i.type)) ++c.ev_icmpv6_type;
  if (i.type == 128 || i.type == 129) {
    i.has_id_seq = true;
    i.id = rd16(h + 4);
    i.seq = rd16(h + 6);
  }
  p.payload = data.subspan(8);
  if (ctx.cfg.checksum_checks &&
      !csum_ok(data, pseudo_header_sum(p, 58, static_cast<uint32_t>(data.size())))) {
    p.l4_csum_bad = true;
    ++c.csum_icmpv6;
  }
  return {Next::kDone, 0, {}};
}

}  // namespace vigil::decode

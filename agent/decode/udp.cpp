// UDP (RFC 768). The UDP length must match the IP payload; when it is
// shorter the extra bytes are not payload (counted as hlen_invalid, packet
// kept), when it is longer the datagram is truncated (invalid).
// A zero checksum means "none" over IPv4 and is an error over IPv6 (RFC 8200).
#include "agent/decode/layers.h"

namespace vigil::decode {

Step decode_udp(DecodeCtx& ctx, Bytes data) {
  ++ctx.c.udp;
  if (data.size() < 8) {
    ++ctx.c.ev_udp_small;
    return {};
  }
  const uint8_t* h = data.data();
  size_t ulen = rd16(h + 4);
  if (ulen < 8) {
    ++ctx.c.ev_udp_hlen_small;
    return {};
  }
  if (ulen > data.size()) {
    ++ctx.c.ev_udp_hlen_invalid;
    return {};
  }
  if (ulen < data.size()) ++ctx.c.ev_udp_hlen_invalid;
  Packet& p = ctx.p;
  p.l4 = L4::kUdp;
  p.sp = rd16(h);
  p.dp = rd16(h + 2);
  p.payload = data.subspan(8, ulen - 8);
  if (ctx.cfg.checksum_checks) {
    uint16_t stored = rd16(h + 6);
    bool ok = stored == 0 ? p.ip_version == 4
                          : csum_ok(data.first(ulen), pseudo_header_sum(p, 17, static_cast<uint32_t>(ulen)));
    if (!ok) {
      p.l4_csum_bad = true;
      ++ctx.c.csum_udp;
    }
  }
  return {Next::kDone, 0, {}};
}

}  // namespace vigil::decode

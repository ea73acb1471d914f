// IP in IP: IP protocol 4 carries an IPv4 datagram (RFC 2003), 41 an IPv6 one
// (RFC 4213 6in4, also inside IPv6, RFC 2473), whichever the outer version.
// Only the inner version nibble is checked here; the inner IP decoder does
// the rest on the inner packet. Counted as decoder.ipv<inner>_in_ipv<outer>.
#include "agent/decode/layers.h"

namespace vigil::decode {
namespace {

Step ip_in_ip(DecodeCtx& ctx, Bytes data, uint8_t version, size_t min_len) {
  DecodeCounters& c = ctx.c;
  if (data.size() < min_len) {
    ++c.ev_ipip_small;
    return {};
  }
  if ((data[0] >> 4) != version) {
    ++c.ev_ipip_version;
    return {};
  }
  const bool outer4 = ctx.p.ip_version == 4;
  if (version == 4)
    ++(outer4 ? c.ipv4_in_ipv4 : c.ipv4_in_ipv6);
  else
    ++(outer4 ? c.ipv6_in_ipv4 : c.ipv6_in_ipv6);
  ctx.p.l4 = L4::kOther;
  ctx.p.payload = data;
  return {Next::kTunnel, version == 4 ? kEtherIpv4 : kEtherIpv6, data, Tunnel::kIpInIp};
}

}  // namespace

Step decode_ipip4(DecodeCtx& ctx, Bytes data) {
  return ip_in_ip(ctx, data, 4, 20);
}

Step decode_ipip6(DecodeCtx& ctx, Bytes data) {
  return ip_in_ip(ctx, data, 6, 40);
}

}  // namespace vigil::decode

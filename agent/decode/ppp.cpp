// PPP (DLT 9 and DLT 50 "PPP in HDLC-like framing") and PPPoE session
// frames (ethertype 0x8864). The HDLC address/control bytes (ff 03) are
// optional and the protocol field may be compressed to one byte (RFC 1661
// section 6.5), as some captures do. Only IPv4 and IPv6 go further; link
// control traffic (LCP, IPCP, ...) is counted like ARP: no anomaly.
#include "agent/decode/layers.h"

namespace vigil::decode {
namespace {

Step ppp_payload(DecodeCtx& ctx, Bytes data, uint64_t& too_small) {
  size_t off = 0;
  if (data.size() >= 2 && data[0] == 0xff && data[1] == 0x03) off = 2;
  if (data.size() < off + 1) {
    ++too_small;
    return {};
  }
  uint16_t proto;
  if (data[off] & 1) {  // compressed: one odd byte
    proto = data[off];
    off += 1;
  } else {
    if (data.size() < off + 2) {
      ++too_small;
      return {};
    }
    proto = rd16(data.data() + off);
    off += 2;
  }
  switch (proto) {
    case 0x0021:
      return {Next::kEthertype, kEtherIpv4, data.subspan(off)};
    case 0x0057:
      return {Next::kEthertype, kEtherIpv6, data.subspan(off)};
    default:
      ++ctx.c.ppp_other;
      return {Next::kNotIp, 0, {}};
  }
}

}  // namespace

Step decode_ppp(DecodeCtx& ctx, Bytes data) {
  ++ctx.c.ppp;
  return ppp_payload(ctx, data, ctx.c.ev_ppp_small);
}

Step decode_pppoe(DecodeCtx& ctx, Bytes data) {
  // version/type (0x11), code (0 in session data), session id, length.
  if (data.size() < 6) {
    ++ctx.c.ev_pppoe_small;
    return {};
  }
  ++ctx.c.pppoe;
  size_t len = rd16(data.data() + 4);
  if (data[0] != 0x11 || data[1] != 0 || len > data.size() - 6) {
    ++ctx.c.ev_pppoe_malformed;
    return {};
  }
  return ppp_payload(ctx, data.subspan(6, len), ctx.c.ev_pppoe_small);
}

}  // namespace vigil::decode

// TCP (RFC 9293) header and options (MSS, window scale, SACK-permitted, SACK,
// timestamps) into Packet::tcp. A bad option length is an anomaly but the
// segment stays usable (as in Suricata): option parsing stops there.
#include "agent/decode/layers.h"

namespace vigil::decode {
namespace {

void parse_options(DecodeCtx& ctx, const uint8_t* o, size_t n) {
  TcpInfo& t = ctx.p.tcp;
  size_t i = 0;
  while (i < n) {
    uint8_t kind = o[i];
    if (kind == 0) break;
    if (kind == 1) {
      ++i;
      continue;
    }
    if (i + 1 >= n || o[i + 1] < 2 || i + o[i + 1] > n) {
      ++ctx.c.ev_tcp_opt_len;
      return;
    }
    uint8_t len = o[i + 1];
    const uint8_t* v = o + i + 2;
    bool bad_len = false, dup = false;
    switch (kind) {
      case 2:
        bad_len = len != 4;
        dup = t.has_mss;
        if (!bad_len) t.has_mss = true, t.mss = rd16(v);
        break;
      case 3:
        bad_len = len != 3;
        dup = t.has_wscale;
        if (!bad_len) t.has_wscale = true, t.wscale = v[0];
        break;
      case 4:
        bad_len = len != 2;
        dup = t.sack_permitted;
        if (!bad_len) t.sack_permitted = true;
        break;
      case 5:
        bad_len = len < 10 || (len - 2) % 8 != 0;
        if (!bad_len) t.sack_blocks = static_cast<uint8_t>((len - 2) / 8);
        break;
      case 8:
        bad_len = len != 10;
        dup = t.has_ts;
        if (!bad_len) t.has_ts = true, t.ts_val = rd32(v), t.ts_ecr = rd32(v + 4);
        break;
      default:
        break;
    }
    if (bad_len) ++ctx.c.ev_tcp_opt_len;
    if (dup) ++ctx.c.ev_tcp_opt_dupl;
    i += len;
  }
}

}  // namespace

Step decode_tcp(DecodeCtx& ctx, Bytes data) {
  ++ctx.c.tcp;
  if (data.size() < 20) {
    ++ctx.c.ev_tcp_small;
    return {};
  }
  const uint8_t* h = data.data();
  size_t hlen = size_t(h[12] >> 4) * 4;
  if (hlen < 20) {
    ++ctx.c.ev_tcp_hlen_small;
    return {};
  }
  if (hlen > data.size()) {
    ++ctx.c.ev_tcp_small;
    return {};
  }
  Packet& p = ctx.p;
  p.l4 = L4::kTcp;
  p.sp = rd16(h);
  p.dp = rd16(h + 2);
  TcpInfo& t = p.tcp;
  t.seq = rd32(h + 4);
  t.ack = rd32(h + 8);
  t.flags = h[13];
  t.hlen = static_cast<uint8_t>(hlen);
  t.window = rd16(h + 14);
  t.urg_ptr = rd16(h + 18);
  if (hlen > 20) parse_options(ctx, h + 20, hlen - 20);
  p.payload = data.subspan(hlen);
  if (ctx.cfg.checksum_checks &&
      !csum_ok(data, pseudo_header_sum(p, 6, static_cast<uint32_t>(data.size())))) {
    p.l4_csum_bad = true;
    ++ctx.c.csum_tcp;
  }
  return {Next::kDone, 0, {}};
}

}  // namespace vigil::decode

// IPv4 (RFC 791): header, options, checksum, fragments. The datagram ends at
// the header's total length, not at the frame's end: Ethernet pads short
// frames to 60 bytes and that padding is not payload.
#include "agent/decode/layers.h"

namespace vigil::decode {
namespace {

enum class OptResult { kOk, kInvalid, kMalformed };

// Walks the options: a length that is missing, under 2 or runs past the
// header is "invalid"; a known option with a length or pointer its RFC rules
// out is "malformed". Unknown options with sane lengths are accepted.
OptResult walk_options(const uint8_t* o, size_t n) {
  size_t i = 0;
  while (i < n) {
    uint8_t type = o[i];
    if (type == 0) break;  // end of option list
    if (type == 1) {       // no-op
      ++i;
      continue;
    }
    if (i + 1 >= n) return OptResult::kInvalid;
    uint8_t len = o[i + 1];
    if (len < 2 || i + len > n) return OptResult::kInvalid;
    uint8_t ptr = len > 2 ? o[i + 2] : 0;
    switch (type) {
      case 7:    // record route
      case 131:  // loose source route
      case 137:  // strict source route
        if (len < 3 || (len - 3) % 4 != 0 || ptr < 4 || ptr % 4 != 0) return OptResult::kMalformed;
        break;
      case 68:  // timestamp
        if (len < 4 || ptr < 5) return OptResult::kMalformed;
        break;
      case 130:  // security
        if (len != 11) return OptResult::kMalformed;
        break;
      case 136:  // stream id
      case 148:  // router alert
        if (len != 4) return OptResult::kMalformed;
        break;
      default:
        break;
    }
    i += len;
  }
  return OptResult::kOk;
}

}  // namespace

Step decode_ipv4(DecodeCtx& ctx, Bytes data) {
  DecodeCounters& c = ctx.c;
  ++c.ipv4;
  if (data.size() < 20) {
    ++c.ev_ipv4_small;
    return {};
  }
  const uint8_t* h = data.data();
  if ((h[0] >> 4) != 4) {
    ++c.ev_ipv4_version;
    return {};
  }
  size_t hlen = size_t(h[0] & 0x0f) * 4;
  size_t total = rd16(h + 2);
  if (hlen < 20) {
    ++c.ev_ipv4_hlen_small;
    return {};
  }
  if (total < hlen) {
    ++c.ev_ipv4_iplen_small;
    return {};
  }
  if (total > data.size()) {
    ++c.ev_ipv4_trunc;
    return {};
  }
  Packet& p = ctx.p;
  p.ip_version = 4;
  p.src = IpAddr::v4(h + 12);
  p.dst = IpAddr::v4(h + 16);
  p.l3 = data.first(total);
  p.ip_hlen = static_cast<uint16_t>(hlen);
  p.tos = h[1];
  p.ip_id = rd16(h + 4);
  uint16_t frag = rd16(h + 6);
  p.frag_rf = frag & 0x8000;
  p.frag_df = frag & 0x4000;
  p.frag_mf = frag & 0x2000;
  p.frag_offset = frag & 0x1fff;
  p.ttl = h[8];
  p.ip_proto = h[9];

  if (hlen > 20) {
    OptResult r = walk_options(h + 20, hlen - 20);
    if (r != OptResult::kOk) {
      ++(r == OptResult::kInvalid ? c.ev_ipv4_opt_invalid : c.ev_ipv4_opt_malformed);
      return {};
    }
  }
  if (ctx.cfg.checksum_checks && !csum_ok(data.first(hlen), 0)) {
    p.ipv4_csum_bad = true;
    ++c.csum_ipv4;
  }
  Bytes payload = data.subspan(hlen, total - hlen);
  if (p.frag_mf || p.frag_offset != 0) {
    FragInfo& f = ctx.frag;
    f.v6 = false;
    f.unfrag = data.first(hlen);
    f.proto = p.ip_proto;
    f.id = p.ip_id;
    f.offset = uint32_t(p.frag_offset) * 8;
    f.more = p.frag_mf;
    f.data = payload;
    return {Next::kFragment, 0, {}};
  }
  return {Next::kIpProto, p.ip_proto, payload};
}

}  // namespace vigil::decode

// ICMPv4 (RFC 792): type, code, id/seq for query messages; for error
// messages the quoted IP header is sanity-checked (Suricata's
// icmpv4.ipv4_trunc_pkt / ipv4_unknown_ver) but not decoded further.
// Payload is everything after the 8-byte header.
#include "agent/decode/layers.h"

namespace vigil::decode {
namespace {

// Highest valid code per type, -1 for types not assigned (RFC 792 and the
// IANA registry; deprecated types still seen in the wild are accepted).
int max_code(uint8_t type) {
  switch (type) {
    case 0:
    case 8:
    case 13:
    case 14:
    case 15:
    case 16:
    case 17:
    case 18:
    case 4:
    case 10:
      return 0;
    case 3:
      return 15;
    case 5:
      return 3;
    case 9:
      return 16;
    case 11:
      return 1;
    case 12:
      return 2;
    case 40:
      return 5;
    case 42:
    case 43:
      return 4;
    default:
      return type >= 30 && type <= 41 ? 255 : -1;
  }
}

bool has_id_seq(uint8_t type) {
  return type == 0 || type == 8 || (type >= 13 && type <= 18);
}
bool is_error(uint8_t type) {
  return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
}

}  // namespace

Step decode_icmpv4(DecodeCtx& ctx, Bytes data) {
  DecodeCounters& c = ctx.c;
  ++c.icmpv4;
  if (data.size() < 8) {
    ++c.ev_icmpv4_small;
    return {};
  }
  const uint8_t* h = data.data();
  Packet& p = ctx.p;
  p.l4 = L4::kIcmp;
  IcmpInfo& i = p.icmp;
  i.type = h[0];
  i.code = h[1];
  int mc = max_code(i.type);
  if (mc < 0) {
    ++c.ev_icmpv4_type;
  } else if (i.code > mc) {
    ++c.ev_icmpv4_code;
  }
  if (has_id_seq(i.type)) {
    i.has_id_seq = true;
    i.id = rd16(h + 4);
    i.seq = rd16(h + 6);
  }
  p.payload = data.subspan(8);
  if (is_error(i.type)) {
    if (p.payload.size() < 20) {
      ++c.ev_icmpv4_inner_trunc;
    } else if ((p.payload[0] >> 4) != 4) {
      ++c.ev_icmpv4_inner_ver;
    }
  }
  if (ctx.cfg.checksum_checks && !csum_ok(data, 0)) {
    p.l4_csum_bad = true;
    ++c.csum_icmpv4;
  }
  return {Next::kDone, 0, {}};
}

}  // namespace vigil::decode

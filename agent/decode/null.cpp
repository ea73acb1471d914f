// BSD loopback: DLT 0 (NULL) stores the address family in the capturing
// host's byte order, DLT 108 (LOOP) in network order; captures move between
// hosts, so both orders are accepted for both. AF_INET is 2 everywhere;
// AF_INET6 is 24 (NetBSD/OpenBSD), 28 (FreeBSD) or 30 (macOS).
#include "agent/decode/layers.h"

namespace vigil::decode {
namespace {

uint16_t ethertype_of_af(uint32_t af) {
  switch (af) {
    case 2:
      return kEtherIpv4;
    case 24:
    case 28:
    case 30:
      return kEtherIpv6;
    default:
      return 0;
  }
}

}  // namespace

Step decode_null(DecodeCtx& ctx, Bytes data) {
  if (data.size() < 4) {
    ++ctx.c.ev_null_small;
    return {};
  }
  ++ctx.c.null;
  const uint8_t* b = data.data();
  uint32_t le = b[0] | (uint32_t(b[1]) << 8) | (uint32_t(b[2]) << 16) | (uint32_t(b[3]) << 24);
  uint16_t et = ethertype_of_af(le);
  if (et == 0) et = ethertype_of_af(rd32(b));
  if (et == 0) {
    ++ctx.c.ev_null_type;
    return {};
  }
  return {Next::kEthertype, et, data.subspan(4)};
}

}  // namespace vigil::decode

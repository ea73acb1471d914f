// Raw IP link types: DLT 12/14/101 carry either version (the version nibble
// decides); DLT 228 and 229 are fixed to IPv4 and IPv6, and a wrong version
// there is the IP decoder's wrong_ip_version anomaly.
#include "agent/decode/layers.h"

namespace vigil::decode {

Step decode_raw(DecodeCtx& ctx, Bytes data) {
  ++ctx.c.raw;
  if (!data.empty()) {
    if ((data[0] >> 4) == 4) return {Next::kEthertype, kEtherIpv4, data};
    if ((data[0] >> 4) == 6) return {Next::kEthertype, kEtherIpv6, data};
  }
  ++ctx.c.ev_raw_version;
  return {};
}

Step decode_raw4(DecodeCtx& ctx, Bytes data) {
  ++ctx.c.raw;
  return {Next::kEthertype, kEtherIpv4, data};
}

Step decode_raw6(DecodeCtx& ctx, Bytes data) {
  ++ctx.c.raw;
  return {Next::kEthertype, kEtherIpv6, data};
}

}  // namespace vigil::decode

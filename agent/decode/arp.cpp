// ARP (0x0806): counted so link health is visible, not decoded further;
// nothing downstream (flow, rules) consumes it.
#include "agent/decode/layers.h"

namespace vigil::decode {

Step decode_arp(DecodeCtx& ctx, Bytes) {
  ++ctx.c.arp;
  return {Next::kNotIp, 0, {}};
}

}  // namespace vigil::decode

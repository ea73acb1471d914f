// Ethernet II (DLT 1): 14-byte header; the ethertype picks the next layer.
// Frames with an 802.3 length instead of a type end up as unknown ethertypes.
#include "agent/decode/layers.h"

namespace vigil::decode {

Step decode_ethernet(DecodeCtx& ctx, Bytes data) {
  if (data.size() < 14) {
    ++ctx.c.ev_eth_small;
    return {};
  }
  ++ctx.c.ethernet;
  return {Next::kEthertype, rd16(data.data() + 12), data.subspan(14)};
}

}  // namespace vigil::decode

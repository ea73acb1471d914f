// Linux cooked capture v2 (DLT 276): 20-byte header, protocol (ethertype)
// first, then interface index, ARPHRD type, packet type and link address.
#include "agent/decode/layers.h"

namespace vigil::decode {

Step decode_sll2(DecodeCtx& ctx, Bytes data) {
  if (data.size() < 20) {
    ++ctx.c.ev_sll2_small;
    return {};
  }
  ++ctx.c.sll2;
  return {Next::kEthertype, rd16(data.data()), data.subspan(20)};
}

}  // namespace vigil::decode

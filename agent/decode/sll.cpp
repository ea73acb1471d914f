// Linux cooked capture v1 (DLT 113, "any" interface): 16-byte header,
// protocol (ethertype) in the last two bytes.
#include "agent/decode/layers.h"

namespace vigil::decode {

Step decode_sll(DecodeCtx& ctx, Bytes data) {
  if (data.size() < 16) {
    ++ctx.c.ev_sll_small;
    return {};
  }
  ++ctx.c.sll;
  return {Next::kEthertype, rd16(data.data() + 14), data.subspan(16)};
}

}  // namespace vigil::decode

// Cisco HDLC (DLT 104): address (0x0f unicast, 0x8f broadcast), control,
// then an ethertype, as Suricata's decoder reads it.
#include "agent/decode/layers.h"

namespace vigil::decode {

Step decode_chdlc(DecodeCtx& ctx, Bytes data) {
  if (data.size() < 4) {
    ++ctx.c.ev_chdlc_small;
    return {};
  }
  ++ctx.c.chdlc;
  return {Next::kEthertype, rd16(data.data() + 2), data.subspan(4)};
}

}  // namespace vigil::decode

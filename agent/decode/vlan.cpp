// One 802.1Q (0x8100) or 802.1ad/QinQ (0x88a8, legacy 0x9100) tag. The TPID
// was consumed by the layer below; `data` starts at the TCI. Up to two tags
// are recorded in the packet (outer first); a third is an anomaly, as in
// Suricata, because flow keys only carry two.
#include "agent/decode/layers.h"

namespace vigil::decode {

Step decode_vlan(DecodeCtx& ctx, Bytes data) {
  if (data.size() < 4) {
    ++ctx.c.ev_vlan_small;
    return {};
  }
  Packet& p = ctx.p;
  if (p.vlan_count >= 2) {
    ++ctx.c.ev_vlan_too_many;
    return {};
  }
  ++ctx.c.vlan;
  if (p.vlan_count == 1) ++ctx.c.vlan_qinq;
  p.vlan_id[p.vlan_count++] = rd16(data.data()) & 0x0fff;
  return {Next::kEthertype, rd16(data.data() + 2), data.subspan(4)};
}

}  // namespace vigil::decode

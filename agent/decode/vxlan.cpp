// VXLAN (RFC 7348) over UDP, destination ports from DecodeConfig (4789 by
// default): an 8-byte header whose I flag says the VNI is valid, then an
// Ethernet frame. Nothing in the header proves the payload is VXLAN, so the
// inner frame must look like Ethernet carrying something we decode (as
// Suricata checks); otherwise the packet stays plain UDP, anomaly counted.
#include "agent/decode/layers.h"

namespace vigil::decode {

Step decode_vxlan(DecodeCtx& ctx, Bytes data) {
  DecodeCounters& c = ctx.c;
  if (data.size() < 8 + 14) {
    ++c.ev_vxlan_small;
    return {Next::kDone, 0, {}};
  }
  if (!(data[0] & 0x08)) {
    ++c.ev_vxlan_flags;
    return {Next::kDone, 0, {}};
  }
  switch (rd16(data.data() + 8 + 12)) {
    case kEtherIpv4:
    case kEtherIpv6:
    case kEtherArp:
    case kEtherVlan:
    case kEtherQinq:
    case kEtherQinqOld:
      break;
    default:
      ++c.ev_vxlan_payload;
      return {Next::kDone, 0, {}};
  }
  ++c.vxlan;
  return {Next::kTunnel, kEtherTeb, data.subspan(8), Tunnel::kVxlan};
}

}  // namespace vigil::decode

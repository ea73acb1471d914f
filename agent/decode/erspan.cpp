// ERSPAN, Cisco's mirrored traffic over GRE: type II (GRE protocol 0x88be
// with a sequence number; 8-byte header, version 1) and type III (0x22eb;
// 12-byte header, version 2, plus an 8-byte platform sub-header when its O
// bit is set). Both carry an Ethernet frame. Type I (0x88be without sequence
// number, no header) is recognised by gre.cpp and goes straight to Ethernet.
// A non-zero VLAN id in the header is recorded like an 802.1Q tag, as
// Suricata does, so mirrored sessions from different VLANs stay apart.
#include "agent/decode/layers.h"

namespace vigil::decode {
namespace {

Step erspan_common(DecodeCtx& ctx, Bytes data, size_t hlen, uint8_t version) {
  DecodeCounters& c = ctx.c;
  if (data.size() < hlen) {
    ++c.ev_erspan_small;
    return {};
  }
  if ((data[0] >> 4) != version) {
    ++c.ev_erspan_version;
    return {};
  }
  uint16_t vlan = rd16(data.data()) & 0x0fff;
  Packet& p = ctx.p;
  if (vlan != 0) {
    if (p.vlan_count >= 2) {
      ++c.ev_erspan_vlan;
      return {};
    }
    p.vlan_id[p.vlan_count++] = vlan;
  }
  return {Next::kEthertype, kEtherTeb, data.subspan(hlen)};
}

}  // namespace

Step decode_erspan2(DecodeCtx& ctx, Bytes data) {
  return erspan_common(ctx, data, 8, 1);
}

Step decode_erspan3(DecodeCtx& ctx, Bytes data) {
  if (data.size() >= 12) {
    // Frame type (bits 10-14 of the last word): 0 is Ethernet; 2 (bare IP)
    // is left undecoded, as nobody we know sends it.
    uint8_t ft = static_cast<uint8_t>((data[10] >> 2) & 0x1f);
    if (ft != 0) {
      ++ctx.c.ev_erspan_frame;
      return {};
    }
    bool platform = data[11] & 0x01;
    return erspan_common(ctx, data, platform ? 20 : 12, 2);
  }
  ++ctx.c.ev_erspan_small;
  return {};
}

}  // namespace vigil::decode

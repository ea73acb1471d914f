// Teredo (RFC 4380): IPv6 in UDP, ports from DecodeConfig (3544 by default,
// either side). There is no Teredo header to check, so, as Suricata, the
// payload must be exactly one IPv6 packet: an optional 8-byte origin
// indication (00 00 ...) is skipped, authentication messages (00 01) and
// bubbles (next header 59, no payload) are qualification traffic, not
// tunnelled packets. Anything else stays plain UDP, without an anomaly:
// most traffic on a Teredo port that fails these checks is simply not Teredo.
#include "agent/decode/layers.h"

namespace vigil::decode {

Step decode_teredo(DecodeCtx& ctx, Bytes data) {
  size_t off = 0;
  if (data.size() >= 2 && data[0] == 0) {
    if (data[1] != 0) return {Next::kDone, 0, {}};
    off = 8;  // origin indication
  }
  if (data.size() < off + 40) return {Next::kDone, 0, {}};
  const uint8_t* h = data.data() + off;
  if ((h[0] >> 4) != 6 || h[6] == 59) return {Next::kDone, 0, {}};
  if (40 + size_t(rd16(h + 4)) != data.size() - off) return {Next::kDone, 0, {}};
  ++ctx.c.teredo;
  return {Next::kTunnel, kEtherIpv6, data.subspan(off), Tunnel::kTeredo};
}

}  // namespace vigil::decode

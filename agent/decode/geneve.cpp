// Geneve (RFC 8926) over UDP, destination ports from DecodeConfig (6081 by
// default): an 8-byte header (version 0, options length in 4-byte words,
// protocol type as an ethertype, VNI), options skipped by their lengths,
// then the payload the protocol type names (Ethernet 0x6558, IPv4, IPv6).
// Every option's length must add up to the header's options length, which
// keeps non-Geneve traffic on the port from being misread; a header that
// fails the checks leaves the packet plain UDP with the anomaly counted.
#include "agent/decode/layers.h"

namespace vigil::decode {

Step decode_geneve(DecodeCtx& ctx, Bytes data) {
  DecodeCounters& c = ctx.c;
  if (data.size() < 8) {
    ++c.ev_geneve_small;
    return {Next::kDone, 0, {}};
  }
  if ((data[0] >> 6) != 0) {
    ++c.ev_geneve_version;
    return {Next::kDone, 0, {}};
  }
  size_t opt_len = size_t(data[0] & 0x3f) * 4;
  if (8 + opt_len > data.size()) {
    ++c.ev_geneve_small;
    return {Next::kDone, 0, {}};
  }
  // Each option: class (2), type (1), 3 reserved bits + length in words (1).
  size_t off = 8, end = 8 + opt_len;
  while (off < end) {
    if (off + 4 > end) {
      ++c.ev_geneve_opt_len;
      return {Next::kDone, 0, {}};
    }
    off += 4 + size_t(data[off + 3] & 0x1f) * 4;
  }
  if (off != end) {
    ++c.ev_geneve_opt_len;
    return {Next::kDone, 0, {}};
  }
  uint16_t proto = rd16(data.data() + 2);
  switch (proto) {
    case kEtherTeb:
    case kEtherIpv4:
    case kEtherIpv6:
      break;
    default:
      ++c.ev_geneve_payload;
      return {Next::kDone, 0, {}};
  }
  ++c.geneve;
  return {Next::kTunnel, proto, data.subspan(end), Tunnel::kGeneve};
}

}  // namespace vigil::decode

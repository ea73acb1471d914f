// libFuzzer target for the whole decode stage. The first input byte picks the
// link type, the rest is the frame. One Decoder lives across inputs so that
// fragments from different inputs meet in the defragmenter (with a small
// memcap and tracker count, so the caps are exercised too), and packet time
// advances so trackers expire. fanout_hash sees every frame as well. Every
// packet inside a tunnel (GRE, VXLAN, Geneve, Teredo, IP in IP) is decoded
// too; Teredo listens on every port here so that random UDP reaches it.
#include <cstddef>
#include <cstdint>

#include "agent/decode/decoder.h"

namespace {

constexpr int kLinkTypes[] = {1, 0, 108, 12, 14, 101, 113, 228, 229, 276, 9, 50, 104};

vigil::Decoder& decoder() {
  static vigil::DecodeConfig cfg = [] {
    vigil::DecodeConfig c;
    c.defrag_memcap = 256 * 1024;
    c.defrag_max_trackers = 64;
    c.defrag_timeout_s = 5;
    c.teredo_ports = {3544, 53, 80, 443};
    return c;
  }();
  static vigil::Decoder d(cfg);
  return d;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  static int64_t clock = 1700000000;
  static uint64_t n = 0;
  vigil::Packet p;
  p.linktype = kLinkTypes[data[0] % (sizeof kLinkTypes / sizeof kLinkTypes[0])];
  p.frame = vigil::Bytes(data + 1, size - 1);
  p.wire_len = static_cast<uint32_t>(size - 1);
  p.ts = {clock, 0};
  p.pcap_cnt = ++n;
  (void)vigil::fanout_hash(p.linktype, p.frame);
  vigil::Decoder& d = decoder();
  // Touch every byte a packet claims, so a span past its buffer trips ASan.
  auto touch = [](const vigil::Packet& q) {
    volatile uint8_t sink = 0;
    for (uint8_t b : q.l3) sink = sink ^ b;
    for (uint8_t b : q.payload) sink = sink ^ b;
    (void)sink;
  };
  if (d.decode(p)) touch(p);
  while (d.has_tunnel_packet()) {
    vigil::Packet inner;
    if (d.decode_tunnel(inner)) touch(inner);
  }
  if (n % 64 == 0) {
    clock += 1;
    d.expire({clock, 0});
  }
  return 0;
}

// fanout_hash: the capture reader's worker choice. The link layers (link
// header, VLAN tags, PPPoE, ...) are decoded by the decoder's own link-type
// and ethertype tables (walk_to_network in decoder.cpp), so the fan-out can
// never disagree with the decoder about where the IP header is; the decoder's
// counts are made into a scratch set of counters that nobody reads, on the
// reader thread. Symmetric because the two addresses are ordered before
// hashing; ports are left out so that non-first fragments (which have none)
// follow their datagram.
// Tunnels are not opened here on purpose: the outer address pair is the same
// for both directions of every flow inside a GRE/VXLAN/Geneve/IP-in-IP tunnel
// (the endpoints swap, the pair does not), and for every fragment of an inner
// datagram, so hashing it keeps an inner flow and its fragments on one
// worker. The price: one tunnel between two hosts is one worker's load.
#include <algorithm>
#include <cstring>

#include "agent/decode/decoder.h"
#include "agent/decode/layers.h"

namespace vigil {

// What the link decoders write while the fan-out walks them (VLAN ids into the
// packet, counts into the counters): made once per reader, so a walk costs no
// allocation and no zeroing of a whole Packet and ~120 counters per frame.
struct Fanout::Scratch {
  Packet p;
  DecodeCounters c;
  DecodeConfig cfg;
  decode::DecodeCtx ctx{p, c, cfg, {}, false};
};

namespace {

// Is the N-byte address at a above the one at b (memcmp order)? Whole words,
// big-endian, so the common sizes need no library call.
template <size_t N>
bool above(const uint8_t* a, const uint8_t* b) {
  for (size_t i = 0; i < N; i += 4) {
    uint32_t x = decode::rd32(a + i), y = decode::rd32(b + i);
    if (x != y) return x > y;
  }
  return false;
}

// FNV-1a over (lower address, higher address, VLAN ids), then a final mix
// so that workers chosen by modulo see well-spread low bits. `src` is the
// source address, the destination follows it.
template <size_t N>
uint32_t pair_hash(const uint8_t* src, const uint16_t vlan[2]) {
  const uint8_t* a = src;
  const uint8_t* b = src + N;
  if (above<N>(a, b)) std::swap(a, b);
  uint32_t h = 2166136261u;
  auto mix = [&h](const uint8_t* p, size_t n) {
    for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 16777619u;
  };
  mix(a, N);
  mix(b, N);
  uint8_t v[4] = {static_cast<uint8_t>(vlan[0] >> 8), static_cast<uint8_t>(vlan[0]),
                  static_cast<uint8_t>(vlan[1] >> 8), static_cast<uint8_t>(vlan[1])};
  mix(v, sizeof v);
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  return h == 0 ? 1 : h;  // 0 is reserved for "not IP"
}

}  // namespace

Fanout::Fanout() : s_(std::make_unique<Scratch>()) {}
Fanout::~Fanout() = default;

uint32_t fanout_hash(int linktype, Bytes frame) {
  return Fanout().hash(linktype, frame);
}

uint32_t Fanout::hash(int linktype, Bytes frame) {
  Scratch& s = *s_;
  s.p.vlan_id[0] = s.p.vlan_id[1] = 0;
  s.p.vlan_count = 0;
  Bytes l3;
  const decode::EtherRow* net = decode::walk_to_network(s.ctx, linktype, frame, &l3);
  if (!net) return 0;
  if (l3.size() < size_t{net->addr_off} + 2 * size_t{net->addr_len}) return 0;
  const uint8_t* src = l3.data() + net->addr_off;
  return net->addr_len == 4 ? pair_hash<4>(src, s.p.vlan_id) : pair_hash<16>(src, s.p.vlan_id);
}

}  // namespace vigil

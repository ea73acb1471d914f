// fanout_hash: the capture reader's worker choice. The link layers (link
// header, VLAN tags, PPPoE, ...) are decoded by the decoder's own link-type
// and ethertype tables (walk_to_network in decoder.cpp), so the fan-out can
// never disagree with the decoder about where the IP header is; the decoder's
// counts are made into a scratch set of counters that nobody reads, on the
// reader thread. Symmetric because the two addresses are ordered before
// hashing; ports are left out so that non-first fragments (which have none)
// follow their datagram.
// ICMP errors go where the flow they quote goes: the worker hashes them into
// that flow (flow_key.cpp make_icmp_error_key), so the reader hashes the
// quoted address pair, read by the same parse_icmp_quote. A fragmented error
// (rare: a quote is small) stays on its outer pair, where its fragments meet.
// Tunnels are not opened here on purpose: the outer address pair is the same
// for both directions of every flow inside a GRE/VXLAN/Geneve/IP-in-IP tunnel
// (the endpoints swap, the pair does not), and for every fragment of an inner
// datagram, so hashing it keeps an inner flow and its fragments on one
// worker. The price: one tunnel between two hosts is one worker's load.
#include <algorithm>
#include <cstring>

#include "agent/decode/decoder.h"
#include "agent/decode/icmp_quote.h"
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

// When l3 (an IP header of `addr_len`-byte addresses through the frame's
// end) is an unfragmented ICMP error whose quote names a flow, that quote;
// else false. Bounded by the IP length as the decoder's payload is (Ethernet
// padding is no quote). IPv6: hop-by-hop, routing and destination options
// headers are walked; anything else (a fragment header) is left alone.
bool icmp_error_quote(Bytes l3, size_t addr_len, IcmpQuote* q) {
  size_t off = 0, end = 0;
  uint8_t proto = 0;
  if (addr_len == 4) {
    if (l3.size() < 20 || (l3[0] >> 4) != 4) return false;
    off = size_t(l3[0] & 0x0f) * 4;
    end = decode::rd16(l3.data() + 2);
    proto = l3[9];
    if ((decode::rd16(l3.data() + 6) & 0x3fff) != 0) return false;  // MF or offset
  } else {
    if (l3.size() < 40 || (l3[0] >> 4) != 6) return false;
    off = 40;
    end = 40 + size_t{decode::rd16(l3.data() + 4)};
    proto = l3[6];
    for (int i = 0; i < 8 && (proto == 0 || proto == 43 || proto == 60); ++i) {
      if (end > l3.size() || off + 8 > end) return false;
      proto = l3[off];
      off += (size_t{l3[off + 1]} + 1) * 8;
    }
  }
  if (proto != 1 && proto != 58) return false;
  if (end > l3.size() || off < 20 || off + 8 > end) return false;
  if (!is_icmp_error(proto, l3[off])) return false;
  return parse_icmp_quote(proto, l3.subspan(off + 8, end - off - 8), q);
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
  IcmpQuote q;
  if (icmp_error_quote(l3, net->addr_len, &q)) {
    return q.version == 4 ? pair_hash<4>(q.src, s.p.vlan_id) : pair_hash<16>(q.src, s.p.vlan_id);
  }
  const uint8_t* src = l3.data() + net->addr_off;
  return net->addr_len == 4 ? pair_hash<4>(src, s.p.vlan_id) : pair_hash<16>(src, s.p.vlan_id);
}

}  // namespace vigil

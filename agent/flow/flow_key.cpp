#include "agent/flow/flow_key.h"

#include <cstring>
#include <utility>

#include "agent/decode/icmp_quote.h"

namespace vigil {

namespace {

constexpr uint8_t kProtoIcmp = 1, kProtoIcmpv6 = 58;

uint64_t mix64(uint64_t x) {  // splitmix64 finaliser
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return x;
}

}  // namespace

uint8_t flow_proto(const Packet& p) {
  switch (p.l4) {
    case L4::kTcp:
      return 6;
    case L4::kUdp:
      return 17;
    case L4::kIcmp:
      return kProtoIcmp;
    case L4::kIcmpv6:
      return kProtoIcmpv6;
    case L4::kOther:
    case L4::kNone:
      return p.ip_proto;
  }
  return p.ip_proto;
}

bool icmp_is_reply(uint8_t proto, uint8_t type) {
  if (proto == kProtoIcmp) return type == 0 || type == 14 || type == 16 || type == 18;
  if (proto == kProtoIcmpv6) return type == 129;
  return false;
}

bool make_flow_key(const Packet& p, FlowKey* k) {
  if (p.invalid || p.is_fragment || (p.ip_version != 4 && p.ip_version != 6)) return false;
  *k = FlowKey();
  k->proto = flow_proto(p);
  for (int i = 0; i < p.vlan_count && i < 2; ++i) k->vlan[i] = p.vlan_id[i];
  bool swap = p.dst < p.src;
  if (p.l4 == L4::kTcp || p.l4 == L4::kUdp) {
    k->port_lo = p.sp;
    k->port_hi = p.dp;
    swap = p.dst < p.src || (p.dst == p.src && p.dp < p.sp);
    if (swap) std::swap(k->port_lo, k->port_hi);
  } else if (p.l4 == L4::kIcmp || p.l4 == L4::kIcmpv6) {
    // Not per-endpoint values: they stay in place when the addresses swap.
    k->icmp_pair = icmp_pair_of(k->proto, p.icmp.type);
    if (k->icmp_pair != 0 && p.icmp.has_id_seq) {
      k->port_lo = k->port_hi = p.icmp.id;
    } else {
      k->icmp_pair = 0;
      k->port_lo = p.icmp.type;
      k->port_hi = p.icmp.code;
    }
  }
  k->lo = swap ? p.dst : p.src;
  k->hi = swap ? p.src : p.dst;
  return true;
}

bool make_icmp_error_key(const Packet& p, FlowKey* k) {
  if (p.invalid || (p.l4 != L4::kIcmp && p.l4 != L4::kIcmpv6)) return false;
  const uint8_t proto = p.l4 == L4::kIcmp ? kProtoIcmp : kProtoIcmpv6;
  // The decoders give the bytes after the 8-byte ICMP header as payload: for
  // errors, that is the quoted packet. The fan-out reads it the same way.
  IcmpQuote q;
  if (!is_icmp_error(proto, p.icmp.type) || !parse_icmp_quote(proto, p.payload, &q)) return false;
  Packet inner;
  inner.ip_version = q.version;
  inner.ip_proto = q.proto;
  inner.src = q.version == 4 ? IpAddr::v4(q.src) : IpAddr::v6(q.src);
  inner.dst = q.version == 4 ? IpAddr::v4(q.dst) : IpAddr::v6(q.dst);
  if (q.proto == 6 || q.proto == 17) {
    inner.l4 = q.proto == 6 ? L4::kTcp : L4::kUdp;
    inner.sp = q.sp;
    inner.dp = q.dp;
  } else {
    inner.l4 = q.proto == kProtoIcmp ? L4::kIcmp : L4::kIcmpv6;
    inner.icmp.type = q.icmp_type;
    inner.icmp.code = q.icmp_code;
    inner.icmp.has_id_seq = true;
    inner.icmp.id = q.icmp_id;
  }
  inner.vlan_count = p.vlan_count;
  inner.vlan_id[0] = p.vlan_id[0];
  inner.vlan_id[1] = p.vlan_id[1];
  return make_flow_key(inner, k);
}

uint64_t flow_key_hash(const FlowKey& k) {
  // Word-wise over the fields (not the struct bytes: no padding in the hash).
  // IPv4 addresses keep their unused 12 bytes zero, so all 16 are read.
  auto load = [](const uint8_t* p) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
  };
  const uint64_t meta = uint64_t(k.port_lo) << 48 | uint64_t(k.port_hi) << 32 | uint64_t(k.vlan[0]) << 20 |
                        uint64_t(k.vlan[1]) << 8 | k.lo.family;
  const uint64_t meta2 = uint64_t(k.proto) << 8 | k.icmp_pair;
  uint64_t h = mix64(load(k.lo.b.data()) ^ 0x9e3779b97f4a7c15ull);
  h = mix64(h ^ load(k.lo.b.data() + 8));
  h = mix64(h ^ load(k.hi.b.data()));
  h = mix64(h ^ load(k.hi.b.data() + 8));
  h = mix64(h ^ meta);
  h = mix64(h ^ meta2);
  return k.quote == 0 ? h : mix64(h ^ k.quote);
}

uint64_t make_flow_id(uint64_t key_hash, Timestamp first) {
  const uint64_t id = mix64(key_hash ^ mix64(uint64_t(first.micros()))) & ((1ull << 53) - 1);
  return id == 0 ? 1 : id;
}

}  // namespace vigil

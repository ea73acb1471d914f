// The dispatcher: link type, ethertype and IP protocol tables pick the next
// decoder, so no decoder knows about another (adding a protocol is one
// file plus one table row here).
#include "agent/decode/decoder.h"

#include <array>

#include "agent/decode/defrag.h"
#include "agent/decode/layers.h"

namespace vigil {

using decode::DecodeCtx;
using decode::Next;
using decode::Step;
using LayerFn = Step (*)(DecodeCtx&, Bytes);

namespace {

struct LinkRow {
  int linktype;
  LayerFn fn;
};
// DLT values: 0 NULL, 1 EN10MB, 9 PPP, 12/14 RAW (platform-specific),
// 50 PPP_SERIAL, 101 RAW, 104 C_HDLC, 108 LOOP, 113 LINUX_SLL, 228 IPV4,
// 229 IPV6, 276 LINUX_SLL2.
constexpr LinkRow kLinkTable[] = {
    {1, decode::decode_ethernet}, {113, decode::decode_sll},  {276, decode::decode_sll2},
    {12, decode::decode_raw},     {14, decode::decode_raw},   {101, decode::decode_raw},
    {228, decode::decode_raw4},   {229, decode::decode_raw6}, {0, decode::decode_null},
    {108, decode::decode_null},   {9, decode::decode_ppp},    {50, decode::decode_ppp},
    {104, decode::decode_chdlc},
};

struct EtherRow {
  uint16_t ethertype;
  LayerFn fn;
};
constexpr EtherRow kEtherTable[] = {
    {decode::kEtherIpv4, decode::decode_ipv4},    {decode::kEtherIpv6, decode::decode_ipv6},
    {decode::kEtherVlan, decode::decode_vlan},    {decode::kEtherQinq, decode::decode_vlan},
    {decode::kEtherQinqOld, decode::decode_vlan}, {decode::kEtherArp, decode::decode_arp},
    {decode::kEtherPppoe, decode::decode_pppoe},
};

constexpr std::array<LayerFn, 256> make_proto_table() {
  std::array<LayerFn, 256> t{};
  t[1] = decode::decode_icmpv4;
  t[6] = decode::decode_tcp;
  t[17] = decode::decode_udp;
  t[58] = decode::decode_icmpv6;
  return t;
}
constexpr std::array<LayerFn, 256> kProtoTable = make_proto_table();

LayerFn link_decoder(int linktype) {
  for (const LinkRow& r : kLinkTable) {
    if (r.linktype == linktype) return r.fn;
  }
  return nullptr;
}

LayerFn ether_decoder(uint16_t type) {
  for (const EtherRow& r : kEtherTable) {
    if (r.ethertype == type) return r.fn;
  }
  return nullptr;
}

// Forgets what the IP and transport decoders wrote for the fragment, before
// the reassembled datagram is decoded into the same Packet.
void reset_network(Packet& p) {
  Packet fresh;
  fresh.ts = p.ts;
  fresh.pcap_cnt = p.pcap_cnt;
  fresh.linktype = p.linktype;
  fresh.frame = p.frame;
  fresh.wire_len = p.wire_len;
  fresh.vlan_id[0] = p.vlan_id[0];
  fresh.vlan_id[1] = p.vlan_id[1];
  fresh.vlan_count = p.vlan_count;
  p = fresh;
}

}  // namespace

struct Decoder::Impl {
  explicit Impl(const DecodeConfig& c) : cfg(c), defrag(cfg, counters) {}
  DecodeConfig cfg;
  DecodeCounters counters;
  decode::Defrag defrag;

  bool run(DecodeCtx& ctx, Step s);
  bool fragment(DecodeCtx& ctx);
};

bool Decoder::Impl::run(DecodeCtx& ctx, Step s) {
  Packet& p = ctx.p;
  for (;;) {
    switch (s.next) {
      case Next::kEthertype: {
        LayerFn fn = ether_decoder(s.type);
        if (!fn) {
          ++counters.unknown_ethertype;
          return false;
        }
        s = fn(ctx, s.rest);
        break;
      }
      case Next::kIpProto: {
        LayerFn fn = kProtoTable[s.type & 0xff];
        if (!fn) {
          ++counters.other_ip_proto;
          p.l4 = L4::kOther;
          p.payload = s.rest;
          return true;
        }
        s = fn(ctx, s.rest);
        break;
      }
      case Next::kDone:
        return true;
      case Next::kNotIp:
        return false;
      case Next::kFragment:
        return fragment(ctx);
      case Next::kInvalid:
        p.invalid = true;
        ++counters.invalid;
        return false;
    }
  }
}

bool Decoder::Impl::fragment(DecodeCtx& ctx) {
  Packet& p = ctx.p;
  p.is_fragment = true;
  Bytes whole;
  switch (defrag.add(ctx.frag, p, whole)) {
    case decode::Defrag::Result::kHeld:
    case decode::Defrag::Result::kDropped:
      return false;
    case decode::Defrag::Result::kInvalid:
      p.invalid = true;
      ++counters.invalid;
      return false;
    case decode::Defrag::Result::kComplete:
      break;
  }
  bool v6 = ctx.frag.v6;
  uint32_t id = ctx.frag.id;
  reset_network(p);
  p.reassembled = true;
  p.ip_id = id;  // IPv6 keeps it only in the fragment header, which is gone now
  DecodeCtx inner{p, counters, cfg, {}, true};
  return run(inner, Step{Next::kEthertype, v6 ? decode::kEtherIpv6 : decode::kEtherIpv4, whole});
}

Decoder::Decoder(const DecodeConfig& cfg) : impl_(std::make_unique<Impl>(cfg)) {}
Decoder::~Decoder() = default;

bool Decoder::decode(Packet& p) {
  DecodeCounters& c = impl_->counters;
  ++c.pkts;
  c.bytes += p.frame.size();
  DecodeCtx ctx{p, c, impl_->cfg, {}, false};
  LayerFn link = link_decoder(p.linktype);
  if (!link) {
    ++c.ev_link_unsupported;
    p.invalid = true;
    ++c.invalid;
    return false;
  }
  return impl_->run(ctx, link(ctx, p.frame));
}

void Decoder::expire(Timestamp now) {
  impl_->defrag.expire(now);
}

void Decoder::visit_counters(const CounterVisitor& f) const {
  impl_->counters.visit(f);
}

}  // namespace vigil

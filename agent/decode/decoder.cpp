// The dispatcher: link type, ethertype and IP protocol tables pick the next
// decoder, so no decoder knows about another (adding a protocol is one
// file plus one table row here).
#include "agent/decode/decoder.h"

#include <array>

#include "agent/decode/defrag.h"
#include "agent/decode/layers.h"

namespace vigil {

using decode::DecodeCtx;
using decode::EtherRow;
using decode::Layer;
using decode::LayerFn;
using decode::Next;
using decode::Step;

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

// IPv4 addresses sit at offset 12 of the header, IPv6 ones at 8.
constexpr EtherRow kEtherTable[] = {
    {decode::kEtherIpv4, decode::decode_ipv4, Layer::kNetwork, 12, 4},
    {decode::kEtherIpv6, decode::decode_ipv6, Layer::kNetwork, 8, 16},
    {decode::kEtherVlan, decode::decode_vlan, Layer::kLink},
    {decode::kEtherQinq, decode::decode_vlan, Layer::kLink},
    {decode::kEtherQinqOld, decode::decode_vlan, Layer::kLink},
    {decode::kEtherArp, decode::decode_arp, Layer::kOther},
    {decode::kEtherPppoe, decode::decode_pppoe, Layer::kLink},
    // tunnel payloads (GRE protocol field, Geneve protocol type)
    {decode::kEtherTeb, decode::decode_ethernet, Layer::kLink},
    {decode::kEtherPpp, decode::decode_ppp, Layer::kLink},
    {decode::kEtherErspan2, decode::decode_erspan2, Layer::kLink},
    {decode::kEtherErspan3, decode::decode_erspan3, Layer::kLink},
};

constexpr std::array<LayerFn, 256> make_proto_table() {
  std::array<LayerFn, 256> t{};
  t[1] = decode::decode_icmpv4;
  t[4] = decode::decode_ipip4;
  t[6] = decode::decode_tcp;
  t[41] = decode::decode_ipip6;
  t[47] = decode::decode_gre;
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

const EtherRow* ether_row(uint16_t type) {
  for (const EtherRow& r : kEtherTable) {
    if (r.ethertype == type) return &r;
  }
  return nullptr;
}

LayerFn ether_decoder(uint16_t type) {
  const EtherRow* r = ether_row(type);
  return r ? r->fn : nullptr;
}

bool has_port(const std::vector<uint16_t>& ports, uint16_t port) {
  for (uint16_t x : ports)
    if (x == port) return true;
  return false;
}

// UDP tunnels are chosen by port (Suricata's rule: VXLAN and Geneve by
// destination port, Teredo by either).
LayerFn udp_tunnel_decoder(const DecodeConfig& cfg, uint16_t sp, uint16_t dp) {
  if (has_port(cfg.vxlan_ports, dp)) return decode::decode_vxlan;
  if (has_port(cfg.geneve_ports, dp)) return decode::decode_geneve;
  if (has_port(cfg.teredo_ports, dp) || has_port(cfg.teredo_ports, sp)) return decode::decode_teredo;
  return nullptr;
}

// Forgets what the IP and transport decoders wrote for the fragment, before
// the reassembled datagram is decoded into the same Packet.
void reset_network(Packet& p) {
  Packet fresh(p.capture());
  fresh.vlan_id[0] = p.vlan_id[0];
  fresh.vlan_id[1] = p.vlan_id[1];
  fresh.vlan_count = p.vlan_count;
  fresh.tunnel_depth = p.tunnel_depth;
  fresh.tunnel = p.tunnel;
  p = fresh;
}

// The transport (or tunnel) header after a good IP header is broken: the
// packet stays an IP packet for detection, without L4 fields or a flow.
void drop_l4(Packet& p) {
  p.l4 = L4::kNone;
  p.sp = p.dp = 0;
  p.tcp = TcpInfo{};
  p.icmp = IcmpInfo{};
  p.payload = {};
  p.l4_csum_bad = false;
  p.carries = Tunnel::kNone;
  p.l4_invalid = true;
  p.no_flow = true;
}

}  // namespace

const EtherRow* decode::walk_to_network(DecodeCtx& ctx, int linktype, Bytes frame, Bytes* l3) {
  LayerFn link = link_decoder(linktype);
  if (!link) return nullptr;
  Step s = link(ctx, frame);
  while (s.next == Next::kEthertype) {
    const EtherRow* r = ether_row(s.type);
    if (!r || r->layer == Layer::kOther) return nullptr;
    if (r->layer == Layer::kNetwork) {
      *l3 = s.rest;
      return r;
    }
    s = r->fn(ctx, s.rest);
  }
  return nullptr;
}

struct Decoder::Impl {
  explicit Impl(const DecodeConfig& c) : cfg(c), defrag(cfg, counters) {}
  DecodeConfig cfg;
  DecodeCounters counters;
  decode::Defrag defrag;

  // The tunnel found in the packet last decoded, opened by decode_tunnel().
  struct Pending {
    bool set = false;
    Step step;
    uint8_t depth = 0;
    uint16_t vlan_id[2] = {0, 0};
    uint8_t vlan_count = 0;
  };
  Pending pending;
  // Capture fields of the frame last given to decode(), for its inner packets.
  CaptureInfo cap;

  bool run(DecodeCtx& ctx, Step s);
  bool fragment(DecodeCtx& ctx);
  bool tunnel(DecodeCtx& ctx, const Step& s);
};

bool Decoder::Impl::run(DecodeCtx& ctx, Step s) {
  Packet& p = ctx.p;
  bool past_ip = false;  // an IP header decoded: later failures keep the packet
  bool udp_tunnel_tried = false;
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
        past_ip = true;
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
        if (p.l4 == L4::kUdp && !udp_tunnel_tried) {
          udp_tunnel_tried = true;
          if (LayerFn fn = udp_tunnel_decoder(cfg, p.sp, p.dp)) {
            s = fn(ctx, p.payload);  // kDone when the payload is not that tunnel
            break;
          }
        }
        return true;
      case Next::kNotIp:
        return false;
      case Next::kFragment:
        return fragment(ctx);
      case Next::kTunnel:
        return tunnel(ctx, s);
      case Next::kInvalid:
        ++counters.invalid;
        if (past_ip) {
          drop_l4(p);
          return true;
        }
        p.invalid = true;
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

bool Decoder::Impl::tunnel(DecodeCtx& ctx, const Step& s) {
  Packet& p = ctx.p;
  p.carries = s.tunnel;
  // Suricata tracks no flow for a GRE or IP-in-IP carrier (the inner packet
  // has its own); a UDP carrier (VXLAN, Geneve, Teredo) keeps its UDP flow.
  if (s.tunnel == Tunnel::kGre || s.tunnel == Tunnel::kPptp || s.tunnel == Tunnel::kErspan ||
      s.tunnel == Tunnel::kIpInIp)
    p.no_flow = true;
  if (p.tunnel_depth >= cfg.max_tunnel_depth) {
    ++counters.ev_tunnel_depth;
    return true;
  }
  pending.set = true;
  pending.step = s;
  pending.depth = static_cast<uint8_t>(p.tunnel_depth + 1);
  pending.vlan_id[0] = p.vlan_id[0];
  pending.vlan_id[1] = p.vlan_id[1];
  pending.vlan_count = p.vlan_count;
  return true;
}

Decoder::Decoder(const DecodeConfig& cfg) : impl_(std::make_unique<Impl>(cfg)) {}
Decoder::~Decoder() = default;

bool Decoder::decode(Packet& p) {
  DecodeCounters& c = impl_->counters;
  ++c.pkts;
  c.bytes += p.frame.size();
  Impl& m = *impl_;
  m.pending.set = false;
  m.cap = p.capture();
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

bool Decoder::has_tunnel_packet() const {
  return impl_->pending.set;
}

bool Decoder::decode_tunnel(Packet& inner) {
  Impl& m = *impl_;
  if (!m.pending.set) return false;
  const Impl::Pending t = m.pending;
  m.pending.set = false;
  inner = Packet(m.cap);
  // VLAN ids carry over, as in Suricata's tunnel packets: they are part of
  // the flow and defrag keys, and the same for both directions of a tunnel.
  inner.vlan_id[0] = t.vlan_id[0];
  inner.vlan_id[1] = t.vlan_id[1];
  inner.vlan_count = t.vlan_count;
  inner.tunnel_depth = t.depth;
  inner.tunnel = t.step.tunnel;
  DecodeCtx ctx{inner, m.counters, m.cfg, {}, false};
  return m.run(ctx, Step{Next::kEthertype, t.step.type, t.step.rest});
}

void Decoder::expire(Timestamp now) {
  impl_->defrag.expire(now);
}

void Decoder::visit_counters(const CounterVisitor& f) const {
  impl_->counters.visit(f);
}

}  // namespace vigil

// Tunnels: GRE (v0 flags, PPTP v1, TEB, PPP, ERSPAN I/II/III), VXLAN, Geneve,
// IP in IP, Teredo; inner fragments reassembled inside the tunnel; nesting
// and its depth cap; malformed tunnel headers keep the carrier usable.
#include <catch2/catch.hpp>

#include "tests/agent/decode/decode_test_util.h"

using namespace vigil;
using namespace vigil::test;

namespace {

Buf bytes(std::initializer_list<uint8_t> b) {
  return Buf(b);
}

Buf cat(const Buf& a, const Buf& b) {
  Buf r = a;
  r.insert(r.end(), b.begin(), b.end());
  return r;
}

// The inner IPv4 TCP SYN most tests carry: 10.2.0.1:39198 -> 10.2.0.2:1234.
Buf inner_syn() {
  return ipv4_datagram("10.2.0.1", "10.2.0.2", 6,
                       tcp_segment("10.2.0.1", "10.2.0.2", 39198, 1234, 100, 0, kSyn, ""));
}

Buf gre_frame(const Buf& gre, std::string_view src = "10.0.1.72", std::string_view dst = "10.0.2.31") {
  return link_frame(ipv4_datagram(src, dst, 47, gre));
}

// Every packet a frame yields, carrier first; `ok` holds each decode result.
struct Layers {
  std::vector<Packet> pkts;
  std::vector<bool> ok;
};

Layers decode_all(Decoder& d, const Buf& frame) {
  Layers l;
  Packet p = make_packet(frame);
  l.ok.push_back(d.decode(p));
  l.pkts.push_back(p);
  while (d.has_tunnel_packet()) {
    Packet inner;
    l.ok.push_back(d.decode_tunnel(inner));
    l.pkts.push_back(inner);
  }
  return l;
}

void check_inner_syn(const Packet& p, Tunnel kind, uint8_t depth = 1) {
  CHECK(p.tunnel == kind);
  CHECK(p.tunnel_depth == depth);
  CHECK(p.ip_version == 4);
  CHECK(p.src.to_string() == "10.2.0.1");
  CHECK(p.dst.to_string() == "10.2.0.2");
  CHECK(p.l4 == L4::kTcp);
  CHECK(p.sp == 39198);
  CHECK(p.dp == 1234);
  CHECK(p.tcp.flags == kSyn);
  CHECK_FALSE(p.no_flow);
  CHECK_FALSE(p.l4_csum_bad);
}

}  // namespace

TEST_CASE("GRE version 0 carrying IPv4: the carrier, then the inner packet") {
  Decoder d{DecodeConfig()};
  const Buf& f = keep(gre_frame(gre_packet(0x0800, inner_syn())));
  Layers l = decode_all(d, f);
  REQUIRE(l.pkts.size() == 2);
  CHECK(l.ok[0]);
  CHECK(l.ok[1]);
  const Packet& outer = l.pkts[0];
  CHECK(outer.ip_proto == 47);
  CHECK(outer.l4 == L4::kOther);
  CHECK(outer.carries == Tunnel::kGre);
  CHECK(outer.tunnel_depth == 0);
  CHECK(outer.no_flow);  // Suricata keeps no flow for GRE carriers
  CHECK(outer.src.to_string() == "10.0.1.72");
  check_inner_syn(l.pkts[1], Tunnel::kGre);
  CHECK(l.pkts[1].frame.data() == f.data());  // capture fields are the frame's
  CHECK(counter(d, "decoder.gre") == 1);
  CHECK(counter(d, "decoder.ipv4") == 2);
  CHECK(counter(d, "decoder.pkts") == 1);
  CHECK(anomalies(d) == 0);
  CHECK_FALSE(d.has_tunnel_packet());
}

TEST_CASE("GRE optional fields: checksum, key and sequence number are skipped") {
  Decoder d{DecodeConfig()};
  GreOpts o;
  o.checksum = o.key = o.seq = true;
  o.key_value = 0xdeadbeef;
  o.seq_value = 7;
  Buf inner6 = ipv6_datagram("2001:db8::1", "2001:db8::2", 17,
                             udp_datagram("2001:db8::1", "2001:db8::2", 5000, 53, "q"));
  const Buf& f = keep(gre_frame(gre_packet(0x86dd, inner6, o)));
  Layers l = decode_all(d, f);
  REQUIRE(l.pkts.size() == 2);
  REQUIRE(l.ok[1]);
  CHECK(l.pkts[1].ip_version == 6);
  CHECK(l.pkts[1].l4 == L4::kUdp);
  CHECK(l.pkts[1].dp == 53);
  CHECK(payload_sv(l.pkts[1]) == "q");
  CHECK(anomalies(d) == 0);
}

TEST_CASE("GRE carrying Ethernet (0x6558) and PPP (0x880b)") {
  Decoder d{DecodeConfig()};
  Buf eth = ethernet_frame(inner_syn(), 0x0800, FrameOpts{});
  Layers a = decode_all(d, keep(gre_frame(gre_packet(0x6558, eth))));
  REQUIRE(a.pkts.size() == 2);
  REQUIRE(a.ok[1]);
  check_inner_syn(a.pkts[1], Tunnel::kGre);

  // PPP with and without the HDLC address/control bytes, compressed protocol.
  Layers b = decode_all(d, keep(gre_frame(gre_packet(0x880b, cat(bytes({0x21}), inner_syn())))));
  REQUIRE(b.pkts.size() == 2);
  REQUIRE(b.ok[1]);
  check_inner_syn(b.pkts[1], Tunnel::kGre);
  Layers c =
      decode_all(d, keep(gre_frame(gre_packet(0x880b, cat(bytes({0xff, 0x03, 0x00, 0x21}), inner_syn())))));
  REQUIRE(c.ok.size() == 2);
  REQUIRE(c.ok[1]);
  CHECK(counter(d, "decoder.ppp") == 2);
  CHECK(anomalies(d) == 0);
}

TEST_CASE("PPTP enhanced GRE (version 1) carries PPP - an ack-only packet opens nothing") {
  Decoder d{DecodeConfig()};
  GreOpts o;
  o.version = 1;
  o.seq = true;
  o.ack = true;
  o.call_id = 42;
  Layers l = decode_all(
      d, keep(gre_frame(gre_packet(0x880b, cat(bytes({0xff, 0x03, 0x00, 0x21}), inner_syn()), o))));
  REQUIRE(l.pkts.size() == 2);
  CHECK(l.pkts[0].carries == Tunnel::kPptp);
  REQUIRE(l.ok[1]);
  check_inner_syn(l.pkts[1], Tunnel::kPptp);

  GreOpts ack_only;
  ack_only.version = 1;
  ack_only.ack = true;
  Layers a = decode_all(d, keep(gre_frame(gre_packet(0x880b, {}, ack_only))));
  CHECK(a.pkts.size() == 1);
  CHECK(a.ok[0]);
  CHECK(counter(d, "decoder.pptp") == 2);
  CHECK(anomalies(d) == 0);

  // Version 1 rules: a key is required, the protocol must be PPP.
  Buf no_key = gre_packet(0x880b, inner_syn(), o);
  no_key[0] &= ~0x20;
  Layers k = decode_all(d, keep(gre_frame(no_key)));
  CHECK(k.pkts.size() == 1);
  CHECK(counter(d, "decoder.event.gre.version1_no_key") == 1);
  Buf ipv4_v1 = gre_packet(0x0800, inner_syn(), o);
  decode_all(d, keep(gre_frame(ipv4_v1)));
  CHECK(counter(d, "decoder.event.gre.version1_wrong_protocol") == 1);
}

TEST_CASE("ERSPAN types I, II and III carry Ethernet - the ERSPAN VLAN is recorded") {
  Decoder d{DecodeConfig()};
  Buf eth = ethernet_frame(inner_syn(), 0x0800, FrameOpts{});
  // Type I: 0x88be without the sequence bit, no ERSPAN header.
  Layers t1 = decode_all(d, keep(gre_frame(gre_packet(0x88be, eth))));
  REQUIRE(t1.pkts.size() == 2);
  REQUIRE(t1.ok[1]);
  check_inner_syn(t1.pkts[1], Tunnel::kErspan);
  // Type II: sequence bit, 8-byte header, version 1, VLAN 100.
  GreOpts seq;
  seq.seq = true;
  Buf h2 = bytes({0x10, 0x64, 0x00, 0x01, 0, 0, 0, 0});
  Layers t2 = decode_all(d, keep(gre_frame(gre_packet(0x88be, cat(h2, eth), seq))));
  REQUIRE(t2.pkts.size() == 2);
  REQUIRE(t2.ok[1]);
  check_inner_syn(t2.pkts[1], Tunnel::kErspan);
  CHECK(t2.pkts[1].vlan_count == 1);
  CHECK(t2.pkts[1].vlan_id[0] == 100);
  // Type III: 12-byte header, version 2, with the 8-byte platform sub-header.
  Buf h3 = bytes({0x20, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0});
  Layers t3 = decode_all(d, keep(gre_frame(gre_packet(0x22eb, cat(h3, eth), seq))));
  REQUIRE(t3.pkts.size() == 2);
  REQUIRE(t3.ok[1]);
  check_inner_syn(t3.pkts[1], Tunnel::kErspan);
  CHECK(counter(d, "decoder.erspan") == 3);
  CHECK(anomalies(d) == 0);
  // A type II header with the wrong version: the inner packet is invalid.
  Buf bad = h2;
  bad[0] = 0x20;
  Layers b = decode_all(d, keep(gre_frame(gre_packet(0x88be, cat(bad, eth), seq))));
  REQUIRE(b.ok.size() == 2);
  CHECK_FALSE(b.ok[1]);
  CHECK(counter(d, "decoder.event.erspan.unsupported_version") == 1);
}

TEST_CASE("malformed GRE keeps the carrier as an IP packet without L4") {
  Decoder d{DecodeConfig()};
  Buf v2 = gre_packet(0x0800, inner_syn());
  v2[1] = 2;  // version 2 does not exist
  Layers l = decode_all(d, keep(gre_frame(v2)));
  REQUIRE(l.pkts.size() == 1);
  CHECK(l.ok[0]);
  const Packet& p = l.pkts[0];
  CHECK(p.l4_invalid);
  CHECK(p.no_flow);
  CHECK(p.l4 == L4::kNone);
  CHECK(p.ip_proto == 47);
  CHECK(p.payload.empty());
  CHECK(counter(d, "decoder.event.gre.wrong_version") == 1);
  CHECK(counter(d, "decoder.invalid") == 1);

  Buf recur = gre_packet(0x0800, inner_syn());
  recur[0] |= 0x01;
  decode_all(d, keep(gre_frame(recur)));
  CHECK(counter(d, "decoder.event.gre.version0_recur") == 1);
  GreOpts o;
  o.key = o.seq = true;
  Buf cut = gre_packet(0x0800, {}, o);
  cut.resize(6);
  decode_all(d, keep(gre_frame(cut)));
  CHECK(counter(d, "decoder.event.gre.version0_hdr_too_big") == 1);
  decode_all(d, keep(gre_frame(bytes({0, 0}))));
  CHECK(counter(d, "decoder.event.gre.pkt_too_small") == 1);
  // Well-formed GRE with a payload we do not decode (WCCP): no anomaly.
  Decoder d2{DecodeConfig()};
  Layers w = decode_all(d2, keep(gre_frame(gre_packet(0x883e, inner_syn()))));
  CHECK(w.pkts.size() == 1);
  CHECK(w.pkts[0].l4 == L4::kOther);
  CHECK(counter(d2, "decoder.gre_unknown_payload") == 1);
  CHECK(anomalies(d2) == 0);
}

TEST_CASE("fragments inside GRE/PPP are reassembled, then the datagram decoded") {
  // The shape of Suricata's bug 6942 test: each outer packet is whole, the
  // inner IPv4 datagram (a large UDP datagram) is fragmented.
  Decoder d{DecodeConfig()};
  std::string big(20000, 'A');
  Buf dgram = ipv4_datagram("1.1.1.1", "2.2.2.2", 17, udp_datagram("1.1.1.1", "2.2.2.2", 11111, 9999, big));
  std::vector<Buf> frags = fragment_ipv4(dgram, 1400);
  REQUIRE(frags.size() > 2);
  for (size_t i = 0; i < frags.size(); ++i) {
    Layers l = decode_all(
        d, keep(gre_frame(gre_packet(0x880b, cat(bytes({0x21}), frags[i])), "7.7.7.7", "9.9.9.9")));
    REQUIRE(l.pkts.size() == 2);
    CHECK(l.ok[0]);
    if (i + 1 < frags.size()) {
      CHECK_FALSE(l.ok[1]);  // held for reassembly
      CHECK(l.pkts[1].is_fragment);
      continue;
    }
    REQUIRE(l.ok[1]);
    const Packet& p = l.pkts[1];
    CHECK(p.reassembled);
    CHECK(p.tunnel == Tunnel::kGre);
    CHECK(p.tunnel_depth == 1);
    CHECK(p.l4 == L4::kUdp);
    CHECK(p.dp == 9999);
    CHECK(p.payload.size() == big.size());
    CHECK(payload_sv(p) == big);
  }
  CHECK(counter(d, "defrag.ipv4.reassembled") == 1);
  CHECK(anomalies(d) == 0);
}

TEST_CASE("outer fragments are reassembled first - an inner fragment completed by them is reassembled too") {
  Decoder d{DecodeConfig()};
  std::string data(3000, 'z');
  Buf inner = ipv4_datagram("1.1.1.1", "2.2.2.2", 17, udp_datagram("1.1.1.1", "2.2.2.2", 1, 2, data));
  std::vector<Buf> inner_frags = fragment_ipv4(inner, 1600);
  REQUIRE(inner_frags.size() == 2);
  // First inner fragment in a whole outer packet: held.
  Layers a = decode_all(d, keep(gre_frame(gre_packet(0x0800, inner_frags[0]), "7.7.7.7", "9.9.9.9")));
  REQUIRE(a.pkts.size() == 2);
  CHECK_FALSE(a.ok[1]);
  // The second one in an outer datagram that is itself fragmented: the
  // carrier is rebuilt in the defragmenter's buffer, then the inner datagram
  // is rebuilt in the same buffer.
  FrameOpts o;
  o.ip_id = 77;
  Buf outer = ipv4_datagram("7.7.7.7", "9.9.9.9", 47, gre_packet(0x0800, inner_frags[1]), o);
  std::vector<Buf> outer_frags = fragment_ipv4(outer, 800);
  REQUIRE(outer_frags.size() > 1);
  for (size_t i = 0; i + 1 < outer_frags.size(); ++i) {
    Layers h = decode_all(d, keep(link_frame(outer_frags[i])));
    CHECK(h.pkts.size() == 1);
    CHECK_FALSE(h.ok[0]);
  }
  Layers l = decode_all(d, keep(link_frame(outer_frags.back())));
  REQUIRE(l.pkts.size() == 2);
  CHECK(l.ok[0]);
  CHECK(l.pkts[0].reassembled);
  CHECK(l.pkts[0].carries == Tunnel::kGre);
  REQUIRE(l.ok[1]);
  CHECK(l.pkts[1].reassembled);
  CHECK(l.pkts[1].tunnel == Tunnel::kGre);
  CHECK(payload_sv(l.pkts[1]) == data);
  CHECK(counter(d, "defrag.ipv4.reassembled") == 2);
  CHECK(anomalies(d) == 0);
}

TEST_CASE("VXLAN on its UDP port - the carrier keeps its UDP flow") {
  Decoder d{DecodeConfig()};
  Buf eth = ethernet_frame(inner_syn(), 0x0800, FrameOpts{});
  const Buf& f = keep(udp4("192.168.0.1", "192.168.0.2", 51000, 4789, as_sv(vxlan_packet(77, eth))));
  Layers l = decode_all(d, f);
  REQUIRE(l.pkts.size() == 2);
  CHECK(l.pkts[0].l4 == L4::kUdp);
  CHECK(l.pkts[0].carries == Tunnel::kVxlan);
  CHECK_FALSE(l.pkts[0].no_flow);
  REQUIRE(l.ok[1]);
  check_inner_syn(l.pkts[1], Tunnel::kVxlan);
  CHECK(counter(d, "decoder.vxlan") == 1);
  CHECK(anomalies(d) == 0);

  // Another port: plain UDP, unless configured (Linux's old 8472).
  const Buf& g = keep(udp4("192.168.0.1", "192.168.0.2", 51000, 8472, as_sv(vxlan_packet(77, eth))));
  CHECK(decode_all(d, g).pkts.size() == 1);
  DecodeConfig cfg;
  cfg.vxlan_ports = {8472};
  Decoder d2{cfg};
  CHECK(decode_all(d2, g).pkts.size() == 2);
  CHECK(decode_all(d2, f).pkts.size() == 1);

  // Not VXLAN after all: no I flag, or an inner frame that is not Ethernet
  // carrying IP. Plain UDP, anomaly counted.
  Buf noflag = vxlan_packet(77, eth);
  noflag[0] = 0;
  Layers n = decode_all(d, keep(udp4("192.168.0.1", "192.168.0.2", 51000, 4789, as_sv(noflag))));
  CHECK(n.pkts.size() == 1);
  CHECK(n.pkts[0].carries == Tunnel::kNone);
  CHECK(n.pkts[0].l4 == L4::kUdp);
  CHECK(counter(d, "decoder.event.vxlan.invalid_flags") == 1);
  Buf odd = vxlan_packet(77, ethernet_frame(inner_syn(), 0x1234, FrameOpts{}));
  CHECK(decode_all(d, keep(udp4("192.168.0.1", "192.168.0.2", 51000, 4789, as_sv(odd)))).pkts.size() == 1);
  CHECK(counter(d, "decoder.event.vxlan.unknown_payload_type") == 1);
}

TEST_CASE("Geneve with options, nested GRE inside: three packets from one frame") {
  // The shape of Suricata's bug 6402 test: Ethernet/IPv4/UDP 6081/Geneve/
  // IPv4/GRE/IPv4/TCP.
  Decoder d{DecodeConfig()};
  Buf mid = ipv4_datagram("10.0.1.72", "10.0.2.31", 47, gre_packet(0x0800, inner_syn()));
  Buf opts = bytes({0x01, 0x08, 0x01, 0x01, 1, 2, 3, 4, 0x01, 0x08, 0x02, 0x01, 5, 6, 7, 8});
  Buf gen = geneve_packet(0x0800, 0, opts, mid);
  Layers l = decode_all(d, keep(udp4("10.0.10.74", "10.0.8.64", 60276, 6081, as_sv(gen))));
  REQUIRE(l.pkts.size() == 3);
  CHECK(l.ok[0]);
  CHECK(l.ok[1]);
  CHECK(l.ok[2]);
  CHECK(l.pkts[0].carries == Tunnel::kGeneve);
  CHECK(l.pkts[1].tunnel == Tunnel::kGeneve);
  CHECK(l.pkts[1].tunnel_depth == 1);
  CHECK(l.pkts[1].ip_proto == 47);
  CHECK(l.pkts[1].carries == Tunnel::kGre);
  CHECK(l.pkts[1].no_flow);
  check_inner_syn(l.pkts[2], Tunnel::kGre, 2);
  CHECK(counter(d, "decoder.geneve") == 1);
  CHECK(counter(d, "decoder.gre") == 1);
  CHECK(anomalies(d) == 0);

  // Ethernet payload (0x6558) works too.
  Buf eth = ethernet_frame(inner_syn(), 0x0800, FrameOpts{});
  Layers e = decode_all(
      d, keep(udp4("10.0.10.74", "10.0.8.64", 60276, 6081, as_sv(geneve_packet(0x6558, 9, {}, eth)))));
  REQUIRE(e.pkts.size() == 2);
  REQUIRE(e.ok[1]);
  check_inner_syn(e.pkts[1], Tunnel::kGeneve);

  // Option lengths that do not add up: plain UDP, anomaly.
  Buf bad = geneve_packet(0x0800, 0, bytes({0x01, 0x08, 0x01, 0x03, 1, 2, 3, 4}), mid);
  CHECK(decode_all(d, keep(udp4("10.0.10.74", "10.0.8.64", 60276, 6081, as_sv(bad)))).pkts.size() == 1);
  CHECK(counter(d, "decoder.event.geneve.invalid_opt_len") == 1);
  Buf ver = geneve_packet(0x0800, 0, {}, mid);
  ver[0] |= 0x40;
  CHECK(decode_all(d, keep(udp4("10.0.10.74", "10.0.8.64", 60276, 6081, as_sv(ver)))).pkts.size() == 1);
  CHECK(counter(d, "decoder.event.geneve.unknown_version") == 1);
}

TEST_CASE("tunnel nesting is capped by max_tunnel_depth") {
  DecodeConfig cfg;
  cfg.max_tunnel_depth = 1;
  Decoder d{cfg};
  Buf mid = ipv4_datagram("10.0.1.72", "10.0.2.31", 47, gre_packet(0x0800, inner_syn()));
  Layers l = decode_all(
      d, keep(udp4("10.0.10.74", "10.0.8.64", 60276, 6081, as_sv(geneve_packet(0x0800, 0, {}, mid)))));
  REQUIRE(l.pkts.size() == 2);
  CHECK(l.ok[1]);
  CHECK(l.pkts[1].ip_proto == 47);
  CHECK(counter(d, "decoder.event.tunnel.too_many_layers") == 1);

  // A GRE tunnel inside itself many times over stops at the default cap.
  Decoder d8{DecodeConfig()};
  Buf x = inner_syn();
  for (int i = 0; i < 12; ++i) x = ipv4_datagram("10.9.0.1", "10.9.0.2", 47, gre_packet(0x0800, x));
  Layers deep = decode_all(d8, keep(link_frame(x)));
  CHECK(deep.pkts.size() == 9);
  CHECK(deep.pkts.back().tunnel_depth == 8);
  CHECK(counter(d8, "decoder.event.tunnel.too_many_layers") == 1);
}

TEST_CASE("IP in IP: 4in4, 6in4, 4in6, 6in6") {
  Decoder d{DecodeConfig()};
  Buf in6 =
      ipv6_datagram("2001:db8::1", "2001:db8::2", 17, udp_datagram("2001:db8::1", "2001:db8::2", 1, 2, "x"));
  struct Case {
    Buf frame;
    const char* counter;
    uint8_t inner_version;
  };
  Case cases[] = {
      {link_frame(ipv4_datagram("192.0.2.1", "192.0.2.2", 4, inner_syn())), "decoder.ipv4_in_ipv4", 4},
      {link_frame(ipv4_datagram("192.0.2.1", "192.0.2.2", 41, in6)), "decoder.ipv6_in_ipv4", 6},
      {link_frame(ipv6_datagram("2001:db8::a", "2001:db8::b", 4, inner_syn())), "decoder.ipv4_in_ipv6", 4},
      {link_frame(ipv6_datagram("2001:db8::a", "2001:db8::b", 41, in6)), "decoder.ipv6_in_ipv6", 6},
  };
  for (auto& c : cases) {
    Layers l = decode_all(d, keep(c.frame));
    REQUIRE(l.pkts.size() == 2);
    CHECK(l.pkts[0].carries == Tunnel::kIpInIp);
    CHECK(l.pkts[0].no_flow);
    REQUIRE(l.ok[1]);
    CHECK(l.pkts[1].tunnel == Tunnel::kIpInIp);
    CHECK(l.pkts[1].ip_version == c.inner_version);
    CHECK(counter(d, c.counter) == 1);
  }
  CHECK(anomalies(d) == 0);
  // Protocol 4 with an IPv6 header inside: the carrier stays, without L4.
  Layers w = decode_all(d, keep(link_frame(ipv4_datagram("192.0.2.1", "192.0.2.2", 4, in6))));
  CHECK(w.pkts.size() == 1);
  CHECK(w.pkts[0].l4_invalid);
  CHECK(counter(d, "decoder.event.ipip.wrong_ip_version") == 1);
}

TEST_CASE("Teredo: IPv6 in UDP 3544, with or without origin indication - bubbles stay UDP") {
  Decoder d{DecodeConfig()};
  Buf in6 = ipv6_datagram("2001:0:4136:e378::1", "2001:db8::2", 17,
                          udp_datagram("2001:0:4136:e378::1", "2001:db8::2", 1000, 53, "q"));
  Layers a = decode_all(d, keep(udp4("192.0.2.9", "198.51.100.1", 40000, 3544, as_sv(in6))));
  REQUIRE(a.pkts.size() == 2);
  REQUIRE(a.ok[1]);
  CHECK(a.pkts[1].tunnel == Tunnel::kTeredo);
  CHECK(a.pkts[1].dp == 53);
  // From the server side (source port 3544), with an origin indication.
  Buf origin = cat(bytes({0, 0, 0x9c, 0x40, 0xc0, 0, 2, 9}), in6);
  Layers b = decode_all(d, keep(udp4("198.51.100.1", "192.0.2.9", 3544, 40000, as_sv(origin))));
  REQUIRE(b.pkts.size() == 2);
  CHECK(b.ok[1]);
  // A bubble (next header 59, no payload) and a length mismatch: plain UDP.
  Buf bubble = ipv6_datagram("2001:0:4136:e378::1", "2001:db8::2", 59, {});
  CHECK(decode_all(d, keep(udp4("192.0.2.9", "198.51.100.1", 40000, 3544, as_sv(bubble)))).pkts.size() == 1);
  Buf longer = cat(in6, bytes({0, 0}));
  CHECK(decode_all(d, keep(udp4("192.0.2.9", "198.51.100.1", 40000, 3544, as_sv(longer)))).pkts.size() == 1);
  CHECK(counter(d, "decoder.teredo") == 2);
  CHECK(anomalies(d) == 0);
}

TEST_CASE("fanout keeps both directions of a tunnelled flow on one worker") {
  // The hash reads the outer address pair, which is the same for both
  // directions of every flow inside the tunnel (and its fragments).
  Buf fwd = gre_frame(gre_packet(0x0800, inner_syn()), "10.0.1.72", "10.0.2.31");
  Buf rev_inner = ipv4_datagram("10.2.0.2", "10.2.0.1", 6,
                                tcp_segment("10.2.0.2", "10.2.0.1", 1234, 39198, 5, 101, kSyn | kAck, ""));
  Buf rev = gre_frame(gre_packet(0x0800, rev_inner), "10.0.2.31", "10.0.1.72");
  CHECK(fanout_hash(1, fwd) == fanout_hash(1, rev));
  CHECK(fanout_hash(1, fwd) != 0);
}

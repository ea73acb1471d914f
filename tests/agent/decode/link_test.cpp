// Link layers: Ethernet, VLAN/QinQ, SLL, SLL2, raw IP, BSD null/loop, ARP.
#include <catch2/catch.hpp>

#include "tests/agent/decode/decode_test_util.h"

using namespace vigil;
using namespace vigil::test;

TEST_CASE("Ethernet UDP frame decodes every layer and ignores padding") {
  Decoder d({});
  Buf f = udp4("10.0.0.1", "10.0.0.2", 1234, 53, "hi");
  REQUIRE(f.size() == 60);  // padded: 14 + 20 + 8 + 2 = 44 on the wire
  Packet p = make_packet(f);
  REQUIRE(d.decode(p));
  CHECK(p.ip_version == 4);
  CHECK(p.src.to_string() == "10.0.0.1");
  CHECK(p.dst.to_string() == "10.0.0.2");
  CHECK(p.l3.size() == 30);  // IP total length, not the padded frame
  CHECK(p.l4 == L4::kUdp);
  CHECK(payload_sv(p) == "hi");
  CHECK(p.vlan_count == 0);
  CHECK(counter(d, "decoder.ethernet") == 1);
  CHECK(counter(d, "decoder.pkts") == 1);
  CHECK(counter(d, "decoder.bytes") == 60);
  CHECK(anomalies(d) == 0);
}

TEST_CASE("Short Ethernet frame is a counted anomaly") {
  Decoder d({});
  Buf f(13, 0);
  Packet p = make_packet(f);
  CHECK_FALSE(d.decode(p));
  CHECK(p.invalid);
  CHECK(counter(d, "decoder.event.ethernet.pkt_too_small") == 1);
  CHECK(counter(d, "decoder.invalid") == 1);
}

TEST_CASE("One VLAN tag and QinQ tags are recorded outer first") {
  for (uint16_t tpid : {uint16_t(0x8100), uint16_t(0x88a8), uint16_t(0x9100)}) {
    Decoder d({});
    FrameOpts o;
    o.vlans = {100, 200};
    o.outer_tpid = tpid;
    Buf f = tcp4("10.0.0.1", "10.0.0.2", 1, 2, 3, 4, kSyn, "", o);
    Packet p = make_packet(f);
    REQUIRE(d.decode(p));
    CHECK(p.vlan_count == 2);
    CHECK(p.vlan_id[0] == 100);
    CHECK(p.vlan_id[1] == 200);
    CHECK(p.l4 == L4::kTcp);
    CHECK(counter(d, "decoder.vlan") == 2);
    CHECK(counter(d, "decoder.vlan_qinq") == 1);
    CHECK(anomalies(d) == 0);
  }
  Decoder d({});
  FrameOpts o;
  o.vlans = {7};
  Buf f = udp6("2001:db8::1", "2001:db8::2", 1, 2, "x", o);
  Packet p = make_packet(f);
  REQUIRE(d.decode(p));
  CHECK(p.vlan_count == 1);
  CHECK(p.vlan_id[0] == 7);
  CHECK(counter(d, "decoder.vlan_qinq") == 0);
}

TEST_CASE("A third VLAN tag and a cut VLAN header are anomalies") {
  FrameOpts o;
  o.vlans = {1, 2};
  Buf f = udp4("10.0.0.1", "10.0.0.2", 1, 2, "x", o);
  // Turn the inner ethertype into a third tag.
  Buf three(f.begin(), f.begin() + 20);
  three.insert(three.end(), {0x81, 0x00, 0x00, 0x03});
  three.insert(three.end(), f.begin() + 20, f.end());
  Decoder d({});
  Packet p = make_packet(three);
  CHECK_FALSE(d.decode(p));
  CHECK(p.invalid);
  CHECK(counter(d, "decoder.event.vlan.too_many_layers") == 1);

  Buf cut(f.begin(), f.begin() + 16);  // TPID present, TCI cut
  Decoder d2({});
  Packet p2 = make_packet(cut);
  CHECK_FALSE(d2.decode(p2));
  CHECK(counter(d2, "decoder.event.vlan.header_too_small") == 1);
}

TEST_CASE("Linux cooked v1 and v2 carry IPv4 and IPv6") {
  for (Link l : {Link::kSll, Link::kSll2}) {
    FrameOpts o;
    o.link = l;
    Buf f4 = tcp4("192.168.1.1", "192.168.1.2", 10, 20, 1, 0, kSyn, "", o);
    Buf f6 = udp6("fe80::1", "fe80::2", 10, 20, "abc", o);
    Decoder d({});
    Packet p4 = make_packet(f4, static_cast<int>(dlt_of(l)));
    Packet p6 = make_packet(f6, static_cast<int>(dlt_of(l)));
    REQUIRE(d.decode(p4));
    REQUIRE(d.decode(p6));
    CHECK(p4.l4 == L4::kTcp);
    CHECK(p6.ip_version == 6);
    CHECK(payload_sv(p6) == "abc");
    CHECK(counter(d, l == Link::kSll ? "decoder.sll" : "decoder.sll2") == 2);
    CHECK(anomalies(d) == 0);
    Buf cut(f4.begin(), f4.begin() + (l == Link::kSll ? 15 : 19));
    Packet pc = make_packet(cut, static_cast<int>(dlt_of(l)));
    CHECK_FALSE(d.decode(pc));
    CHECK(counter(d, l == Link::kSll ? "decoder.event.sll.pkt_too_small"
                                     : "decoder.event.sll2.pkt_too_small") == 1);
  }
}

TEST_CASE("Raw IP link types pick the version from the header") {
  FrameOpts o;
  o.link = Link::kRaw;
  Buf f4 = udp4("10.1.1.1", "10.1.1.2", 5, 6, "v4", o);
  Buf f6 = udp6("2001:db8::1", "2001:db8::2", 5, 6, "v6", o);
  for (int dlt : {12, 14, 101}) {
    Decoder d({});
    Packet p4 = make_packet(f4, dlt), p6 = make_packet(f6, dlt);
    REQUIRE(d.decode(p4));
    REQUIRE(d.decode(p6));
    CHECK(p4.ip_version == 4);
    CHECK(p6.ip_version == 6);
    CHECK(counter(d, "decoder.raw") == 2);
  }
  Decoder d({});
  Packet p4 = make_packet(f4, 228), p6 = make_packet(f6, 229);
  CHECK(d.decode(p4));
  CHECK(d.decode(p6));
  Packet wrong = make_packet(f6, 228);  // DLT_IPV4 carrying IPv6
  CHECK_FALSE(d.decode(wrong));
  CHECK(counter(d, "decoder.event.ipv4.wrong_ip_version") == 1);
  Buf junk = {0x50, 0, 0, 0};
  Packet pj = make_packet(junk, 101);
  CHECK_FALSE(d.decode(pj));
  CHECK(counter(d, "decoder.event.ipraw.invalid_ip_version") == 1);
  Buf empty;
  Packet pe = make_packet(empty, 101);
  CHECK_FALSE(d.decode(pe));
  CHECK(counter(d, "decoder.event.ipraw.invalid_ip_version") == 2);
}

TEST_CASE("BSD null/loop accept both byte orders and all AF_INET6 values") {
  FrameOpts raw;
  raw.link = Link::kRaw;
  Buf ip4 = udp4("10.0.0.1", "10.0.0.2", 1, 2, "x", raw);
  Buf ip6 = udp6("::1", "::1", 1, 2, "x", raw);
  auto with_af = [](const Buf& ip, std::initializer_list<uint8_t> af) {
    Buf b(af);
    b.insert(b.end(), ip.begin(), ip.end());
    return b;
  };
  for (int dlt : {0, 108}) {
    Decoder d({});
    std::vector<Buf> frames = {with_af(ip4, {2, 0, 0, 0}),  with_af(ip4, {0, 0, 0, 2}),
                               with_af(ip6, {24, 0, 0, 0}), with_af(ip6, {0, 0, 0, 28}),
                               with_af(ip6, {30, 0, 0, 0}), with_af(ip6, {0, 0, 0, 24})};
    for (const Buf& f : frames) {
      Packet p = make_packet(f, dlt);
      CHECK(d.decode(p));
    }
    CHECK(counter(d, "decoder.null") == 6);
    CHECK(counter(d, "decoder.ipv6") == 4);
    CHECK(anomalies(d) == 0);
    Buf bad = with_af(ip4, {7, 0, 0, 0});
    Packet pb = make_packet(bad, dlt);
    CHECK_FALSE(d.decode(pb));
    CHECK(counter(d, "decoder.event.null.unsupported_type") == 1);
    Buf cut = {2, 0, 0};
    Packet pc = make_packet(cut, dlt);
    CHECK_FALSE(d.decode(pc));
    CHECK(counter(d, "decoder.event.null.pkt_too_small") == 1);
  }
  FrameOpts o;
  o.link = Link::kNull;
  Buf built = tcp6("::1", "::2", 1, 2, 0, 0, kSyn, "", o);
  Decoder d({});
  Packet p = make_packet(built, static_cast<int>(dlt_of(Link::kNull)));
  CHECK(d.decode(p));
}

TEST_CASE("ARP and unknown ethertypes are counted, not anomalies") {
  Decoder d({});
  Buf arp = arp_request("10.0.0.1", "10.0.0.2");
  Packet p = make_packet(arp);
  CHECK_FALSE(d.decode(p));
  CHECK_FALSE(p.invalid);
  CHECK(counter(d, "decoder.arp") == 1);
  Buf lldp = ethernet_frame(Buf(40, 0), 0x88cc);
  Packet q = make_packet(lldp);
  CHECK_FALSE(d.decode(q));
  CHECK_FALSE(q.invalid);
  CHECK(counter(d, "decoder.unknown_ethertype") == 1);
  CHECK(anomalies(d) == 0);
  CHECK(counter(d, "decoder.invalid") == 0);
}

TEST_CASE("Unsupported link type is a counted anomaly") {
  Decoder d({});
  Buf f = udp4("10.0.0.1", "10.0.0.2", 1, 2, "x");
  Packet p = make_packet(f, 105);  // 802.11
  CHECK_FALSE(d.decode(p));
  CHECK(p.invalid);
  CHECK(counter(d, "decoder.event.link.unsupported_linktype") == 1);
}

TEST_CASE("PPP, PPPoE and Cisco HDLC carry IP") {
  FrameOpts raw;
  raw.link = Link::kRaw;
  Buf ip4 = udp4("10.0.0.1", "10.0.0.2", 1, 2, "ppp4", raw);
  Buf ip6 = tcp6("2001:db8::1", "2001:db8::2", 1, 2, 3, 4, kAck, "ppp6", raw);
  auto with = [](std::initializer_list<uint8_t> h, const Buf& ip) {
    Buf b(h);
    b.insert(b.end(), ip.begin(), ip.end());
    return b;
  };
  Decoder d({});
  // HDLC-framed, plain and protocol-compressed PPP on DLT 9 and 50.
  for (int dlt : {9, 50}) {
    for (const Buf& f : {with({0xff, 0x03, 0x00, 0x21}, ip4), with({0x00, 0x57}, ip6), with({0x57}, ip6),
                         with({0xff, 0x03, 0x21}, ip4)}) {
      Packet p = make_packet(f, dlt);
      CHECK(d.decode(p));
      CHECK((p.l4 == L4::kUdp || p.l4 == L4::kTcp));
      CHECK(p.payload.size() == 4);
      uint32_t h = fanout_hash(dlt, f);
      CHECK((h == fanout_hash(1, udp4("10.0.0.1", "10.0.0.2", 1, 2, "")) ||
             h == fanout_hash(1, udp6("2001:db8::1", "2001:db8::2", 1, 2, ""))));
    }
  }
  CHECK(counter(d, "decoder.ppp") == 8);
  Buf lcp = with({0xff, 0x03, 0xc0, 0x21}, Buf(10, 1));
  Packet pl = make_packet(lcp, 9);
  CHECK_FALSE(d.decode(pl));
  CHECK_FALSE(pl.invalid);
  CHECK(counter(d, "decoder.ppp_non_ip") == 1);
  Buf cut = {0xff, 0x03, 0x00};
  Packet pc = make_packet(cut, 9);
  CHECK_FALSE(d.decode(pc));
  CHECK(counter(d, "decoder.event.ppp.pkt_too_small") == 1);

  // PPPoE session on Ethernet.
  Buf sess = {0x11, 0x00, 0x12, 0x34, 0, 0, 0x00, 0x21};
  sess.insert(sess.end(), ip4.begin(), ip4.end());
  sess[4] = static_cast<uint8_t>((ip4.size() + 2) >> 8);
  sess[5] = static_cast<uint8_t>(ip4.size() + 2);
  Buf pppoe = ethernet_frame(sess, 0x8864);
  Packet pp = make_packet(pppoe);
  REQUIRE(d.decode(pp));
  CHECK(payload_sv(pp) == "ppp4");
  CHECK(counter(d, "decoder.pppoe") == 1);
  CHECK(fanout_hash(1, pppoe) == fanout_hash(1, udp4("10.0.0.2", "10.0.0.1", 9, 9, "")));
  Buf bad = sess;
  bad[5] = static_cast<uint8_t>(bad[5] + 100);  // length past the frame
  Buf badf = ethernet_frame(bad, 0x8864, FrameOpts{});
  badf.resize(14 + bad.size());
  Packet pb = make_packet(badf);
  CHECK_FALSE(d.decode(pb));
  CHECK(counter(d, "decoder.event.pppoe.malformed") == 1);

  // Cisco HDLC.
  Buf ch = with({0x0f, 0x00, 0x08, 0x00}, ip4);
  Packet pch = make_packet(ch, 104);
  CHECK(d.decode(pch));
  CHECK(counter(d, "decoder.chdlc") == 1);
  CHECK(fanout_hash(104, ch) != 0);
  Buf chcut = {0x0f, 0x00, 0x08};
  Packet pcc = make_packet(chcut, 104);
  CHECK_FALSE(d.decode(pcc));
  CHECK(counter(d, "decoder.event.chdlc.pkt_too_small") == 1);
}

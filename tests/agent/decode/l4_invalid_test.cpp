// A packet whose IP layer decodes but whose transport header is broken still
// reaches detection as an IP packet (Suricata's behaviour): decode() is true,
// l4 is kNone, ports and payload empty, no flow, the anomaly counted.
#include <catch2/catch.hpp>

#include "tests/agent/decode/decode_test_util.h"

using namespace vigil;
using namespace vigil::test;

TEST_CASE("TCP data offset 0: IP packet without L4 (Suricata bug 6875)") {
  Decoder d{DecodeConfig()};
  Buf f = tcp4("192.168.0.0", "0.0.16.64", 256, 0, 0, 0, 0, std::string(134, '\0'));
  const size_t tcp_off = 14 + 20;
  f[tcp_off + 12] = 0x0b;  // data offset nibble 0, as in the Suricata case
  Packet p = make_packet(keep(f));
  REQUIRE(d.decode(p));
  CHECK_FALSE(p.invalid);
  CHECK(p.l4_invalid);
  CHECK(p.no_flow);
  CHECK(p.l4 == L4::kNone);
  CHECK(p.ip_version == 4);
  CHECK(p.ip_proto == 6);
  CHECK(p.src.to_string() == "192.168.0.0");
  CHECK(p.sp == 0);
  CHECK(p.dp == 0);
  CHECK(p.payload.empty());
  CHECK(p.tcp.flags == 0);
  CHECK(counter(d, "decoder.event.tcp.hlen_too_small") == 1);
  CHECK(counter(d, "decoder.invalid") == 1);
  CHECK_FALSE(d.has_tunnel_packet());
}

TEST_CASE("other broken transport headers keep the IP packet too") {
  Decoder d{DecodeConfig()};
  // UDP: length field larger than the datagram.
  Buf u = udp4("10.0.0.1", "10.0.0.2", 1, 2, "hello");
  u[14 + 20 + 4] = 0x40;
  Packet pu = make_packet(keep(u));
  REQUIRE(d.decode(pu));
  CHECK(pu.l4_invalid);
  CHECK(pu.l4 == L4::kNone);
  CHECK(counter(d, "decoder.event.udp.hlen_invalid") == 1);
  // TCP header cut short by the IP length.
  Buf t = link_frame(ipv4_datagram("10.0.0.1", "10.0.0.2", 6, Buf(10, 0)));
  Packet pt = make_packet(keep(t));
  REQUIRE(d.decode(pt));
  CHECK(pt.l4_invalid);
  CHECK(counter(d, "decoder.event.tcp.pkt_too_small") == 1);
  // ICMP shorter than its header.
  Buf i = link_frame(ipv4_datagram("10.0.0.1", "10.0.0.2", 1, Buf(2, 0)));
  Packet pi = make_packet(keep(i));
  REQUIRE(d.decode(pi));
  CHECK(pi.l4_invalid);
  CHECK(counter(d, "decoder.invalid") == 3);
}

TEST_CASE("a broken IP header is still unusable") {
  Decoder d{DecodeConfig()};
  Buf f = tcp4("10.0.0.1", "10.0.0.2", 1, 2, 0, 0, kSyn, "");
  f[14] = 0x44;  // header length 16
  Packet p = make_packet(keep(f));
  CHECK_FALSE(d.decode(p));
  CHECK(p.invalid);
  CHECK_FALSE(p.l4_invalid);
}

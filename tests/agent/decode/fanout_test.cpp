// fanout_hash: symmetric, port-free, VLAN-aware, 0 for non-IP.
#include <catch2/catch.hpp>

#include "tests/agent/decode/decode_test_util.h"

using namespace vigil;
using namespace vigil::test;

TEST_CASE("fanout hash is symmetric and ignores ports") {
  Buf ab = tcp4("10.0.0.1", "10.0.0.2", 1111, 80, 1, 0, kSyn, "");
  Buf ba = tcp4("10.0.0.2", "10.0.0.1", 80, 1111, 1, 2, kSyn | kAck, "");
  Buf other_ports = udp4("10.0.0.1", "10.0.0.2", 5, 6, "x");
  uint32_t h = fanout_hash(1, ab);
  CHECK(h != 0);
  CHECK(fanout_hash(1, ba) == h);
  CHECK(fanout_hash(1, other_ports) == h);
  CHECK(fanout_hash(1, tcp4("10.0.0.1", "10.0.0.3", 1111, 80, 1, 0, kSyn, "")) != h);

  Buf v6a = tcp6("2001:db8::1", "2001:db8::2", 1, 2, 0, 0, kSyn, "");
  Buf v6b = udp6("2001:db8::2", "2001:db8::1", 9, 9, "");
  CHECK(fanout_hash(1, v6a) == fanout_hash(1, v6b));
  CHECK(fanout_hash(1, v6a) != 0);
}

TEST_CASE("fanout hash sends every fragment of a datagram to one worker") {
  Buf dg = ipv4_datagram("10.9.9.9", "10.8.8.8", 17,
                         udp_datagram("10.9.9.9", "10.8.8.8", 1, 2, std::string(500, 'x')));
  auto frags = fragment_ipv4(dg, 128);
  uint32_t h = fanout_hash(1, link_frame(frags[0]));
  for (const Buf& f : frags) CHECK(fanout_hash(1, link_frame(f)) == h);
}

TEST_CASE("fanout hash covers VLANs and link types, 0 for non-IP") {
  FrameOpts v1, v2;
  v1.vlans = {10};
  v2.vlans = {11};
  Buf a = udp4("10.0.0.1", "10.0.0.2", 1, 2, "x", v1);
  Buf b = udp4("10.0.0.2", "10.0.0.1", 2, 1, "x", v1);
  Buf c = udp4("10.0.0.1", "10.0.0.2", 1, 2, "x", v2);
  CHECK(fanout_hash(1, a) == fanout_hash(1, b));
  CHECK(fanout_hash(1, a) != fanout_hash(1, c));
  FrameOpts q;
  q.vlans = {10, 20};
  q.outer_tpid = 0x88a8;
  CHECK(fanout_hash(1, udp4("10.0.0.1", "10.0.0.2", 1, 2, "x", q)) != 0);

  Buf plain = udp4("10.0.0.1", "10.0.0.2", 1, 2, "x");
  uint32_t h = fanout_hash(1, plain);
  for (Link l : {Link::kRaw, Link::kSll, Link::kSll2, Link::kNull, Link::kLoop}) {
    FrameOpts o;
    o.link = l;
    CHECK(fanout_hash(static_cast<int>(dlt_of(l)), udp4("10.0.0.2", "10.0.0.1", 1, 2, "x", o)) == h);
  }
  CHECK(fanout_hash(1, arp_request("10.0.0.1", "10.0.0.2")) == 0);
  CHECK(fanout_hash(1, Buf(10, 0)) == 0);
  CHECK(fanout_hash(1, Buf(plain.begin(), plain.begin() + 20)) == 0);
  CHECK(fanout_hash(105, plain) == 0);
}

// The fan-out walks the decoder's own link tables: wherever the decoder finds
// the IP header, the fan-out hashes the same address pair (and VLAN ids), and
// a frame the decoder cannot take past the link layer hashes to 0.
TEST_CASE("fanout hash finds the IP header exactly where the decoder does") {
  FrameOpts raw;
  raw.link = Link::kRaw;
  Buf ip4 = udp4("10.0.0.2", "10.0.0.1", 9, 9, "x", raw);
  const uint32_t plain = fanout_hash(1, udp4("10.0.0.1", "10.0.0.2", 1, 2, ""));
  auto pppoe = [&](std::initializer_list<uint8_t> ppp_proto, int extra_len) {
    Buf s = {0x11, 0x00, 0x12, 0x34, 0, 0};
    s.insert(s.end(), ppp_proto);
    s.insert(s.end(), ip4.begin(), ip4.end());
    size_t len = s.size() - 6 + extra_len;
    s[4] = static_cast<uint8_t>(len >> 8);
    s[5] = static_cast<uint8_t>(len);
    return ethernet_frame(s, 0x8864);
  };
  FrameOpts two;
  two.vlans = {1, 2};
  Buf third_tag = {0x00, 0x03, 0x08, 0x00};  // TCI 3, then IPv4
  third_tag.insert(third_tag.end(), ip4.begin(), ip4.end());
  Buf inner_eth = udp4("10.0.0.1", "10.0.0.2", 1, 2, "x");
  struct Case {
    const char* what;
    Buf frame;
    bool ip;
  };
  std::vector<Case> cases = {
      {"PPPoE, two-byte PPP protocol", pppoe({0x00, 0x21}, 0), true},
      {"PPPoE, compressed one-byte PPP protocol (RFC 1661 6.5)", pppoe({0x21}, 0), true},
      {"PPPoE whose length runs past the frame", pppoe({0x00, 0x21}, 100), false},
      {"Ethernet carrying Ethernet (0x6558)", ethernet_frame(inner_eth, 0x6558), true},
      {"a third VLAN tag", ethernet_frame(third_tag, 0x8100, two), false},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    Decoder d({});
    Packet p = make_packet(c.frame);
    bool decoded = d.decode(p) && p.ip_version == 4;
    CHECK(decoded == c.ip);
    uint32_t h = fanout_hash(1, c.frame);
    if (c.ip) {
      CHECK(h == plain);
    } else {
      CHECK(h == 0);
    }
  }
}

// An ICMP error is counted on the flow of the packet it quotes (flow_key.cpp),
// so it must reach that flow's worker: the reader hashes the quoted pair.
TEST_CASE("fanout hash sends an ICMP error to the worker of the flow it quotes") {
  Buf udp = udp_datagram("10.0.0.1", "10.0.0.2", 5353, 53, "query");
  Buf quoted = ipv4_datagram("10.0.0.1", "10.0.0.2", 17, udp);
  const uint32_t flow = fanout_hash(1, udp4("10.0.0.2", "10.0.0.1", 53, 5353, "answer"));
  const uint32_t router = fanout_hash(1, udp4("192.168.7.7", "10.0.0.1", 1, 2, ""));
  REQUIRE(flow != router);
  for (uint8_t type : {3, 4, 5, 11, 12}) {
    INFO("ICMPv4 type " << int(type));
    CHECK(fanout_hash(1, icmp4_error("192.168.7.7", "10.0.0.1", type, 0, quoted)) == flow);
  }
  // Only the IP header and 8 bytes are quoted: enough for the ports.
  Buf short_quote(quoted.begin(), quoted.begin() + 28);
  CHECK(fanout_hash(1, icmp4_error("192.168.7.7", "10.0.0.1", 11, 0, short_quote)) == flow);
  // The VLAN ids stay the outer packet's, as in the worker's key.
  FrameOpts v;
  v.vlans = {42};
  CHECK(fanout_hash(1, icmp4_error("192.168.7.7", "10.0.0.1", 3, 3, quoted, 0, v)) ==
        fanout_hash(1, udp4("10.0.0.1", "10.0.0.2", 1, 2, "", v)));

  // Not errors, or quotes that name no flow: the outer pair, where the worker
  // keys them (an ICMP flow of their own).
  CHECK(fanout_hash(1, icmp4("192.168.7.7", "10.0.0.1", 8, 0, 1, 1, "ping")) == router);
  CHECK(fanout_hash(1, icmp4_error("192.168.7.7", "10.0.0.1", 3, 3,
                                   Buf(quoted.begin(), quoted.begin() + 23))) == router);
  Buf gre_quote = ipv4_datagram("10.0.0.1", "10.0.0.2", 47, udp);
  CHECK(fanout_hash(1, icmp4_error("192.168.7.7", "10.0.0.1", 3, 3, gre_quote)) == router);
  Buf error_quote =
      ipv4_datagram("10.0.0.1", "10.0.0.2", 1, icmp_message("10.0.0.1", "10.0.0.2", 3, 1, 0, {}));
  CHECK(fanout_hash(1, icmp4_error("192.168.7.7", "10.0.0.1", 3, 3, error_quote)) == router);
  // A fragmented error stays with its fragments on the outer pair.
  Buf big =
      ipv4_datagram("192.168.7.7", "10.0.0.1", 1, icmp_message("192.168.7.7", "10.0.0.1", 3, 4, 0, quoted));
  auto frags = fragment_ipv4(big, 16);
  REQUIRE(frags.size() > 1);
  for (const Buf& f : frags) CHECK(fanout_hash(1, link_frame(f)) == router);
}

TEST_CASE("fanout hash sends an ICMPv6 error to the worker of the flow it quotes") {
  Buf tcp = tcp_segment("2001:db8::1", "2001:db8::2", 40000, 443, 1, 0, kSyn, "");
  Buf quoted = ipv6_datagram("2001:db8::1", "2001:db8::2", 6, tcp);
  const uint32_t flow = fanout_hash(1, tcp6("2001:db8::2", "2001:db8::1", 443, 40000, 0, 2, kSyn | kAck, ""));
  const uint32_t router = fanout_hash(1, udp6("2001:db8::ff", "2001:db8::1", 1, 2, ""));
  REQUIRE(flow != router);
  for (uint8_t type : {1, 2, 3, 4}) {
    INFO("ICMPv6 type " << int(type));
    CHECK(fanout_hash(1, icmp6_error("2001:db8::ff", "2001:db8::1", type, 0, quoted)) == flow);
  }
  // Behind a hop-by-hop header the error is still found.
  FrameOpts hbh;
  hbh.ext = {{0, Buf(4, 0)}};
  CHECK(fanout_hash(1, icmp6_error("2001:db8::ff", "2001:db8::1", 1, 4, quoted, 0, hbh)) == flow);
  CHECK(fanout_hash(1, icmp6("2001:db8::ff", "2001:db8::1", 128, 0, 1, 1, "")) == router);
  // An IPv4 header quoted by ICMPv6 names no flow (the worker agrees).
  Buf v4 = ipv4_datagram("10.0.0.1", "10.0.0.2", 17, udp_datagram("10.0.0.1", "10.0.0.2", 1, 2, ""));
  CHECK(fanout_hash(1, icmp6_error("2001:db8::ff", "2001:db8::1", 1, 4, v4)) == router);
}

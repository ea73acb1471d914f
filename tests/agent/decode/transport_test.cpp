// TCP, UDP, ICMPv4 and ICMPv6 decoders: fields, options, truncation,
// checksums.
#include <catch2/catch.hpp>

#include "tests/agent/decode/decode_test_util.h"

using namespace vigil;
using namespace vigil::test;

namespace {
constexpr size_t kL4 = 14 + 20;  // transport header offset, Ethernet + IPv4

Packet run(Decoder& d, const Buf& f, bool* ok = nullptr) {
  Packet p = make_packet(keep(f));
  bool r = d.decode(p);
  if (ok) *ok = r;
  return p;
}
}  // namespace

TEST_CASE("TCP header and options are parsed") {
  FrameOpts o;
  o.window = 29200;
  o.urg_ptr = 3;
  o.tcp.mss = 1460;
  o.tcp.wscale = 7;
  o.tcp.sack_permitted = true;
  o.tcp.timestamps = true;
  o.tcp.ts_val = 0x01020304;
  o.tcp.ts_ecr = 0x0a0b0c0d;
  Buf f = tcp4("10.0.0.1", "10.0.0.2", 40000, 80, 0xfffffff0, 12345, kSyn | kEce | kCwr, "", o);
  Decoder d({});
  bool ok;
  Packet p = run(d, f, &ok);
  REQUIRE(ok);
  CHECK(p.l4 == L4::kTcp);
  CHECK(p.sp == 40000);
  CHECK(p.dp == 80);
  CHECK(p.tcp.seq == 0xfffffff0);
  CHECK(p.tcp.ack == 12345);
  CHECK(p.tcp.flags == (kSyn | kEce | kCwr));
  CHECK(p.tcp.window == 29200);
  CHECK(p.tcp.urg_ptr == 3);
  CHECK(p.tcp.hlen == 40);
  CHECK(p.tcp.has_mss);
  CHECK(p.tcp.mss == 1460);
  CHECK(p.tcp.has_wscale);
  CHECK(p.tcp.wscale == 7);
  CHECK(p.tcp.sack_permitted);
  CHECK(p.tcp.has_ts);
  CHECK(p.tcp.ts_val == 0x01020304);
  CHECK(p.tcp.ts_ecr == 0x0a0b0c0d);
  CHECK(p.payload.empty());
  CHECK_FALSE(p.l4_csum_bad);
  CHECK(anomalies(d) == 0);
}

TEST_CASE("TCP SACK blocks and payload over IPv6") {
  FrameOpts o;
  o.tcp.raw = {1, 1, 5, 18, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4};
  Buf f = tcp6("2001:db8::1", "2001:db8::2", 1, 2, 3, 4, kAck, "payload!", o);
  Decoder d({});
  bool ok;
  Packet p = run(d, f, &ok);
  REQUIRE(ok);
  CHECK(p.tcp.sack_blocks == 2);
  CHECK(payload_sv(p) == "payload!");
  CHECK_FALSE(p.l4_csum_bad);
  CHECK(anomalies(d) == 0);
}

TEST_CASE("TCP option errors are counted but the segment is kept") {
  struct Case {
    Buf raw;
    const char* name;
  };
  std::vector<Case> cases = {
      {{2, 3, 0, 0}, "decoder.event.tcp.opt_invalid_len"},               // MSS must be 4
      {{8, 1, 0, 0}, "decoder.event.tcp.opt_invalid_len"},               // length under 2
      {{1, 1, 1, 8, 10, 0, 0, 0}, "decoder.event.tcp.opt_invalid_len"},  // TS runs off the end
      {{3, 3, 1, 3, 3, 2}, "decoder.event.tcp.opt_duplicate"},           // two window scales
      {{1, 1, 1, 30}, "decoder.event.tcp.opt_invalid_len"},              // kind without length
  };
  for (const Case& c : cases) {
    FrameOpts o;
    o.tcp.raw = c.raw;
    Buf f = tcp4("10.0.0.1", "10.0.0.2", 1, 2, 3, 4, kAck, "x", o);
    Decoder d({});
    bool ok;
    Packet p = run(d, f, &ok);
    CHECK(ok);
    CHECK(payload_sv(p) == "x");
    CHECK(counter(d, c.name) == 1);
  }
}

TEST_CASE("TCP header length and truncation errors leave an IP packet without L4") {
  Buf good = tcp4("10.0.0.1", "10.0.0.2", 1, 2, 3, 4, kAck, "abcdef");
  SECTION("data offset under 5") {
    Buf f = good;
    f[kL4 + 12] = 0x40;
    Decoder d({});
    bool ok;
    run(d, f, &ok);
    CHECK(ok);  // the IP packet stays usable, without L4
    CHECK(counter(d, "decoder.event.tcp.hlen_too_small") == 1);
  }
  SECTION("data offset beyond the segment") {
    Buf f = good;
    f[kL4 + 12] = 0xf0;
    Decoder d({});
    bool ok;
    run(d, f, &ok);
    CHECK(ok);  // the IP packet stays usable, without L4
    CHECK(counter(d, "decoder.event.tcp.pkt_too_small") == 1);
  }
  SECTION("IP length cutting the TCP header") {
    for (size_t tl = 20; tl < 40; ++tl) {
      Buf f = good;
      f[14 + 2] = 0;
      f[14 + 3] = static_cast<uint8_t>(tl);
      fix_ipv4_checksum(f, 14);
      Decoder d({});
      bool ok;
      Packet p = run(d, f, &ok);
      CHECK(ok);  // the IP packet stays usable, without L4
      CHECK(p.l4_invalid);
      CHECK(counter(d, "decoder.event.tcp.pkt_too_small") == 1);
    }
  }
}

TEST_CASE("TCP checksum verification on and off") {
  FrameOpts o;
  o.bad_l4_checksum = true;
  Buf bad4 = tcp4("10.0.0.1", "10.0.0.2", 1, 2, 3, 4, kAck, "x", o);
  Buf bad6 = tcp6("::1", "::2", 1, 2, 3, 4, kAck, "x", o);
  Decoder d({});
  bool ok;
  Packet p = run(d, bad4, &ok);
  CHECK(ok);
  CHECK(p.l4_csum_bad);
  Packet q = run(d, bad6, &ok);
  CHECK(ok);
  CHECK(q.l4_csum_bad);
  CHECK(counter(d, "tcp.invalid_checksum") == 2);
  CHECK(anomalies(d) == 0);
  DecodeConfig off;
  off.checksum_checks = false;
  Decoder d2(off);
  CHECK_FALSE(run(d2, bad4).l4_csum_bad);
  CHECK(counter(d2, "tcp.invalid_checksum") == 0);
}

TEST_CASE("UDP fields, length mismatches and checksums") {
  Decoder d({});
  bool ok;
  Buf f = udp4("10.0.0.1", "10.0.0.2", 5353, 53, "query");
  Packet p = run(d, f, &ok);
  REQUIRE(ok);
  CHECK(p.sp == 5353);
  CHECK(p.dp == 53);
  CHECK(payload_sv(p) == "query");
  CHECK(anomalies(d) == 0);

  SECTION("UDP length shorter than the IP payload clips the payload") {
    Buf g = f;
    g[kL4 + 5] = 8 + 3;
    Decoder d2({});
    DecodeConfig off;
    off.checksum_checks = false;
    Decoder d3(off);
    Packet q = run(d3, g, &ok);
    CHECK(ok);
    CHECK(payload_sv(q) == "que");
    CHECK(counter(d3, "decoder.event.udp.hlen_invalid") == 1);
  }
  SECTION("UDP length longer than the IP payload") {
    Buf g = f;
    g[kL4 + 5] = 200;
    Decoder d2({});
    run(d2, g, &ok);
    CHECK(ok);  // the IP packet stays usable, without L4
    CHECK(counter(d2, "decoder.event.udp.hlen_invalid") == 1);
  }
  SECTION("UDP length under 8") {
    Buf g = f;
    g[kL4 + 5] = 7;
    Decoder d2({});
    run(d2, g, &ok);
    CHECK(ok);  // the IP packet stays usable, without L4
    CHECK(counter(d2, "decoder.event.udp.hlen_too_small") == 1);
  }
  SECTION("UDP header cut by the IP length") {
    Buf g = f;
    g[14 + 3] = 20 + 7;
    fix_ipv4_checksum(g, 14);
    Decoder d2({});
    run(d2, g, &ok);
    CHECK(ok);  // the IP packet stays usable, without L4
    CHECK(counter(d2, "decoder.event.udp.pkt_too_small") == 1);
  }
  SECTION("zero checksum: none over IPv4, an error over IPv6") {
    Buf g = f;
    g[kL4 + 6] = g[kL4 + 7] = 0;
    Decoder d2({});
    CHECK_FALSE(run(d2, g).l4_csum_bad);
    Buf h = udp6("::1", "::2", 1, 2, "x");
    h[14 + 40 + 6] = h[14 + 40 + 7] = 0;
    CHECK(run(d2, h).l4_csum_bad);
    CHECK(counter(d2, "udp.invalid_checksum") == 1);
  }
  SECTION("bad checksum on both families") {
    FrameOpts o;
    o.bad_l4_checksum = true;
    Buf b4 = udp4("10.0.0.1", "10.0.0.2", 1, 2, "x", o);
    Buf b6 = udp6("::1", "::2", 1, 2, "x", o);
    Decoder d2({});
    CHECK(run(d2, b4).l4_csum_bad);
    CHECK(run(d2, b6).l4_csum_bad);
    CHECK(counter(d2, "udp.invalid_checksum") == 2);
  }
}

TEST_CASE("ICMPv4 echo and error messages") {
  Decoder d({});
  bool ok;
  Buf echo = icmp4("10.0.0.1", "10.0.0.2", 8, 0, 0x1234, 7, "ping-data");
  Packet p = run(d, echo, &ok);
  REQUIRE(ok);
  CHECK(p.l4 == L4::kIcmp);
  CHECK(p.icmp.type == 8);
  CHECK(p.icmp.code == 0);
  CHECK(p.icmp.has_id_seq);
  CHECK(p.icmp.id == 0x1234);
  CHECK(p.icmp.seq == 7);
  CHECK(p.sp == 0);
  CHECK(payload_sv(p) == "ping-data");
  CHECK_FALSE(p.l4_csum_bad);

  FrameOpts raw;
  raw.link = Link::kRaw;
  Buf quoted = udp4("10.0.0.2", "10.0.0.9", 1, 2, "q", raw);
  Buf unreach = icmp4_error("10.0.0.9", "10.0.0.2", 3, 3, quoted);
  Packet q = run(d, unreach, &ok);
  REQUIRE(ok);
  CHECK(q.icmp.type == 3);
  CHECK(q.icmp.code == 3);
  CHECK_FALSE(q.icmp.has_id_seq);
  CHECK(q.payload.size() == quoted.size());
  CHECK(anomalies(d) == 0);
}

TEST_CASE("ICMPv4 anomalies") {
  Decoder d({});
  bool ok;
  run(d, icmp4("10.0.0.1", "10.0.0.2", 99, 0, 0, 0, ""));
  CHECK(counter(d, "decoder.event.icmpv4.unknown_type") == 1);
  run(d, icmp4_error("10.0.0.1", "10.0.0.2", 3, 99, Buf(28, 0x45)));
  CHECK(counter(d, "decoder.event.icmpv4.unknown_code") == 1);
  run(d, icmp4_error("10.0.0.1", "10.0.0.2", 11, 0, Buf(8, 0x45)));
  CHECK(counter(d, "decoder.event.icmpv4.ipv4_trunc_pkt") == 1);
  run(d, icmp4_error("10.0.0.1", "10.0.0.2", 11, 0, Buf(28, 0x65)));
  CHECK(counter(d, "decoder.event.icmpv4.ipv4_unknown_ver") == 1);
  Buf small = ipv4_datagram("10.0.0.1", "10.0.0.2", 1, Buf{8, 0, 0, 0});
  run(d, link_frame(small), &ok);
  CHECK(ok);  // the IP packet stays usable, without L4
  CHECK(counter(d, "decoder.event.icmpv4.pkt_too_small") == 1);
  FrameOpts o;
  o.bad_l4_checksum = true;
  CHECK(run(d, icmp4("10.0.0.1", "10.0.0.2", 0, 0, 1, 1, "x", o)).l4_csum_bad);
  CHECK(counter(d, "icmpv4.invalid_checksum") == 1);
}

TEST_CASE("ICMPv6 echo, errors and anomalies") {
  Decoder d({});
  bool ok;
  Packet p = run(d, icmp6("2001:db8::1", "2001:db8::2", 128, 0, 9, 10, "v6ping"), &ok);
  REQUIRE(ok);
  CHECK(p.l4 == L4::kIcmpv6);
  CHECK(p.icmp.type == 128);
  CHECK(p.icmp.has_id_seq);
  CHECK(p.icmp.id == 9);
  CHECK(p.icmp.seq == 10);
  CHECK(payload_sv(p) == "v6ping");
  CHECK_FALSE(p.l4_csum_bad);
  Packet e = run(d, icmp6_error("2001:db8::1", "2001:db8::2", 2, 0, Buf(48, 0x60), 1280), &ok);
  CHECK(ok);
  CHECK(e.icmp.type == 2);
  CHECK_FALSE(e.icmp.has_id_seq);
  CHECK(anomalies(d) == 0);

  run(d, icmp6("2001:db8::1", "2001:db8::2", 50, 0, 0, 0, ""));
  CHECK(counter(d, "decoder.event.icmpv6.unknown_type") == 1);
  Buf small = ipv6_datagram("2001:db8::1", "2001:db8::2", 58, Buf{128, 0, 0});
  run(d, link_frame(small), &ok);
  CHECK(ok);  // the IP packet stays usable, without L4
  CHECK(counter(d, "decoder.event.icmpv6.pkt_too_small") == 1);
  Buf v4 = ipv4_datagram("10.0.0.1", "10.0.0.2", 58, Buf(8, 0));
  run(d, link_frame(v4), &ok);
  CHECK(ok);  // the IP packet stays usable, without L4
  CHECK(counter(d, "decoder.event.icmpv6.over_ipv4") == 1);
  FrameOpts o;
  o.bad_l4_checksum = true;
  CHECK(run(d, icmp6("::1", "::2", 129, 0, 1, 1, "x", o)).l4_csum_bad);
  CHECK(counter(d, "icmpv6.invalid_checksum") == 1);
}

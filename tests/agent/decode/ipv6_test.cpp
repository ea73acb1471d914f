// IPv6: fixed header, extension header chains and their anomalies.
#include <catch2/catch.hpp>

#include "tests/agent/decode/decode_test_util.h"

using namespace vigil;
using namespace vigil::test;

namespace {
constexpr size_t kIp = 14;
const char* kA = "2001:db8::1";
const char* kB = "2001:db8::2";

Packet run(Decoder& d, const Buf& f, bool* ok = nullptr) {
  Packet p = make_packet(keep(f));
  bool r = d.decode(p);
  if (ok) *ok = r;
  return p;
}
}  // namespace

TEST_CASE("IPv6 fixed header fields are filled") {
  FrameOpts o;
  o.ttl = 9;
  o.tos = 0xb8;
  o.flow_label = 0x12345;
  Buf f = tcp6(kA, kB, 5, 80, 1, 2, kSyn | kAck, "", o);
  Decoder d({});
  bool ok;
  Packet p = run(d, f, &ok);
  REQUIRE(ok);
  CHECK(p.ip_version == 6);
  CHECK(p.src.to_string() == kA);
  CHECK(p.dst.to_string() == kB);
  CHECK(p.ttl == 9);
  CHECK(p.tos == 0xb8);
  CHECK(p.ip_proto == 6);
  CHECK(p.ip_hlen == 40);
  CHECK(p.l3.size() == 60);
  CHECK(p.l4 == L4::kTcp);
  CHECK(anomalies(d) == 0);
}

TEST_CASE("IPv6 extension header chain is walked to the transport header") {
  FrameOpts o;
  o.ext = {{0, {1, 2, 0, 0}}, {43, {0, 0, 0, 0, 0, 0}}, {60, {}}, {51, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0}}};
  Buf f = udp6(kA, kB, 100, 200, "after-ext", o);
  Decoder d({});
  bool ok;
  Packet p = run(d, f, &ok);
  REQUIRE(ok);
  CHECK(p.ip_proto == 17);
  CHECK(p.ip_hlen == 40 + 8 + 8 + 8 + 16);
  CHECK(p.l4 == L4::kUdp);
  CHECK(p.sp == 100);
  CHECK(payload_sv(p) == "after-ext");
  CHECK_FALSE(p.l4_csum_bad);
  INFO(anomaly_names(d));
  CHECK(anomalies(d) == 0);
}

TEST_CASE("ESP and no-next-header end the chain as other protocols") {
  Decoder d({});
  FrameOpts esp;
  esp.ext = {{50, {0, 0, 1, 0, 0, 0, 0, 1, 0xaa, 0xbb}}};
  Buf ip = ipv6_datagram(kA, kB, 17, Buf{}, esp);
  Buf f = link_frame(ip);
  bool ok;
  Packet p = run(d, f, &ok);
  CHECK(ok);
  CHECK(p.ip_proto == 50);
  CHECK(p.l4 == L4::kOther);
  CHECK(p.payload.size() == 10);

  Buf ip2 = ipv6_datagram(kA, kB, 59, Buf{});
  Buf f2 = link_frame(ip2);
  Packet q = run(d, f2, &ok);
  CHECK(ok);
  CHECK(q.ip_proto == 59);
  CHECK(q.l4 == L4::kOther);
  CHECK(anomalies(d) == 0);
}

TEST_CASE("IPv6 extension header order, duplicates and options are counted") {
  SECTION("hop-by-hop not first") {
    FrameOpts o;
    o.ext = {{60, {}}, {0, {}}};
    Buf f = udp6(kA, kB, 1, 2, "x", o);
    Decoder d({});
    bool ok;
    run(d, f, &ok);
    CHECK(ok);
    CHECK(counter(d, "decoder.event.ipv6.exthdr_hopopts_not_first") == 1);
  }
  SECTION("duplicate routing header") {
    FrameOpts o;
    o.ext = {{43, {}}, {43, {}}};
    Buf f = udp6(kA, kB, 1, 2, "x", o);
    Decoder d({});
    bool ok;
    run(d, f, &ok);
    CHECK(ok);
    CHECK(counter(d, "decoder.event.ipv6.exthdr_duplicate") == 1);
  }
  SECTION("three destination options headers") {
    FrameOpts o;
    o.ext = {{60, {}}, {60, {}}, {60, {}}};
    Buf f = udp6(kA, kB, 1, 2, "x", o);
    Decoder d({});
    run(d, f);
    CHECK(counter(d, "decoder.event.ipv6.exthdr_duplicate") == 1);
  }
  SECTION("option length running past its header") {
    FrameOpts o;
    o.ext = {{0, {1, 9, 0, 0, 0, 0}}};  // PadN claiming 9 bytes in a 6-byte area
    Buf f = udp6(kA, kB, 1, 2, "x", o);
    Decoder d({});
    bool ok;
    run(d, f, &ok);
    CHECK(ok);
    CHECK(counter(d, "decoder.event.ipv6.exthdr_invalid_optlen") == 1);
  }
}

TEST_CASE("IPv6 extension headers that run past the payload are invalid") {
  SECTION("header length field too large") {
    FrameOpts o;
    o.ext = {{60, {}}};
    Buf f = udp6(kA, kB, 1, 2, "x", o);
    f[kIp + 40 + 1] = 200;  // 1608-byte header
    Decoder d({});
    bool ok;
    Packet p = run(d, f, &ok);
    CHECK_FALSE(ok);
    CHECK(p.invalid);
    CHECK(counter(d, "decoder.event.ipv6.exthdr_trunc") == 1);
  }
  SECTION("payload ends inside the extension header") {
    Buf l4;
    Buf ip = ipv6_datagram(kA, kB, 0, l4);  // says hop-by-hop follows, nothing does
    Buf f = link_frame(ip);
    Decoder d({});
    bool ok;
    run(d, f, &ok);
    CHECK_FALSE(ok);
    CHECK(counter(d, "decoder.event.ipv6.exthdr_trunc") == 1);
  }
  SECTION("a long chain of headers stops at the cap") {
    FrameOpts o;
    for (int i = 0; i < 20; ++i) o.ext.push_back({43, {}});
    Buf f = udp6(kA, kB, 1, 2, "x", o);
    Decoder d({});
    bool ok;
    run(d, f, &ok);
    CHECK_FALSE(ok);
    CHECK(counter(d, "decoder.event.ipv6.exthdr_too_many") == 1);
  }
}

TEST_CASE("IPv6 truncation, bad version and bad payload length") {
  Buf good = udp6(kA, kB, 1, 2, "hello");
  for (size_t n = kIp; n < kIp + 40; ++n) {
    Buf f(good.begin(), good.begin() + n);
    Decoder d({});
    bool ok;
    run(d, f, &ok);
    CHECK_FALSE(ok);
    CHECK(counter(d, "decoder.event.ipv6.pkt_too_small") == 1);
  }
  Buf cut(good.begin(), good.end() - 1);
  Decoder d({});
  run(d, cut);
  CHECK(counter(d, "decoder.event.ipv6.trunc_pkt") == 1);
  Buf v = good;
  v[kIp] = 0x40;
  run(d, v);
  CHECK(counter(d, "decoder.event.ipv6.wrong_ip_version") == 1);
}

TEST_CASE("An atomic IPv6 fragment is decoded as a whole datagram") {
  Buf inner = udp_datagram(kA, kB, 1, 2, "atomic");
  Buf ip = ipv6_datagram(kA, kB, 17, inner);
  Buf frag = ipv6_fragment(ip, 0, Buf(ip.begin() + 40, ip.end()), false, 42);
  Buf f = link_frame(frag);
  Decoder d({});
  bool ok;
  Packet p = run(d, f, &ok);
  REQUIRE(ok);
  CHECK_FALSE(p.is_fragment);
  CHECK(payload_sv(p) == "atomic");
  CHECK(counter(d, "defrag.ipv6.fragments") == 0);
}

// IP fragment reassembly: order, overlaps (bsd policy), caps, anomalies.
#include <algorithm>
#include <catch2/catch.hpp>

#include "tests/agent/decode/decode_test_util.h"

using namespace vigil;
using namespace vigil::test;

namespace {

std::string pattern(size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) s.push_back(static_cast<char>('a' + i % 26));
  return s;
}

// Feeds frames in order; returns the packet of the frame that completed a
// datagram (the reassembled view is valid until the next decode, so the
// payload is copied out) and how many frames returned true.
struct Fed {
  int completed = 0;
  std::string payload;
  Packet last;
};

Fed feed(Decoder& d, const std::vector<Buf>& frames, Timestamp ts = {1700000000, 0}) {
  Fed r;
  for (const Buf& f : frames) {
    Packet p = make_packet(f, 1, ts);
    if (d.decode(p)) {
      ++r.completed;
      r.payload = std::string(payload_sv(p));
      r.last = p;
    } else {
      CHECK((p.is_fragment || p.invalid));
    }
  }
  return r;
}

std::vector<Buf> frames_of(const std::vector<Buf>& ips, const FrameOpts& o = {}) {
  std::vector<Buf> out;
  for (const Buf& ip : ips) out.push_back(link_frame(ip, o));
  return out;
}

const char* kS = "10.1.0.1";
const char* kD = "10.1.0.2";

Buf udp_dgram4(const std::string& payload, uint16_t id = 0x4242) {
  FrameOpts o;
  o.ip_id = id;
  return ipv4_datagram(kS, kD, 17, udp_datagram(kS, kD, 1000, 2000, payload), o);
}

}  // namespace

TEST_CASE("IPv4 fragments reassemble in order and out of order") {
  std::string data = pattern(1000);
  Buf dg = udp_dgram4(data);
  std::vector<Buf> frags = fragment_ipv4(dg, 256);
  REQUIRE(frags.size() == 4);
  for (int order = 0; order < 3; ++order) {
    std::vector<Buf> f = frags;
    if (order == 1) std::reverse(f.begin(), f.end());
    if (order == 2) std::swap(f[0], f[2]);
    Decoder d({});
    Fed r = feed(d, frames_of(f));
    CHECK(r.completed == 1);
    CHECK(r.payload == data);
    CHECK(r.last.reassembled);
    CHECK_FALSE(r.last.is_fragment);
    CHECK(r.last.l4 == L4::kUdp);
    CHECK(r.last.sp == 1000);
    CHECK(r.last.l3.size() == dg.size());
    CHECK(r.last.frag_offset == 0);
    CHECK_FALSE(r.last.frag_mf);
    CHECK_FALSE(r.last.l4_csum_bad);    // UDP checksum over the whole datagram
    CHECK_FALSE(r.last.ipv4_csum_bad);  // rebuilt header has a fresh checksum
    CHECK(counter(d, "defrag.ipv4.fragments") == 4);
    CHECK(counter(d, "defrag.ipv4.reassembled") == 1);
    CHECK(counter(d, "decoder.invalid") == 0);
    INFO(anomaly_names(d));
    CHECK(anomalies(d) == 0);
  }
}

TEST_CASE("Reassembled TCP over IPv4 carries link fields of the last fragment") {
  FrameOpts o;
  o.vlans = {33};
  std::string data = pattern(600);
  Buf dg = ipv4_datagram(kS, kD, 6, tcp_segment(kS, kD, 5, 80, 100, 200, kAck | kPsh, data));
  Decoder d({});
  Fed r = feed(d, frames_of(fragment_ipv4(dg, 200), o));
  REQUIRE(r.completed == 1);
  CHECK(r.last.vlan_count == 1);
  CHECK(r.last.vlan_id[0] == 33);
  CHECK(r.last.tcp.seq == 100);
  CHECK(r.payload == data);
}

TEST_CASE("Overlapping fragments follow the bsd policy whatever the order") {
  // Original payload: 8-byte UDP header + 40 bytes. Fragment A covers bytes
  // [8,32) with 'A', B covers [16,40) with 'B', C [16,24) with 'C' arrives
  // after B. Winners: lowest offset first, then first arrival.
  std::string body(40, '.');
  Buf dg = udp_dgram4(body);
  std::span<const uint8_t> pay(dg.data() + 20, dg.size() - 20);
  Buf head(pay.begin(), pay.begin() + 8);
  Buf a(24, 'A'), b(24, 'B'), c(8, 'C'), tail(pay.begin() + 40, pay.end());
  Buf f0 = ipv4_fragment(dg, 0, head, true);
  Buf fa = ipv4_fragment(dg, 8, a, true);
  Buf fb = ipv4_fragment(dg, 16, b, true);
  Buf fc = ipv4_fragment(dg, 16, c, true);
  Buf ft = ipv4_fragment(dg, 40, tail, false);
  // [8,32) 'A' (lowest offset), [32,40) 'B' (only B), bytes 40.. from tail.
  std::string expect = std::string(24, 'A') + std::string(8, 'B') + std::string(pay.begin() + 40, pay.end());
  std::vector<std::vector<Buf>> orders = {
      {f0, fa, fb, fc, ft}, {ft, fc, fb, fa, f0}, {fb, fc, ft, fa, f0}, {fc, fb, f0, ft, fa}};
  for (const auto& ord : orders) {
    DecodeConfig cfg;
    cfg.checksum_checks = false;  // the overlap rewrote the payload
    Decoder d(cfg);
    Fed r = feed(d, frames_of(ord));
    REQUIRE(r.completed == 1);
    CHECK(r.payload == expect);
    CHECK(counter(d, "defrag.overlap") >= 2);
  }
  // Same offset, different data: the first to arrive wins.
  DecodeConfig cfg;
  cfg.checksum_checks = false;
  Decoder d(cfg);
  Fed r = feed(d, frames_of({f0, fc, fb, fa, ft}));
  REQUIRE(r.completed == 1);
  CHECK(r.payload.substr(0, 24) == std::string(24, 'A'));
  Decoder d2(cfg);
  Buf fb2 = ipv4_fragment(dg, 8, Buf(32, 'B'), true);
  Fed r2 = feed(d2, frames_of({f0, fc, fb2, ft}));  // C at 16 then B at 8: B starts lower
  REQUIRE(r2.completed == 1);
  CHECK(r2.payload.substr(0, 32) == std::string(32, 'B'));
  Decoder d3(cfg);
  Fed r3 = feed(d3, frames_of({f0, ipv4_fragment(dg, 8, Buf(32, 'X'), true),
                               ipv4_fragment(dg, 8, Buf(32, 'Y'), true), ft}));
  REQUIRE(r3.completed == 1);
  CHECK(r3.payload.substr(0, 32) == std::string(32, 'X'));
}

TEST_CASE("Fragment trackers time out in packet time") {
  Buf dg = udp_dgram4(pattern(300));
  auto f = frames_of(fragment_ipv4(dg, 128));
  DecodeConfig cfg;
  cfg.defrag_timeout_s = 30;
  Decoder d(cfg);
  Fed first = feed(d, {f[0]}, {1000, 0});
  CHECK(first.completed == 0);
  d.expire({1030, 0});
  CHECK(counter(d, "defrag.timeouts") == 0);
  d.expire({1030, 1});
  CHECK(counter(d, "defrag.timeouts") == 1);
  Fed rest = feed(d, {f[1], f[2]}, {1031, 0});
  CHECK(rest.completed == 0);  // first fragment is gone
  // A late fragment finds its tracker expired even without expire().
  Fed again = feed(d, {f[0]}, {1100, 0});
  CHECK(again.completed == 0);
  CHECK(counter(d, "defrag.timeouts") == 2);
}

TEST_CASE("Memcap and max trackers drop fragments and count it") {
  SECTION("memcap") {
    DecodeConfig cfg;
    cfg.defrag_memcap = 600;
    Decoder d(cfg);
    Buf dg = udp_dgram4(pattern(2000));
    Fed r = feed(d, frames_of(fragment_ipv4(dg, 400)));
    CHECK(r.completed == 0);
    CHECK(counter(d, "defrag.memcap_exceeded") >= 1);
    CHECK(counter(d, "decoder.invalid") == 0);
  }
  SECTION("max trackers") {
    DecodeConfig cfg;
    cfg.defrag_max_trackers = 2;
    Decoder d(cfg);
    std::vector<Buf> firsts;
    for (uint16_t id = 1; id <= 3; ++id) {
      firsts.push_back(link_frame(fragment_ipv4(udp_dgram4(pattern(100), id), 48)[0]));
    }
    feed(d, firsts);
    CHECK(counter(d, "defrag.max_trackers_reached") == 1);
    // The two tracked datagrams still complete.
    Fed r = feed(d, frames_of({fragment_ipv4(udp_dgram4(pattern(100), 1), 48)[1],
                               fragment_ipv4(udp_dgram4(pattern(100), 1), 48)[2]}));
    CHECK(r.completed == 1);
  }
}

TEST_CASE("Fragments of different VLANs or ids do not mix") {
  Buf d1 = udp_dgram4(std::string(64, '1'), 7);
  Buf d2 = udp_dgram4(std::string(64, '2'), 8);
  auto a = fragment_ipv4(d1, 32), b = fragment_ipv4(d2, 32);
  Decoder d({});
  Fed r = feed(d, frames_of({a[0], b[1], b[0], a[2], a[1]}));
  CHECK(r.completed == 1);  // datagram 2 lacks its last fragment
  CHECK(r.payload == std::string(64, '1'));
  FrameOpts v1, v2;
  v1.vlans = {1};
  v2.vlans = {2};
  Decoder dv({});
  Fed rv = feed(dv, {link_frame(a[0], v1), link_frame(a[1], v2), link_frame(a[2], v1)});
  CHECK(rv.completed == 0);
}

TEST_CASE("Oversized and inconsistent fragments are anomalies") {
  Buf dg = udp_dgram4(pattern(100));
  std::span<const uint8_t> pay(dg.data() + 20, dg.size() - 20);
  SECTION("datagram larger than 65535") {
    Buf big = ipv4_fragment(dg, 65528, Buf(16, 'z'), false);
    Decoder d({});
    Buf keep = link_frame(big);
    Packet p = make_packet(keep);
    CHECK_FALSE(d.decode(p));
    CHECK(p.invalid);
    CHECK(counter(d, "decoder.event.ipv4.frag_pkt_too_large") == 1);
  }
  SECTION("two last fragments that disagree") {
    Decoder d({});
    feed(d, frames_of({ipv4_fragment(dg, 16, Buf(pay.begin() + 16, pay.begin() + 32), false),
                       ipv4_fragment(dg, 16, Buf(pay.begin() + 16, pay.begin() + 40), false)}));
    CHECK(counter(d, "decoder.event.ipv4.frag_inconsistent_end") == 1);
  }
  SECTION("data past the known end") {
    Decoder d({});
    feed(d, frames_of({ipv4_fragment(dg, 24, Buf(pay.begin() + 24, pay.end()), false),
                       ipv4_fragment(dg, 8, Buf(200, 'q'), true)}));
    CHECK(counter(d, "decoder.event.ipv4.frag_inconsistent_end") == 1);
  }
  SECTION("non-last fragment not a multiple of 8") {
    Decoder d({});
    feed(d, frames_of({ipv4_fragment(dg, 0, Buf(pay.begin(), pay.begin() + 12), true)}));
    CHECK(counter(d, "decoder.event.ipv4.frag_len_not_multiple_of_8") == 1);
  }
}

TEST_CASE("IPv6 fragments reassemble, with extension headers before the fragment header") {
  const char* s = "2001:db8::10";
  const char* t = "2001:db8::20";
  std::string data = pattern(900);
  Buf dg = ipv6_datagram(s, t, 17, udp_datagram(s, t, 7, 8, data));
  auto frags = fragment_ipv6(dg, 300, 0xdeadbeef);
  std::reverse(frags.begin(), frags.end());
  Decoder d({});
  Fed r = feed(d, frames_of(frags));
  REQUIRE(r.completed == 1);
  CHECK(r.payload == data);
  CHECK(r.last.reassembled);
  CHECK(r.last.ip_proto == 17);
  CHECK(r.last.ip_id == 0xdeadbeef);
  CHECK(r.last.l3.size() == dg.size());
  CHECK_FALSE(r.last.l4_csum_bad);
  CHECK(counter(d, "defrag.ipv6.fragments") == 4);
  CHECK(counter(d, "defrag.ipv6.reassembled") == 1);
  CHECK(anomalies(d) == 0);

  // Hop-by-hop before the fragment header stays in the rebuilt datagram.
  FrameOpts o;
  o.ext = {{0, {}}};
  Buf withhh = ipv6_datagram(s, t, 17, udp_datagram(s, t, 7, 8, data), o);
  Buf unfrag(withhh.begin(), withhh.begin() + 48);
  unfrag[4] = 0;
  unfrag[5] = 8;
  std::span<const uint8_t> pay(withhh.data() + 48, withhh.size() - 48);
  std::vector<Buf> f;
  for (size_t off = 0; off < pay.size(); off += 512) {
    size_t n = std::min<size_t>(512, pay.size() - off);
    // Insert the fragment header after hop-by-hop by hand.
    Buf x = unfrag;
    x[40] = 44;  // hop-by-hop's next header
    x.insert(x.end(), {17, 0, static_cast<uint8_t>((off / 8) >> 5),
                       static_cast<uint8_t>(((off / 8) << 3) | (off + n < pay.size() ? 1 : 0)), 0, 0, 0, 9});
    x.insert(x.end(), pay.begin() + off, pay.begin() + off + n);
    uint16_t plen = static_cast<uint16_t>(x.size() - 40);
    x[4] = static_cast<uint8_t>(plen >> 8);
    x[5] = static_cast<uint8_t>(plen);
    f.push_back(x);
  }
  Decoder d2({});
  Fed r2 = feed(d2, frames_of(f));
  REQUIRE(r2.completed == 1);
  CHECK(r2.payload == data);
  CHECK(r2.last.ip_hlen == 48);
  CHECK_FALSE(r2.last.l4_csum_bad);
  INFO(anomaly_names(d2));
  CHECK(anomalies(d2) == 0);
}

TEST_CASE("IPv6 fragment anomalies") {
  const char* s = "2001:db8::10";
  const char* t = "2001:db8::20";
  Buf dg = ipv6_datagram(s, t, 17, udp_datagram(s, t, 7, 8, pattern(100)));
  Decoder d({});
  feed(d, frames_of({ipv6_fragment(dg, 65528, Buf(16, 0), false, 1)}));
  CHECK(counter(d, "decoder.event.ipv6.frag_pkt_too_large") == 1);
  feed(d, frames_of({ipv6_fragment(dg, 0, Buf(10, 0), true, 2)}));
  CHECK(counter(d, "decoder.event.ipv6.frag_len_not_multiple_of_8") == 1);
  feed(d,
       frames_of({ipv6_fragment(dg, 16, Buf(8, 0), false, 3), ipv6_fragment(dg, 16, Buf(16, 0), false, 3)}));
  CHECK(counter(d, "decoder.event.ipv6.frag_inconsistent_end") == 1);
  // A fragment inside a reassembled datagram is not reassembled again.
  Buf inner = ipv6_fragment(dg, 8, Buf(16, 0), true, 4);  // a fragment as payload...
  Buf outer_dg = ipv6_datagram(s, t, 44, Buf(inner.begin() + 40, inner.end()));
  auto outer = fragment_ipv6(outer_dg, 8, 5);
  Decoder d2({});
  Fed r = feed(d2, frames_of(outer));
  CHECK(r.completed == 0);
  CHECK(counter(d2, "decoder.event.ipv6.frag_nested") == 1);
}

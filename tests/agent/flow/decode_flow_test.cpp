// The flow table fed by the real decoder with frames from the test packet
// builder: checks that what decode fills in (ports, flags, ICMP ids, VLANs,
// checksum verdicts) is what flow tracking keys and reassembles on.
#include <catch2/catch.hpp>

#include "agent/decode/decoder.h"
#include "tests/agent/flow/flow_test_util.h"
#include "tests/tools/packet_builder.h"

using namespace vigil;
using vigil::flowtest::Recorder;

namespace {

struct Pipeline {
  Decoder dec{DecodeConfig()};
  Recorder rec;
  FlowTable table{FlowConfig(), rec, rec};
  int64_t sec = 1700000000;

  Flow* feed(const test::Buf& frame) {
    Packet p;
    p.ts = Timestamp{sec++, 0};
    p.linktype = 1;
    p.frame = Bytes(frame.data(), frame.size());
    p.wire_len = uint32_t(frame.size());
    if (!dec.decode(p)) return nullptr;
    table.expire(p.ts);
    return table.process(p);
  }
};

}  // namespace

TEST_CASE("decoded TCP frames are reassembled", "[flow][decode]") {
  using namespace vigil::test;
  Pipeline pl;
  const char* c = "10.0.0.1";
  const char* s = "10.0.0.2";
  Flow* f = pl.feed(tcp4(c, s, 40000, 80, 1000, 0, kSyn, ""));
  REQUIRE(f != nullptr);
  CHECK(pl.feed(tcp4(s, c, 80, 40000, 5000, 1001, kSyn | kAck, "")) == f);
  pl.feed(tcp4(c, s, 40000, 80, 1001, 5001, kAck, ""));
  CHECK(f->tcp->state() == TcpState::kEstablished);
  pl.feed(tcp4(c, s, 40000, 80, 1011, 5001, kAck | kPsh, "second"));
  FrameOpts bad;
  bad.bad_l4_checksum = true;
  pl.feed(tcp4(c, s, 40000, 80, 1001, 5001, kAck | kPsh, "EVILEVILEV", bad));
  pl.feed(tcp4(c, s, 40000, 80, 1001, 5001, kAck | kPsh, "first part"));
  pl.feed(tcp4(s, c, 80, 40000, 5001, 1017, kAck | kPsh, "reply"));
  pl.feed(tcp4(c, s, 40000, 80, 1017, 5006, kFin | kAck, ""));
  pl.feed(tcp4(s, c, 80, 40000, 5006, 1018, kFin | kAck, ""));
  pl.feed(tcp4(c, s, 40000, 80, 1018, 5007, kAck, ""));
  CHECK(pl.rec.data[0] == "first partsecond");
  CHECK(pl.rec.data[1] == "reply");
  CHECK(pl.rec.ends[0] == 1);
  CHECK(pl.rec.ends[1] == 1);
  CHECK(f->tcp->state() == TcpState::kClosed);
  CHECK(f->community_id() == community_id_v1(*IpAddr::parse(c), *IpAddr::parse(s), 40000, 80, 6));
  CHECK(f->bytes_toserver > 0);
}

TEST_CASE("decoded ICMP echo request and reply pair up", "[flow][decode]") {
  using namespace vigil::test;
  Pipeline pl;
  Flow* f = pl.feed(icmp4("192.168.0.89", "192.168.0.1", 8, 0, 42, 1, "ping"));
  REQUIRE(f != nullptr);
  CHECK(pl.feed(icmp4("192.168.0.1", "192.168.0.89", 0, 0, 42, 1, "ping")) == f);
  CHECK(f->state == FlowState::kEstablished);
  CHECK(f->community_id() == "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=");
  Flow* g = pl.feed(icmp6("2001:db8::1", "2001:db8::2", 128, 0, 7, 1, "ping6"));
  REQUIRE(g != nullptr);
  CHECK(pl.feed(icmp6("2001:db8::2", "2001:db8::1", 129, 0, 7, 1, "ping6")) == g);
  CHECK(g->proto == 58);
}

TEST_CASE("decoded VLAN tags keep flows apart", "[flow][decode]") {
  using namespace vigil::test;
  Pipeline pl;
  FrameOpts a, b;
  a.vlans = {100, 200};
  b.vlans = {100, 201};
  Flow* fa = pl.feed(udp4("10.0.0.1", "10.0.0.2", 1234, 53, "q", a));
  Flow* fb = pl.feed(udp4("10.0.0.1", "10.0.0.2", 1234, 53, "q", b));
  REQUIRE(fa != nullptr);
  REQUIRE(fb != nullptr);
  CHECK(fa != fb);
  CHECK(fa->vlan_count == 2);
  CHECK(fa->vlan_id[1] == 200);
  CHECK(pl.feed(udp4("10.0.0.2", "10.0.0.1", 53, 1234, "r", a)) == fa);
}

TEST_CASE("ICMP errors join the flow of the packet they quote", "[flow][decode][icmp]") {
  using namespace vigil::test;
  Pipeline pl;
  // A UDP query, and the server's port unreachable quoting it.
  const Buf query_ip =
      ipv4_datagram("10.0.0.1", "10.0.0.2", 17, udp_datagram("10.0.0.1", "10.0.0.2", 5000, 53, "q"));
  Flow* f = pl.feed(udp4("10.0.0.1", "10.0.0.2", 5000, 53, "q"));
  REQUIRE(f != nullptr);
  Flow* e = pl.feed(icmp4_error("10.0.0.2", "10.0.0.1", 3, 3, query_ip));
  CHECK(e == f);
  CHECK(f->pkts_toclient == 1);
  CHECK(f->proto == 17);
  // A router's time exceeded for a TCP segment: same flow, to the client.
  const Buf syn_ip = ipv4_datagram("10.0.0.1", "10.0.0.3", 6,
                                   tcp_segment("10.0.0.1", "10.0.0.3", 40000, 80, 1, 0, kSyn, ""));
  Flow* t = pl.feed(tcp4("10.0.0.1", "10.0.0.3", 40000, 80, 1, 0, kSyn, ""));
  REQUIRE(t != nullptr);
  CHECK(pl.feed(icmp4_error("192.168.9.9", "10.0.0.1", 11, 0, syn_ip)) == t);
  CHECK(t->pkts_toclient == 1);
  CHECK(t->tcp->state() == TcpState::kSynSent);
  // IPv6: packet too big quoting a TCP segment.
  const Buf seg6 = ipv6_datagram("2001:db8::1", "2001:db8::2", 6,
                                 tcp_segment("2001:db8::1", "2001:db8::2", 40001, 443, 9, 0, kSyn, ""));
  Flow* t6 = pl.feed(tcp6("2001:db8::1", "2001:db8::2", 40001, 443, 9, 0, kSyn, ""));
  REQUIRE(t6 != nullptr);
  CHECK(pl.feed(icmp6_error("2001:db8::ff", "2001:db8::1", 2, 0, seg6, 1280)) == t6);
  // An error quoting no known flow gets its own ICMP flow.
  const Buf other =
      ipv4_datagram("10.0.0.1", "10.0.0.9", 17, udp_datagram("10.0.0.1", "10.0.0.9", 1, 2, "x"));
  Flow* lone = pl.feed(icmp4_error("10.0.0.9", "10.0.0.1", 3, 3, other));
  REQUIRE(lone != nullptr);
  CHECK(lone->proto == 1);
  CHECK(lone->icmp_type == 3);
  CHECK(pl.feed(icmp4_error("10.0.0.9", "10.0.0.1", 3, 3, other)) == lone);
}

// With more than one worker the reader sends an error to the worker of the
// pair it quotes, so errors without a flow keep apart per quoted pair (and
// share a flow within one pair), whatever the number of workers.
TEST_CASE("ICMP errors about unseen conversations make one flow per quoted pair", "[flow][decode][icmp]") {
  using namespace vigil::test;
  Pipeline pl;
  auto quote = [](const char* dst, uint16_t dp) {
    return ipv4_datagram("10.0.0.1", dst, 17, udp_datagram("10.0.0.1", dst, 40000, dp, "probe"));
  };
  Flow* a = pl.feed(icmp4_error("192.168.9.9", "10.0.0.1", 11, 0, quote("10.5.0.1", 33434)));
  REQUIRE(a != nullptr);
  Flow* a2 = pl.feed(icmp4_error("192.168.9.9", "10.0.0.1", 11, 0, quote("10.5.0.1", 33435)));
  CHECK(a2 == a);
  CHECK(a->pkts_toserver == 2);
  Flow* b = pl.feed(icmp4_error("192.168.9.9", "10.0.0.1", 11, 0, quote("10.5.0.2", 33434)));
  REQUIRE(b != nullptr);
  CHECK(b != a);
  CHECK(b->proto == 1);
  CHECK(b->flow_id != a->flow_id);
  // An error that quotes nothing usable keeps the plain (sender, receiver,
  // type, code) flow.
  const Buf cut = quote("10.5.0.3", 1);
  Flow* c = pl.feed(icmp4_error("192.168.9.9", "10.0.0.1", 11, 0, Buf(cut.begin(), cut.begin() + 22)));
  REQUIRE(c != nullptr);
  CHECK(c != a);
  CHECK(c != b);
}

#include <catch2/catch.hpp>

#include "tests/agent/flow/flow_test_util.h"

using namespace vigil;
using namespace vigil::flowtest;

TEST_CASE("handshake and data both ways are delivered in order", "[flow][tcp]") {
  Harness h;
  Flow* f = h.handshake();
  REQUIRE(f != nullptr);
  CHECK(f->tcp->state() == TcpState::kEstablished);
  CHECK(f->state == FlowState::kEstablished);
  CHECK(f->client == h.cli);
  CHECK(f->client_port == 40000);
  h.send(h.tcp(true, 1001, 5001, kPA, "GET / HTTP/1.0\r\n\r\n"));
  h.send(h.tcp(false, 5001, 1019, kPA, "HTTP/1.0 200 OK\r\n"));
  h.send(h.tcp(false, 5018, 1019, kPA, "\r\nbody"));
  CHECK(h.ts() == "GET / HTTP/1.0\r\n\r\n");
  CHECK(h.tc() == "HTTP/1.0 200 OK\r\n\r\nbody");
  CHECK(h.rec.offset_errors == 0);
  CHECK(f->pkts_toserver == 3);
  CHECK(f->pkts_toclient == 3);
  CHECK(f->tcp_flags_ts == (kTcpSyn | kTcpAck | kTcpPsh));
  CHECK(f->tcp_flags_tc == (kTcpSyn | kTcpAck | kTcpPsh));
  CHECK(h.counter("tcp.sessions") == 1);
  CHECK(h.counter("tcp.syn") == 1);
  CHECK(h.counter("tcp.synack") == 1);
  CHECK(h.counter("tcp.midstream_pickups") == 0);

  // Orderly close, client first: every state on the way, each side ended once.
  h.send(h.tcp(true, 1019, 5024, kFA));
  CHECK(f->tcp->state() == TcpState::kFinWait1);
  CHECK(h.rec.ends[0] == 1);
  CHECK(h.rec.ends[1] == 0);
  h.send(h.tcp(false, 5024, 1020, kTcpAck));
  CHECK(f->tcp->state() == TcpState::kFinWait2);
  h.send(h.tcp(false, 5024, 1020, kFA));
  CHECK(f->tcp->state() == TcpState::kTimeWait);
  CHECK(f->state == FlowState::kClosed);
  CHECK(h.rec.ends[1] == 1);
  h.send(h.tcp(true, 1020, 5025, kTcpAck));
  CHECK(f->tcp->state() == TcpState::kClosed);
  CHECK(h.counter("tcp.fin") == 2);

  h.table->flush_all(Timestamp{2000, 0});
  CHECK(h.rec.ends[0] == 1);  // not ended twice
  CHECK(h.rec.ends[1] == 1);
  REQUIRE(h.rec.flow_ends.size() == 1);
  CHECK(h.rec.flow_ends[0].reason == FlowEndReason::kShutdown);
}

TEST_CASE("out-of-order segments wait for the hole to fill", "[flow][tcp]") {
  Harness h;
  h.handshake();
  h.send(h.tcp(true, 1011, 5001, kPA, "world"));
  h.send(h.tcp(true, 1016, 5001, kPA, "!!"));
  CHECK(h.ts().empty());
  CHECK(h.counter("tcp.ooo_segments") == 2);
  CHECK(h.counter("tcp.reassembly_memuse") > 0);
  h.send(h.tcp(true, 1001, 5001, kPA, "hello, wor"));
  CHECK(h.ts() == "hello, worworld!!");
  CHECK(h.rec.offset_errors == 0);
  CHECK(h.counter("tcp.overlap") == 0);
}

TEST_CASE("a hole filled by a segment overlapping buffered data", "[flow][tcp]") {
  Harness h;
  h.handshake();
  h.send(h.tcp(true, 1006, 5001, kPA, "FGHIJ"));
  // Covers the hole and the first two buffered bytes with the same data.
  h.send(h.tcp(true, 1001, 5001, kPA, "ABCDEFG"));
  CHECK(h.ts() == "ABCDEFGHIJ");
  CHECK(h.counter("tcp.overlap") == 1);
  CHECK(h.counter("tcp.overlap_diff_data") == 0);
}

TEST_CASE("retransmitted data is dropped and counted", "[flow][tcp]") {
  Harness h;
  h.handshake();
  h.send(h.tcp(true, 1001, 5001, kPA, "abcdef"));
  h.send(h.tcp(true, 1001, 5001, kPA, "abcdef"));
  CHECK(h.ts() == "abcdef");
  CHECK(h.counter("tcp.retransmissions") == 1);
  CHECK(h.counter("tcp.overlap_diff_data") == 0);
}

TEST_CASE("overlap with the same data extends the stream", "[flow][tcp]") {
  Harness h;
  h.handshake();
  h.send(h.tcp(true, 1001, 5001, kPA, "abcdef"));
  h.send(h.tcp(true, 1004, 5001, kPA, "defghi"));
  CHECK(h.ts() == "abcdefghi");
  CHECK(h.counter("tcp.overlap") == 1);
  CHECK(h.counter("tcp.overlap_diff_data") == 0);
  CHECK(h.counter("tcp.retransmissions") == 0);
}

TEST_CASE("overlap with different data: the first bytes win and it is counted", "[flow][tcp]") {
  Harness h;
  h.handshake();
  SECTION("against delivered bytes") {
    h.send(h.tcp(true, 1001, 5001, kPA, "abcdef"));
    h.send(h.tcp(true, 1004, 5001, kPA, "XYZghi"));
    CHECK(h.ts() == "abcdefghi");
    CHECK(h.counter("tcp.overlap") == 1);
    CHECK(h.counter("tcp.overlap_diff_data") == 1);
  }
  SECTION("a full retransmission with other bytes") {
    h.send(h.tcp(true, 1001, 5001, kPA, "abcdef"));
    h.send(h.tcp(true, 1001, 5001, kPA, "evil!!"));
    CHECK(h.ts() == "abcdef");
    CHECK(h.counter("tcp.retransmissions") == 1);
    CHECK(h.counter("tcp.overlap_diff_data") == 1);
  }
  SECTION("against buffered bytes") {
    h.send(h.tcp(true, 1004, 5001, kPA, "def"));
    h.send(h.tcp(true, 1004, 5001, kPA, "XYZ"));
    h.send(h.tcp(true, 1001, 5001, kPA, "abc"));
    CHECK(h.ts() == "abcdef");
    CHECK(h.counter("tcp.overlap") == 1);
    CHECK(h.counter("tcp.overlap_diff_data") == 1);
  }
}

TEST_CASE("the peer acknowledging bytes we never saw is a gap", "[flow][tcp]") {
  Harness h;
  h.handshake();
  h.send(h.tcp(true, 1001, 5001, kPA, "aaaa"));
  // 1005..1014 lost before the sensor; the next segment waits.
  h.send(h.tcp(true, 1015, 5001, kPA, "bbbb"));
  CHECK(h.ts() == "aaaa");
  h.send(h.tcp(false, 5001, 1019, kTcpAck));
  CHECK(h.ts() == "aaaa##########bbbb");
  CHECK(h.rec.gap_calls[0] == 1);
  CHECK(h.rec.gaps[0] == 10);
  CHECK(h.counter("tcp.reassembly_gap") == 1);
  h.send(h.tcp(true, 1019, 5001, kPA, "cc"));
  CHECK(h.ts() == "aaaa##########bbbbcc");
  CHECK(h.rec.offset_errors == 0);
}

TEST_CASE("an acknowledged hole with nothing after it is a gap", "[flow][tcp]") {
  Harness h;
  h.handshake();
  h.send(h.tcp(false, 5001, 1001, kTcpAck));  // no gap: nothing sent yet
  CHECK(h.rec.gap_calls[0] == 0);
  h.send(h.tcp(false, 5001, 1006, kTcpAck));
  CHECK(h.ts() == "#####");
  h.send(h.tcp(true, 1006, 5001, kPA, "ok"));
  CHECK(h.ts() == "#####ok");
}

TEST_CASE("buffered data beyond a hole is delivered after a gap at flow end", "[flow][tcp]") {
  Harness h;
  h.handshake();
  h.send(h.tcp(true, 1001, 5001, kPA, "ab"));
  h.send(h.tcp(true, 1006, 5001, kPA, "fg"));
  CHECK(h.rec.ends[0] == 0);
  h.table->flush_all(Timestamp{1001, 0});
  CHECK(h.ts() == "ab###fg");
  CHECK(h.rec.ends[0] == 1);
  CHECK(h.rec.ends[1] == 1);
  REQUIRE(h.rec.flow_ends.size() == 1);
  CHECK(h.rec.flow_ends[0].stream_ts == "ab###fg");
  CHECK(h.rec.flow_ends[0].ended_ts);
  CHECK(h.rec.flow_ends[0].ended_tc);
  // Stream calls come before the flow end.
  CHECK(h.rec.log.back() == "flow end");
}

TEST_CASE("a FIN beyond a hole ends the stream once the hole is known", "[flow][tcp]") {
  Harness h;
  h.handshake();
  h.send(h.tcp(true, 1001, 5001, kPA, "ab"));
  h.send(h.tcp(true, 1006, 5001, kFA, "fg"));
  CHECK(h.rec.ends[0] == 0);
  // The server acknowledges data and FIN: the hole is lost for good.
  h.send(h.tcp(false, 5001, 1009, kTcpAck));
  CHECK(h.ts() == "ab###fg");
  CHECK(h.rec.ends[0] == 1);
}

TEST_CASE("reassembly depth is honoured exactly at the boundary", "[flow][tcp]") {
  FlowConfig cfg;
  cfg.reassembly_depth = 10;
  SECTION("one byte short: no depth event") {
    Harness h(cfg);
    h.handshake();
    h.send(h.tcp(true, 1001, 5001, kPA, "123456789"));
    CHECK(h.ts() == "123456789");
    CHECK(h.rec.depth[0] == 0);
    CHECK(h.counter("tcp.reassembly_depth_reached") == 0);
  }
  SECTION("exactly the depth: all delivered, then depth once") {
    Harness h(cfg);
    h.handshake();
    h.send(h.tcp(true, 1001, 5001, kPA, "1234567890"));
    CHECK(h.ts() == "1234567890");
    CHECK(h.rec.depth[0] == 1);
    h.send(h.tcp(true, 1011, 5001, kPA, "more"));
    CHECK(h.ts() == "1234567890");
    CHECK(h.rec.depth[0] == 1);
    CHECK(h.counter("tcp.reassembly_depth_reached") == 1);
  }
  SECTION("a segment across the depth is cut") {
    Harness h(cfg);
    h.handshake();
    h.send(h.tcp(true, 1001, 5001, kPA, "12345"));
    h.send(h.tcp(true, 1006, 5001, kPA, "67890abc"));
    CHECK(h.ts() == "1234567890");
    CHECK(h.rec.depth[0] == 1);
    // The other direction is not limited by this one.
    h.send(h.tcp(false, 5001, 1014, kPA, "short"));
    CHECK(h.tc() == "short");
    CHECK(h.rec.depth[1] == 0);
    // FIN still ends the stream.
    h.send(h.tcp(true, 1014, 5006, kFA));
    CHECK(h.rec.ends[0] == 1);
  }
  SECTION("out-of-order data beyond the depth is not buffered") {
    Harness h(cfg);
    h.handshake();
    h.send(h.tcp(true, 1011, 5001, kPA, "beyond"));
    CHECK(h.counter("tcp.ooo_segments") == 0);
    CHECK(h.counter("tcp.reassembly_memuse") == 0);
  }
}

TEST_CASE("sequence numbers wrap around 2^32", "[flow][tcp]") {
  Harness h;
  const uint32_t isn = 0xFFFFFFF0u;
  h.handshake(isn, 0xFFFFFFFFu);
  // Offsets 0..19 are sequence numbers 0xFFFFFFF1..0x00000004; offset 15 is
  // sequence 0. Sent out of order so buffered data crosses the wrap too.
  h.send(h.tcp(true, 0x00000000u, 0, kPA, "fghij"));
  h.send(h.tcp(true, isn + 1, 0, kPA, "0123456"));
  h.send(h.tcp(true, 0xFFFFFFF8u, 0, kPA, "789abcde"));
  CHECK(h.ts() == "0123456789abcdefghij");
  CHECK(h.counter("tcp.ooo_segments") == 1);
  // Server ISN 0xFFFFFFFF: its first byte has sequence 0; its ACK wraps too.
  h.send(h.tcp(false, 0, isn + 21, kPA, "pong"));
  CHECK(h.rec.gap_calls[0] == 0);
  CHECK(h.tc() == "pong");
  CHECK(h.rec.offset_errors == 0);
  CHECK(h.counter("tcp.seq_out_of_window") == 0);
}

TEST_CASE("midstream pickup starts at the first byte seen", "[flow][tcp]") {
  FlowConfig pickup;
  pickup.midstream = true;  // the agent default is false, as in Suricata
  Harness h(pickup);
  Flow* f = h.send(h.tcp(true, 777777, 888888, kPA, "middle"));
  REQUIRE(f != nullptr);
  CHECK(f->tcp->midstream());
  CHECK(f->tcp->state() == TcpState::kEstablished);
  CHECK(h.counter("tcp.midstream_pickups") == 1);
  CHECK(h.counter("tcp.sessions") == 1);
  h.send(h.tcp(false, 888888, 777783, kPA, "answer"));
  CHECK(h.ts() == "middle");
  CHECK(h.tc() == "answer");
}

TEST_CASE("without midstream pickup a session needs its handshake", "[flow][tcp]") {
  FlowConfig cfg;
  cfg.midstream = false;
  Harness h(cfg);
  Flow* f = h.send(h.tcp(true, 777777, 888888, kPA, "middle"));
  REQUIRE(f != nullptr);
  CHECK_FALSE(f->tcp->started());
  CHECK(h.ts().empty());
  CHECK(h.counter("tcp.pkt_without_session") == 1);
  CHECK(h.counter("tcp.sessions") == 0);
  // A SYN/ACK without its SYN is a late pickup too.
  h.sport = 81;
  Flow* g = h.send(h.tcp(false, 5000, 1001, kTcpSyn | kTcpAck));
  REQUIRE(g != nullptr);
  CHECK(g->client == h.cli);
  CHECK_FALSE(g->tcp->started());
  // A handshake seen from its SYN still works.
  h.sport = 82;
  Flow* k = h.handshake();
  CHECK(k->tcp->state() == TcpState::kEstablished);
  h.send(h.tcp(true, 1001, 5001, kPA, "ok"));
  CHECK(h.ts() == "ok");
}

TEST_CASE("a SYN/ACK seen first makes its receiver the client", "[flow][tcp]") {
  FlowConfig pickup;
  pickup.midstream = true;  // the agent default is false, as in Suricata
  Harness h(pickup);
  Flow* f = h.send(h.tcp(false, 5000, 1001, kTcpSyn | kTcpAck));
  REQUIRE(f != nullptr);
  CHECK(f->client == h.cli);
  CHECK(f->client_port == 40000);
  CHECK(f->server_port == 80);
  CHECK(f->tcp->state() == TcpState::kSynRecv);
  h.send(h.tcp(true, 1001, 5001, kTcpAck));
  CHECK(f->tcp->state() == TcpState::kEstablished);
  h.send(h.tcp(true, 1001, 5001, kPA, "hi"));
  CHECK(h.ts() == "hi");
}

TEST_CASE("RST ends both directions after delivering what is in order", "[flow][tcp]") {
  Harness h;
  Flow* f = h.handshake();
  h.send(h.tcp(true, 1001, 5001, kPA, "abc"));
  h.send(h.tcp(true, 1008, 5001, kPA, "hij"));
  h.send(h.tcp(false, 5001, 1004, kTcpRst | kTcpAck));
  CHECK(f->tcp->state() == TcpState::kClosed);
  CHECK(f->state == FlowState::kClosed);
  CHECK(h.ts() == "abc####hij");
  CHECK(h.rec.ends[0] == 1);
  CHECK(h.rec.ends[1] == 1);
  CHECK(h.counter("tcp.rst") == 1);
  h.send(h.tcp(true, 1011, 5001, kPA, "late"));
  CHECK(h.counter("tcp.pkt_on_closed") == 1);
  CHECK(h.ts() == "abc####hij");
}

TEST_CASE("packets with a bad checksum are ignored by the stream", "[flow][tcp]") {
  Harness h;
  h.handshake();
  Packet bad = h.tcp(true, 1001, 5001, kPA, "evil");
  bad.l4_csum_bad = true;
  h.send(bad);
  h.send(h.tcp(true, 1001, 5001, kPA, "good"));
  CHECK(h.ts() == "good");
  CHECK(h.counter("tcp.invalid_checksum") == 1);
  CHECK(h.counter("tcp.retransmissions") == 0);

  FlowConfig off;
  off.checksum_checks = false;
  Harness h2(off);
  h2.handshake();
  Packet bad2 = h2.tcp(true, 1001, 5001, kPA, "used");
  bad2.l4_csum_bad = true;
  h2.send(bad2);
  CHECK(h2.ts() == "used");
}

TEST_CASE("out-of-order bytes beyond the memcap are dropped, counted, and become a gap", "[flow][tcp]") {
  FlowConfig cfg;
  cfg.reassembly_memcap = 2 * sizeof(Segment);  // room for two chunks
  Harness h(cfg);
  h.handshake();
  h.send(h.tcp(true, 1101, 5001, kPA, "A"));
  h.send(h.tcp(true, 1201, 5001, kPA, "B"));
  h.send(h.tcp(true, 1301, 5001, kPA, "C"));
  CHECK(h.counter("tcp.segment_memcap_drop") == 1);
  CHECK(h.counter("tcp.ooo_segments") == 3);
  h.table->flush_all(Timestamp{1001, 0});
  CHECK(h.ts() == std::string(100, '#') + "A" + std::string(99, '#') + "B");
  // Everything went back to the pool.
  CHECK(h.counter("tcp.reassembly_memuse") == 0);
}

TEST_CASE("segments far outside the window are not believed", "[flow][tcp]") {
  Harness h;
  h.handshake();
  h.send(h.tcp(true, 1001 + 0x60000000u, 5001, kPA, "far"));
  CHECK(h.counter("tcp.seq_out_of_window") == 1);
  CHECK(h.counter("tcp.ooo_segments") == 0);
  // Data before the ISN is old data.
  h.send(h.tcp(true, 900, 5001, kPA, "old"));
  CHECK(h.counter("tcp.retransmissions") == 1);
  CHECK(h.ts().empty());
}

TEST_CASE("large segments are buffered across several chunks", "[flow][tcp]") {
  Harness h;
  h.handshake();
  std::string big;
  for (int i = 0; i < 9000; ++i) big.push_back(char('a' + i % 26));
  h.send(h.tcp(true, 1001 + 3, 5001, kPA, big));
  h.send(h.tcp(true, 1001, 5001, kPA, "xyz"));
  CHECK(h.ts() == "xyz" + big);
  CHECK(h.rec.offset_errors == 0);
}

TEST_CASE("keep-alive probes are neither data nor retransmissions", "[flow][tcp]") {
  Harness h;
  h.handshake();
  h.send(h.tcp(true, 1001, 5001, kPA, "abc"));
  h.send(h.tcp(true, 1003, 5001, kTcpAck, "Z"));  // last byte again, other content
  h.send(h.tcp(true, 1003, 5001, kTcpAck));
  CHECK(h.ts() == "abc");
  CHECK(h.counter("tcp.retransmissions") == 0);
  CHECK(h.counter("tcp.overlap_diff_data") == 0);
}

TEST_CASE("a SYN resent with a new ISN restarts the client stream", "[flow][tcp]") {
  Harness h;
  Flow* f = h.send(h.tcp(true, 1000, 0, kTcpSyn));
  h.send(h.tcp(true, 3000, 0, kTcpSyn));
  h.send(h.tcp(false, 5000, 3001, kTcpSyn | kTcpAck));
  h.send(h.tcp(true, 3001, 5001, kTcpAck));
  CHECK(f->tcp->state() == TcpState::kEstablished);
  h.send(h.tcp(true, 3001, 5001, kPA, "data"));
  CHECK(h.ts() == "data");
  CHECK(h.counter("tcp.syn") == 2);
}

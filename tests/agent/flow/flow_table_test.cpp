#include <catch2/catch.hpp>
#include <set>
#include <vector>

#include "tests/agent/flow/flow_test_util.h"

using namespace vigil;
using namespace vigil::flowtest;

TEST_CASE("UDP: both directions find one flow, established once answered", "[flow][table]") {
  Harness h;
  h.cli = ip("192.168.1.52");
  h.srv = ip("8.8.8.8");
  h.cport = 54585;
  h.sport = 53;
  Packet q = h.udp(true, "query");
  Flow* f = h.table->process(q);
  REQUIRE(f != nullptr);
  CHECK(q.flow == f);
  CHECK(q.to_server);
  CHECK(f->state == FlowState::kNew);
  CHECK(f->proto == 17);
  CHECK(f->tcp == nullptr);
  Packet r = h.udp(false, "answer");
  CHECK(h.table->process(r) == f);
  CHECK_FALSE(r.to_server);
  CHECK(f->state == FlowState::kEstablished);
  CHECK(f->pkts_toserver == 1);
  CHECK(f->pkts_toclient == 1);
  CHECK(f->community_id() == "1:d/FP5EW3wiY1vCndhwleRRKHowQ=");
  CHECK(h.counter("flow.udp") == 1);
  CHECK(h.counter("flow.total") == 1);
  CHECK(h.counter("flow.active") == 1);
}

TEST_CASE("ICMP echo request and reply share a flow keyed by id", "[flow][table][icmp]") {
  Harness h;
  h.cli = ip("192.168.0.89");
  h.srv = ip("192.168.0.1");
  Flow* f = h.send(h.icmp(true, 8, 0, 7, true));
  REQUIRE(f != nullptr);
  CHECK(h.send(h.icmp(false, 0, 0, 7, true)) == f);
  CHECK(f->state == FlowState::kEstablished);
  CHECK(f->icmp_type == 8);
  CHECK(f->response_icmp_type == 0);
  CHECK(f->client_port == 0);
  CHECK(f->community_id() == "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=");
  // Another id is another flow; so is a message keyed by type/code.
  Flow* g = h.send(h.icmp(true, 8, 0, 8, true));
  CHECK(g != f);
  Flow* u = h.send(h.icmp(false, 3, 1));
  CHECK(u != f);
  CHECK(u != g);
  CHECK(h.counter("flow.icmpv4") == 3);
}

TEST_CASE("an ICMP echo reply seen first makes its receiver the client", "[flow][table][icmp]") {
  Harness h;
  h.cli = ip("192.168.0.89");
  h.srv = ip("192.168.0.1");
  Flow* f = h.send(h.icmp(false, 0, 0, 3, true));
  REQUIRE(f != nullptr);
  CHECK(f->client == h.cli);
  CHECK(f->server == h.srv);
  CHECK(f->response_icmp_type == 0);
  CHECK(f->community_id() == "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=");
}

TEST_CASE("ICMPv6 flows are counted apart", "[flow][table][icmp]") {
  Harness h;
  h.cli = ip("fe80::200:86ff:fe05:80da");
  h.srv = ip("fe80::260:97ff:fe07:69ea");
  Flow* f = h.send(h.icmp(true, 128, 0, 1, true));
  REQUIRE(f != nullptr);
  CHECK(h.send(h.icmp(false, 129, 0, 1, true)) == f);
  CHECK(f->proto == 58);
  CHECK(f->community_id() == "1:QrVnZEjGihSsEkRF1XxqheQ1Za8=");
  CHECK(h.counter("flow.icmpv6") == 1);
}

TEST_CASE("a SYN on a closed session ends it and starts a new flow", "[flow][table][tcp]") {
  Harness h;
  Flow* f = h.handshake();
  const uint64_t old_id = f->flow_id;
  h.send(h.tcp(true, 1001, 5001, kPA, "one"));
  h.send(h.tcp(true, 1004, 5001, kTcpRst));
  CHECK(f->state == FlowState::kClosed);
  h.now_sec += 1;
  h.rec.clear_streams();
  Flow* g = h.send(h.tcp(true, 90000, 0, kTcpSyn));
  REQUIRE(g != nullptr);
  REQUIRE(h.rec.flow_ends.size() == 1);
  CHECK(h.rec.flow_ends[0].flow_id == old_id);
  CHECK(h.rec.flow_ends[0].reason == FlowEndReason::kForced);
  CHECK(g->flow_id != old_id);
  CHECK(g->tcp->state() == TcpState::kSynSent);
  CHECK(g->pkts_toserver == 1);
  CHECK(h.counter("tcp.ssn_reuse") == 1);
  CHECK(h.counter("flow.end.forced") == 1);
  CHECK(h.counter("flow.tcp") == 2);
  CHECK(h.table->active() == 1);
  h.send(h.tcp(false, 7000, 90001, kTcpSyn | kTcpAck));
  h.send(h.tcp(true, 90001, 7001, kPA, "two"));
  CHECK(h.ts() == "two");
}

TEST_CASE("a SYN on a live session is not a reuse", "[flow][table][tcp]") {
  Harness h;
  Flow* f = h.handshake();
  CHECK(h.send(h.tcp(true, 1000, 0, kTcpSyn)) == f);
  CHECK(h.counter("tcp.ssn_reuse") == 0);
  CHECK(h.rec.flow_ends.empty());
}

TEST_CASE("timeouts follow protocol and state in packet time", "[flow][table][timeout]") {
  FlowConfig cfg;  // defaults: tcp 60/600/60, udp 30/300, other 30/300
  Harness h(cfg);
  auto at = [](int64_t s) { return Timestamp{s, 0}; };

  SECTION("TCP new") {
    h.send(h.tcp(true, 1000, 0, kTcpSyn));
    h.table->expire(at(1060));
    CHECK(h.table->active() == 1);
    h.table->expire(at(1061));
    CHECK(h.table->active() == 0);
    REQUIRE(h.rec.flow_ends.size() == 1);
    CHECK(h.rec.flow_ends[0].reason == FlowEndReason::kTimeout);
    CHECK(h.counter("flow.end.timeout") == 1);
  }
  SECTION("TCP established") {
    h.handshake();
    h.table->expire(at(1599));
    CHECK(h.table->active() == 1);
    h.table->expire(at(1601));
    CHECK(h.table->active() == 0);
  }
  SECTION("TCP closed") {
    h.handshake();
    h.send(h.tcp(true, 1001, 5001, kTcpRst));
    h.table->expire(at(1060));
    CHECK(h.table->active() == 1);
    h.table->expire(at(1061));
    CHECK(h.table->active() == 0);
  }
  SECTION("UDP new and established") {
    h.send(h.udp(true));
    h.sport = 54;
    h.send(h.udp(true));
    h.send(h.udp(false));
    CHECK(h.table->active() == 2);
    h.table->expire(at(1031));
    CHECK(h.table->active() == 1);  // the unanswered one
    h.table->expire(at(1300));
    CHECK(h.table->active() == 1);
    h.table->expire(at(1301));
    CHECK(h.table->active() == 0);
  }
  SECTION("other protocols") {
    h.send(h.ip_packet(true, L4::kOther));
    CHECK(h.counter("flow.other") == 1);
    h.table->expire(at(1031));
    CHECK(h.table->active() == 0);
  }
  SECTION("activity pushes the deadline back") {
    h.handshake();
    h.now_sec = 1500;
    h.send(h.tcp(true, 1001, 5001, kTcpAck));
    h.table->expire(at(1700));
    CHECK(h.table->active() == 1);
    h.table->expire(at(2101));
    CHECK(h.table->active() == 0);
  }
}

TEST_CASE("expire does its work at most once per second of packet time", "[flow][table][timeout]") {
  Harness h;
  h.send(h.tcp(true, 1000, 0, kTcpSyn));  // deadline 1060.0
  h.table->expire(Timestamp{1060, 0});
  h.table->expire(Timestamp{1060, 500000});
  CHECK(h.table->active() == 1);  // already checked during second 1060
  h.table->expire(Timestamp{1061, 0});
  CHECK(h.table->active() == 0);
}

TEST_CASE("a full table refuses new flows and counts them", "[flow][table]") {
  FlowConfig cfg;
  cfg.max_flows = 2;
  Harness h(cfg);
  CHECK(h.send(h.udp(true)) != nullptr);
  h.sport = 54;
  CHECK(h.send(h.udp(true)) != nullptr);
  h.sport = 55;
  Packet p = h.udp(true);
  CHECK(h.table->process(p) == nullptr);
  CHECK(p.flow == nullptr);
  CHECK(h.counter("flow.memcap_refused") == 1);
  CHECK(h.rec.flow_ends.empty());  // nothing evicted
  // Existing flows still work.
  h.sport = 80;
  CHECK(h.send(h.udp(false)) != nullptr);
  // Room again after a timeout.
  h.table->expire(Timestamp{1031, 0});
  h.sport = 55;
  CHECK(h.send(h.udp(true)) != nullptr);
}

TEST_CASE("the table's memory grows with its flows, up to flow.max-flows", "[flow][table][growth]") {
  FlowConfig cfg;
  cfg.max_flows = 3000;  // the bucket array may grow to 4096
  Harness h(cfg);
  // Nothing sized for max_flows up front: a small bucket array, no flow slots.
  CHECK(h.counter("flow.hash_buckets") == 1024);
  CHECK(h.counter("flow.memuse") == 1024 * sizeof(void*));
  std::vector<Flow*> flows;
  for (uint32_t i = 0; i < cfg.max_flows; ++i) {
    h.cport = uint16_t(10000 + i);
    Flow* f = h.send(h.udp(true));
    REQUIRE(f != nullptr);
    flows.push_back(f);
    if (i + 1 == 1024) CHECK(h.counter("flow.hash_buckets") == 1024);
    if (i + 1 == 1025) CHECK(h.counter("flow.hash_buckets") == 2048);
  }
  CHECK(h.counter("flow.hash_buckets") == 4096);
  CHECK(h.counter("flow.active") == cfg.max_flows);
  const uint64_t full = h.counter("flow.memuse");
  CHECK(full >= 4096 * sizeof(void*) + cfg.max_flows * sizeof(Flow));
  // Every flow is still found after the rehashes: the answers join them.
  for (uint32_t i = 0; i < cfg.max_flows; ++i) {
    h.cport = uint16_t(10000 + i);
    REQUIRE(h.send(h.udp(false)) == flows[i]);
    CHECK(flows[i]->state == FlowState::kEstablished);
  }
  CHECK(h.counter("flow.total") == cfg.max_flows);
  // The cap holds and refusals are counted.
  h.cport = 9999;
  CHECK(h.send(h.udp(true)) == nullptr);
  CHECK(h.counter("flow.memcap_refused") == 1);
  CHECK(h.counter("flow.hash_buckets") == 4096);
  // Ended flows are recycled: the same number again allocates nothing more.
  h.now_sec += 1000;
  h.table->expire(Timestamp{h.now_sec, 0});
  CHECK(h.counter("flow.active") == 0);
  for (uint32_t i = 0; i < cfg.max_flows; ++i) {
    h.cport = uint16_t(20000 + i);
    REQUIRE(h.send(h.udp(true)) != nullptr);
  }
  CHECK(h.counter("flow.memuse") == full);
}

TEST_CASE("a small flow.max-flows keeps the bucket array small", "[flow][table][growth]") {
  FlowConfig cfg;
  cfg.max_flows = 1500;  // bucket array capped at 2048
  Harness h(cfg);
  for (uint32_t i = 0; i < cfg.max_flows; ++i) {
    h.cport = uint16_t(10000 + i);
    REQUIRE(h.send(h.udp(true)) != nullptr);
  }
  CHECK(h.counter("flow.hash_buckets") == 2048);
}

TEST_CASE("flow ids are stable, distinct and below 2^53", "[flow][table]") {
  auto run = [](int64_t start) {
    Harness h;
    h.now_sec = start;
    std::vector<uint64_t> ids;
    for (uint16_t port = 1000; port < 1100; ++port) {
      h.cport = port;
      ids.push_back(h.send(h.tcp(true, 1, 0, kTcpSyn))->flow_id);
    }
    return ids;
  };
  const auto a = run(1000), b = run(1000), c = run(1001);
  CHECK(a == b);
  CHECK(a != c);
  std::set<uint64_t> uniq(a.begin(), a.end());
  CHECK(uniq.size() == a.size());
  for (uint64_t id : a) {
    CHECK(id != 0);
    CHECK(id < (1ull << 53));
  }
  // Both directions: the id is the flow's, not the packet's.
  Harness h;
  Flow* f = h.send(h.udp(true));
  CHECK(h.send(h.udp(false))->flow_id == f->flow_id);
}

TEST_CASE("VLAN ids separate flows", "[flow][table]") {
  Harness h;
  Packet a = h.udp(true);
  a.vlan_count = 1;
  a.vlan_id[0] = 10;
  Packet b = h.udp(true);
  b.vlan_count = 1;
  b.vlan_id[0] = 20;
  Flow* fa = h.send(a);
  Flow* fb = h.send(b);
  CHECK(fa != fb);
  CHECK(fa->vlan_id[0] == 10);
  CHECK(fa->vlan_count == 1);
  Packet back = h.udp(false);
  back.vlan_count = 1;
  back.vlan_id[0] = 10;
  CHECK(h.send(back) == fa);
}

TEST_CASE("packets that cannot have a flow get none", "[flow][table]") {
  Harness h;
  Packet not_ip;
  CHECK(h.table->process(not_ip) == nullptr);
  Packet bad = h.udp(true);
  bad.invalid = true;
  CHECK(h.table->process(bad) == nullptr);
  Packet frag = h.udp(true);
  frag.is_fragment = true;
  CHECK(h.table->process(frag) == nullptr);
  CHECK(h.table->active() == 0);
}

TEST_CASE("IPv6 TCP flows", "[flow][table]") {
  Harness h;
  h.cli = ip("2001:db8::1");
  h.srv = ip("2001:db8::2");
  h.cport = 1234;
  Flow* f = h.handshake();
  REQUIRE(f != nullptr);
  CHECK(f->client == h.cli);
  CHECK(f->community_id() == "1:r0kqPLw6hSIAasyo9ANthUgbhVA=");
  h.send(h.tcp(true, 1001, 5001, kPA, "v6"));
  CHECK(h.ts() == "v6");
}

TEST_CASE("same address and port pair on both ends", "[flow][table]") {
  Harness h;
  h.srv = h.cli;
  h.sport = h.cport;
  Flow* f = h.send(h.udp(true));
  REQUIRE(f != nullptr);
  CHECK(h.send(h.udp(false)) == f);
}

TEST_CASE("flush_all ends every flow, streams first", "[flow][table]") {
  Harness h;
  h.handshake();
  h.send(h.tcp(true, 1001, 5001, kPA, "x"));
  h.send(h.udp(true));
  h.table->flush_all(Timestamp{1001, 0});
  CHECK(h.table->active() == 0);
  REQUIRE(h.rec.flow_ends.size() == 2);
  for (const auto& e : h.rec.flow_ends) CHECK(e.reason == FlowEndReason::kShutdown);
  CHECK(h.counter("flow.end.shutdown") == 2);
  CHECK(h.rec.ends[0] == 1);
  CHECK(h.rec.ends[1] == 1);
  // Pooled flows and sessions are reused afterwards.
  Flow* f = h.handshake();
  REQUIRE(f != nullptr);
  CHECK(f->pkts_toserver == 2);
  CHECK(f->tcp->state() == TcpState::kEstablished);
  CHECK(f->app == nullptr);
}

TEST_CASE("every documented counter is exposed", "[flow][table]") {
  Harness h;
  std::set<std::string> names;
  h.table->visit_counters([&](std::string_view n, uint64_t) { names.emplace(n); });
  for (const char* n : {"flow.total",
                        "flow.tcp",
                        "flow.udp",
                        "flow.icmpv4",
                        "flow.icmpv6",
                        "flow.other",
                        "flow.active",
                        "flow.memuse",
                        "flow.hash_buckets",
                        "flow.memcap_refused",
                        "flow.end.timeout",
                        "flow.end.shutdown",
                        "flow.end.forced",
                        "tcp.sessions",
                        "tcp.syn",
                        "tcp.synack",
                        "tcp.rst",
                        "tcp.fin",
                        "tcp.midstream_pickups",
                        "tcp.invalid_checksum",
                        "tcp.pkt_on_closed",
                        "tcp.reassembly_gap",
                        "tcp.reassembly_depth_reached",
                        "tcp.segment_memcap_drop",
                        "tcp.overlap",
                        "tcp.overlap_diff_data",
                        "tcp.ooo_segments",
                        "tcp.retransmissions",
                        "tcp.ssn_reuse"}) {
    CHECK(names.count(n) == 1);
  }
}

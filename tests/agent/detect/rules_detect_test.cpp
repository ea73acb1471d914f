// The rules detection stage as a worker drives it: flowbits ordering within
// one packet, stream matches split across segments alerting once, app-layer
// rules once per transaction, and an engine swap through EngineHolder that
// keeps the flow's flowbits.
#include "agent/detect/rules_detect.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "agent/flow/flow.h"
#include "detect_test_util.h"

using namespace vigil;
using namespace vigil::test;

namespace {

class FakeHttpTx : public Transaction {
 public:
  FakeHttpTx(uint64_t id, std::string uri) : id_(id), uri_(std::move(uri)) {}
  AppProto proto() const override { return AppProto::kHttp; }
  uint64_t tx_id() const override { return id_; }
  TxProgress progress(Dir) const override { return TxProgress::kHeaders; }
  size_t buffer_count(BufferId id, Dir d) const override {
    return id == BufferId::kHttpUri && d == Dir::kToServer ? 1 : 0;
  }
  std::span<const uint8_t> buffer(BufferId, Dir, size_t) const override {
    return {reinterpret_cast<const uint8_t*>(uri_.data()), uri_.size()};
  }
  void to_eve(nlohmann::ordered_json& out) const override { out["http"]["url"] = uri_; }

 private:
  uint64_t id_;
  std::string uri_;
};

}  // namespace

TEST_CASE("rules detect: a flowbit set by a later rule is seen by an earlier checker in the same packet") {
  EngineHolder h;
  // The checkers come first in the file; setters are evaluated before them.
  h.set(engine_of(
      "bits.rules",
      "alert tcp any any -> any any (msg:\"isset\"; content:\"go\"; flowbits:isset,seen; sid:1;)\n"
      "alert tcp any any -> any any (msg:\"isnotset\"; content:\"go\"; flowbits:isnotset,seen; sid:2;)\n"
      "alert tcp any any -> any any (msg:\"set\"; content:\"go\"; flowbits:set,seen; flowbits:noalert; "
      "sid:3;)\n"));
  auto d = make_rules_detect(h, DetectOptions{});
  TestFlow tf;
  Pkt p(tf, "let's go");
  Collect c;
  d->on_packet(p.p, c);
  CHECK(c.sids == std::vector<uint32_t>{1});
  // Another flow has its own bits.
  TestFlow other;
  Pkt q(other, "go");
  Collect c2;
  d->on_packet(q.p, c2);
  CHECK(c2.sids == std::vector<uint32_t>{1});
  CHECK(std::find(c2.sids.begin(), c2.sids.end(), 2u) == c2.sids.end());
}

TEST_CASE("rules detect: a stream match split across segments alerts once") {
  EngineHolder h;
  h.set(engine_of("stream.rules", "alert tcp any any -> any 80 (msg:\"evil\"; content:\"evil\"; sid:10;)\n"));
  auto d = make_rules_detect(h, DetectOptions{});
  TestFlow tf;
  std::vector<uint32_t> all;
  for (const char* seg : {"xxev", "ilyy", "zzzz", "more"}) {
    Pkt p(tf, seg);
    Collect c;
    d->on_stream(p.p, tf.f, Dir::kToServer, p.p.payload, 0, c);
    d->on_packet(p.p, c);
    all.insert(all.end(), c.sids.begin(), c.sids.end());
  }
  CHECK(all == std::vector<uint32_t>{10});

  // Within one segment: the stream match and the packet match are one alert.
  TestFlow tf2;
  Pkt p(tf2, "an evil one");
  Collect c;
  d->on_stream(p.p, tf2.f, Dir::kToServer, p.p.payload, 0, c);
  d->on_packet(p.p, c);
  CHECK(c.sids == std::vector<uint32_t>{10});
  // The next packet of that flow does not repeat it from the kept tail.
  Pkt p2(tf2, "and so on");
  Collect c2;
  d->on_stream(p2.p, tf2.f, Dir::kToServer, p2.p.payload, 11, c2);
  d->on_packet(p2.p, c2);
  CHECK(c2.sids.empty());
}

TEST_CASE("rules detect: an app-layer rule fires at most once per transaction") {
  EngineHolder h;
  h.set(engine_of("tx.rules",
                  "alert http any any -> any any (msg:\"uri\"; http.uri; content:\"/admin\"; sid:20;)\n"));
  auto d = make_rules_detect(h, DetectOptions{});
  TestFlow tf;
  tf.f.app_proto = AppProto::kHttp;
  Pkt p(tf, "");
  FakeHttpTx tx0(0, "/admin/login"), tx1(1, "/admin/logout"), tx2(2, "/index");
  Collect c;
  d->on_tx(p.p, tf.f, Dir::kToServer, tx0, c);
  d->on_tx(p.p, tf.f, Dir::kToServer, tx0, c);  // the tx progressed: no second alert
  CHECK(c.sids == std::vector<uint32_t>{20});
  d->on_tx(p.p, tf.f, Dir::kToServer, tx1, c);
  d->on_tx(p.p, tf.f, Dir::kToServer, tx2, c);
  CHECK(c.sids == std::vector<uint32_t>{20, 20});
}

TEST_CASE(
    "rules detect: an app-layer header rule without buffers is a packet rule on that protocol's flows") {
  // Suricata matches a signature's app-layer protocol against each packet's
  // flow, and in IDS mode it learns a TCP flow's protocol when the peer
  // acknowledges the bytes that decided it: the request's own packet, and the
  // client's packets until the server answers, do not see it yet.
  EngineHolder h;
  h.set(engine_of("hdr.rules", "alert http any any -> any any (msg:\"http\"; flow:to_server; sid:21;)\n"));
  auto d = make_rules_detect(h, DetectOptions{});
  TestFlow tf;
  std::vector<uint32_t> all;
  auto send = [&](const char* payload, bool to_server) {
    Pkt p(tf, payload, to_server);
    Collect c;
    d->on_packet(p.p, c);
    all.insert(all.end(), c.sids.begin(), c.sids.end());
  };
  // The parser knows the protocol from the request's own bytes.
  tf.f.app_proto = tf.f.app_proto_ts = AppProto::kHttp;
  send("GET / HTTP/1.0\r\n\r\n", true);
  send("", true);  // more from the client before the server acknowledged anything
  CHECK(all.empty());
  send("", false);  // the server's ACK: from here packet rules see HTTP
  send("HTTP/1.0 200 OK\r\n\r\n", false);
  send("", true);  // the client's FIN, say
  send("", true);
  CHECK(all == std::vector<uint32_t>{21, 21});
  // A RST from the client hands its own bytes over at once.
  TestFlow rst;
  rst.f.app_proto = rst.f.app_proto_ts = AppProto::kHttp;
  Pkt r(rst, "", true);
  r.p.tcp.flags = kTcpRst | kTcpAck;
  Collect cr;
  d->on_packet(r.p, cr);
  CHECK(cr.sids == std::vector<uint32_t>{21});
  // Data on a fast-open SYN: the protocol is known but the session is not
  // established, so the packet rule does not see it yet.
  TestFlow syn;
  syn.f.state = FlowState::kNew;
  syn.f.app_proto = AppProto::kHttp;
  Pkt p(syn, "GET / HTTP/1.0\r\n\r\n");
  p.p.tcp.flags = kTcpSyn;
  Collect c;
  d->on_packet(p.p, c);
  CHECK(c.sids.empty());
  // A DNS flow is not an HTTP flow.
  TestFlow dns;
  dns.f.app_proto = AppProto::kDns;
  Pkt q(dns, "");
  Collect c2;
  d->on_packet(q.p, c2);
  CHECK(c2.sids.empty());
}

TEST_CASE("rules detect: a protocol-detection-only rule alerts once per direction") {
  EngineHolder h;
  h.set(engine_of("pd.rules",
                  "alert tcp any any -> any any (msg:\"not dns\"; app-layer-protocol:!dns; sid:22;)\n"));
  auto d = make_rules_detect(h, DetectOptions{});
  TestFlow tf;
  tf.f.app_proto = AppProto::kFailed;
  tf.f.proto_done_pending[0] = tf.f.proto_done_pending[1] = true;  // the app layer gave up both ways
  std::vector<uint32_t> all;
  for (bool to_server : {true, true, false, true, false}) {
    Pkt p(tf, "x", to_server);
    Collect c;
    d->on_packet(p.p, c);
    all.insert(all.end(), c.sids.begin(), c.sids.end());
  }
  CHECK(all == std::vector<uint32_t>{22, 22});
  CHECK_FALSE(tf.f.proto_done_pending[0]);
  CHECK_FALSE(tf.f.proto_done_pending[1]);
}

TEST_CASE("rules detect: an engine swap keeps the flow's flowbits") {
  EngineHolder h;
  h.set(engine_of("swap1.rules",
                  "alert tcp any any -> any any (msg:\"login\"; content:\"USER\"; flowbits:set,logged_in; "
                  "flowbits:noalert; sid:30;)\n"));
  auto d = make_rules_detect(h, DetectOptions{});
  TestFlow tf;
  Pkt p1(tf, "USER bob");
  Collect c1;
  d->on_packet(p1.p, c1);
  CHECK(c1.sids.empty());
  // Reload: a new engine with other rules (other indexes); the bit is kept by name.
  h.set(engine_of(
      "swap2.rules",
      "alert tcp any any -> any any (msg:\"other\"; content:\"zzz\"; sid:1;)\n"
      "alert tcp any any -> any any (msg:\"after login\"; content:\"RETR\"; flowbits:isset,logged_in; "
      "sid:31;)\n"));
  Pkt p2(tf, "RETR secret");
  Collect c2;
  d->on_packet(p2.p, c2);
  CHECK(c2.sids == std::vector<uint32_t>{31});
  // A flow that never logged in does not alert.
  TestFlow fresh;
  Pkt p3(fresh, "RETR secret");
  Collect c3;
  d->on_packet(p3.p, c3);
  CHECK(c3.sids.empty());
}

TEST_CASE("rules detect: app-layer-protocol uses the packet's direction and waits for detection") {
  EngineHolder h;
  h.set(engine_of("alproto.rules",
                  "alert tcp any any -> any any (msg:\"not dns\"; app-layer-protocol:!dns; sid:40;)\n"
                  "alert tcp any any -> any any (msg:\"http\"; app-layer-protocol:http; sid:41;)\n"));
  auto d = make_rules_detect(h, DetectOptions{});
  TestFlow tf;
  Pkt p1(tf, "GET / HTTP/1.1\r\n");
  Collect c1;
  d->on_packet(p1.p, c1);
  CHECK(c1.sids.empty());  // nothing detected yet: a negated protocol does not match either
  tf.f.app_proto_ts = AppProto::kHttp;
  tf.f.app_proto = AppProto::kHttp;
  tf.f.proto_done_pending[0] = true;  // as the app layer flags the packet that ended detection
  Pkt p2(tf, "more");
  Collect c2;
  d->on_packet(p2.p, c2);
  CHECK(c2.sids == std::vector<uint32_t>{40, 41});
  // To client, detection has not ended that way: these detection-only rules
  // are not checked (the mode semantics are in app_layer_protocol_kw_test).
  Pkt p3(tf, "HTTP/1.1 200 OK\r\n", false);
  Collect c3;
  d->on_packet(p3.p, c3);
  CHECK(c3.sids.empty());
  tf.f.app_proto_tc = AppProto::kDns;
  tf.f.proto_done_pending[1] = true;
  Pkt p4(tf, "x", false);
  Collect c4;
  d->on_packet(p4.p, c4);
  CHECK(c4.sids.empty());
}

TEST_CASE(
    "rules detect: an IP-only rule fires on the first packet of each direction, and on flowless packets") {
  EngineHolder h;
  h.set(engine_of("iponly.rules",
                  "alert ip any any -> any any (msg:\"ip only\"; sid:80;)\n"
                  "alert tcp any any -> any any (msg:\"not ip-only: ttl\"; ttl:64; sid:81;)\n"));
  auto d = make_rules_detect(h, DetectOptions{});
  TestFlow tf;
  auto send = [&](bool to_server, bool with_flow) {
    if (with_flow) ++(to_server ? tf.f.pkts_toserver : tf.f.pkts_toclient);
    Pkt p(tf, "x", to_server);
    p.p.ttl = 64;
    if (!with_flow) p.p.flow = nullptr;
    Collect c;
    d->on_packet(p.p, c);
    std::sort(c.sids.begin(), c.sids.end());
    return c.sids;
  };
  CHECK(send(true, true) == std::vector<uint32_t>{80, 81});
  CHECK(send(true, true) == std::vector<uint32_t>{81});
  CHECK(send(false, true) == std::vector<uint32_t>{80, 81});
  CHECK(send(false, true) == std::vector<uint32_t>{81});
  CHECK(send(true, false) == std::vector<uint32_t>{80, 81});
  CHECK(send(true, false) == std::vector<uint32_t>{80, 81});
}

// The prefilter's shortcuts keep every alert: stream chunks scan only new
// bytes (rules hit earlier stay candidates while their bytes are in the kept
// window, across an engine swap too), an in-order packet reuses its stream
// chunk's candidates, unchanged app-layer buffers are not rescanned, contents
// on dotprefix/lowercase buffers are fast patterns, and header rules with a
// narrow port stay out of other ports' packets. Each case checks the alerts and
// the detect.* counters that show the shortcut was taken.
#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>

#include "agent/app/http_tx.h"
#include "agent/app/tx_base.h"
#include "agent/detect/rules_detect.h"
#include "agent/flow/flow.h"
#include "detect_test_util.h"

using namespace vigil;
using namespace vigil::test;

namespace {

std::map<std::string, uint64_t> counters(const DetectStage& d) {
  std::map<std::string, uint64_t> m;
  d.visit_counters([&](std::string_view n, uint64_t v) { m[std::string(n)] = v; });
  return m;
}

// Feeds in-order segments the way the worker does: stream chunk (the
// packet's own bytes), then the packet.
std::vector<uint32_t> feed(DetectStage& d, TestFlow& tf, const std::vector<std::string>& segs,
                           uint64_t* offset) {
  std::vector<uint32_t> all;
  for (auto& s : segs) {
    Pkt p(tf, s);
    Collect c;
    d.on_stream(p.p, tf.f, Dir::kToServer, p.p.payload, *offset, c);
    d.on_packet(p.p, c);
    *offset += s.size();
    all.insert(all.end(), c.sids.begin(), c.sids.end());
  }
  return all;
}

// A transaction whose buffers are set by the test between updates.
class FakeTx : public Transaction {
 public:
  FakeTx(AppProto proto, uint64_t id) : proto_(proto), id_(id) {}
  std::map<std::pair<BufferId, Dir>, std::string> bufs;
  AppProto proto() const override { return proto_; }
  uint64_t tx_id() const override { return id_; }
  TxProgress progress(Dir) const override { return TxProgress::kHeaders; }
  size_t buffer_count(BufferId id, Dir d) const override { return bufs.count({id, d}); }
  std::span<const uint8_t> buffer(BufferId id, Dir d, size_t) const override {
    auto& s = bufs.at({id, d});
    return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
  }
  void to_eve(nlohmann::ordered_json& out) const override { out["fake"] = id_; }

 private:
  AppProto proto_;
  uint64_t id_;
};

const std::string kFiller(100, 'f');

}  // namespace

TEST_CASE("prefilter: a rule hit in an earlier chunk still matches while its bytes are in the window") {
  EngineHolder h;
  h.set(engine_of("carry.rules",
                  "alert tcp any any -> any 80 (msg:\"pair\"; content:\"MARKER-ONE\"; fast_pattern; "
                  "content:\"two\"; distance:0; sid:1;)\n"));
  auto d = make_rules_detect(h, DetectOptions{});
  TestFlow tf;
  uint64_t off = 0;
  std::vector<std::string> segs{"xx MARKER-ONE yy"};
  for (int i = 0; i < 10; ++i) segs.push_back(kFiller);  // 1000 bytes: within the 2048-byte window
  CHECK(feed(*d, tf, segs, &off).empty());
  auto before = counters(*d);
  CHECK(feed(*d, tf, {"and two"}, &off) == std::vector<uint32_t>{1});
  // Only the new chunk and a pattern length of overlap were scanned.
  auto after = counters(*d);
  CHECK(after["detect.prefilter.stream_bytes"] - before["detect.prefilter.stream_bytes"] <
        std::string("and two").size() + std::string("MARKER-ONE").size());

  // Once the marker has left the window, "two" alone does not match (as with
  // a whole-window scan: the bytes are gone).
  TestFlow tf2;
  off = 0;
  segs = {"xx MARKER-ONE yy"};
  for (int i = 0; i < 30; ++i) segs.push_back(kFiller);  // 3000 bytes
  CHECK(feed(*d, tf2, segs, &off).empty());
  CHECK(feed(*d, tf2, {"and two"}, &off).empty());
}

TEST_CASE("prefilter: an engine swap between chunks rescans the window and keeps the match") {
  const char* rules =
      "alert tcp any any -> any 80 (msg:\"pair\"; content:\"MARKER-ONE\"; fast_pattern; "
      "content:\"two\"; distance:0; sid:1;)\n";
  EngineHolder h;
  h.set(engine_of("swap-a.rules", rules));
  auto d = make_rules_detect(h, DetectOptions{});
  TestFlow tf;
  uint64_t off = 0;
  CHECK(feed(*d, tf, {"xx MARKER-ONE yy", kFiller, kFiller}, &off).empty());
  h.set(engine_of("swap-b.rules",
                  std::string("alert tcp any any -> any any (content:\"other\"; sid:5;)\n") + rules));
  CHECK(feed(*d, tf, {"and two"}, &off) == std::vector<uint32_t>{1});
}

TEST_CASE("prefilter: an in-order packet reuses its stream chunk's candidates") {
  EngineHolder h;
  h.set(engine_of(
      "reuse.rules",
      "alert tcp any any -> any 80 (msg:\"packet only\"; flow:no_stream; content:\"needle\"; sid:2;)\n"
      "alert tcp any any -> any 80 (msg:\"either\"; content:\"haystack\"; sid:3;)\n"));
  auto d = make_rules_detect(h, DetectOptions{});
  TestFlow tf;
  uint64_t off = 0;
  CHECK(feed(*d, tf, {"a needle in a haystack"}, &off) == std::vector<uint32_t>{3, 2});
  auto m = counters(*d);
  CHECK(m["detect.prefilter.packet_bytes"] == 0);  // the packet was not scanned again
  CHECK(m["detect.prefilter.stream_bytes"] > 0);

  // A packet whose bytes are not the chunk (out of order, or no stream) is scanned itself.
  Pkt p(tf, "another needle");
  Collect c;
  d->on_packet(p.p, c);
  CHECK(c.sids == std::vector<uint32_t>{2});
  CHECK(counters(*d)["detect.prefilter.packet_bytes"] == p.data.size());
}

TEST_CASE("prefilter: unchanged transaction buffers are not rescanned, their rules stay candidates") {
  EngineHolder h;
  h.set(engine_of("tx-memo.rules",
                  "alert http any any -> any any (msg:\"admin ok\"; http.uri; content:\"/admin/panel\"; "
                  "http.stat_code; content:\"200\"; sid:4;)\n"));
  auto d = make_rules_detect(h, DetectOptions{});
  TestFlow tf;
  tf.f.app_proto = AppProto::kHttp;
  Pkt p(tf, "");
  FakeTx tx(AppProto::kHttp, 0);
  tx.bufs[{BufferId::kHttpUri, Dir::kToServer}] = "/admin/panel?x=1";
  Collect c;
  d->on_tx(p.p, tf.f, Dir::kToServer, tx, c);
  CHECK(c.sids.empty());  // no response yet
  uint64_t scanned = counters(*d)["detect.prefilter.tx_bytes"];
  CHECK(scanned == tx.bufs[{BufferId::kHttpUri, Dir::kToServer}].size());
  tx.bufs[{BufferId::kHttpStatCode, Dir::kToClient}] = "200";
  d->on_tx(p.p, tf.f, Dir::kToClient, tx, c);
  CHECK(c.sids == std::vector<uint32_t>{4});
  CHECK(counters(*d)["detect.prefilter.tx_bytes"] == scanned);  // the uri was not scanned again

  // The next transaction starts afresh.
  FakeTx tx1(AppProto::kHttp, 1);
  tx1.bufs[{BufferId::kHttpUri, Dir::kToServer}] = "/index";
  tx1.bufs[{BufferId::kHttpStatCode, Dir::kToClient}] = "200";
  Collect c1;
  d->on_tx(p.p, tf.f, Dir::kToClient, tx1, c1);
  CHECK(c1.sids.empty());
}

TEST_CASE("prefilter: a one-byte fast pattern is found by the rule itself, at every offset and alignment") {
  // One-byte literals are kept out of Hyperscan (prefilter_build.cpp): the
  // rule is a candidate for every payload and its own content finds the byte.
  EngineHolder h;
  h.set(
      engine_of("one-byte.rules",
                "alert tcp any any -> any 80 (msg:\"one byte\"; flow:no_stream; content:\"=\"; sid:6;)\n"
                "alert tcp any any -> any 80 (msg:\"longer\"; flow:no_stream; content:\"xyzzy\"; sid:7;)\n"));
  auto d = make_rules_detect(h, DetectOptions{});
  TestFlow tf;
  int alerts = 0, quiet = 0;
  for (size_t lead = 0; lead < 64; ++lead) {
    for (size_t at : {size_t(0), size_t(15), size_t(16), size_t(31), size_t(100)}) {
      std::string payload(lead + at + 40, 'a');
      payload[lead + at] = '=';
      Pkt p(tf, payload);
      p.p.payload = Bytes(reinterpret_cast<const uint8_t*>(p.data.data()) + lead, p.data.size() - lead);
      Collect c;
      d->on_packet(p.p, c);
      alerts += c.sids == std::vector<uint32_t>{6};
    }
    Pkt none(tf, std::string(lead + 50, 'a'));
    Collect c;
    d->on_packet(none.p, c);
    quiet += c.sids.empty();
  }
  CHECK(alerts == 64 * 5);
  CHECK(quiet == 64);
  // "xyzzy" is still a Hyperscan pattern: the payloads were scanned.
  CHECK(counters(*d)["detect.prefilter.packet_bytes"] > 0);
}

TEST_CASE("prefilter: a transaction buffer rewritten in place (same storage, size and edges) is rescanned") {
  // The memo once keyed a buffer by its address, size and first/last bytes:
  // a parser that rewrote the middle in place (or a new buffer allocated
  // where the old one was) looked unchanged and its new bytes were never
  // scanned. Here the bytes change inside the same std::string storage.
  EngineHolder h;
  h.set(engine_of("tx-memo-inplace.rules",
                  "alert http any any -> any any (msg:\"evil uri\"; http.uri; content:\"/evil\"; sid:5;)\n"));
  auto d = make_rules_detect(h, DetectOptions{});
  TestFlow tf;
  tf.f.app_proto = AppProto::kHttp;
  Pkt p(tf, "");
  FakeTx tx(AppProto::kHttp, 0);
  std::string& uri = tx.bufs[{BufferId::kHttpUri, Dir::kToServer}];
  uri = "/a/good/path/b";
  const char* storage = uri.data();
  Collect c;
  d->on_tx(p.p, tf.f, Dir::kToServer, tx, c);
  CHECK(c.sids.empty());
  uri.replace(2, 5, "/evil");  // "/a/evil/path/b": same size, same first and last byte
  REQUIRE(uri.data() == storage);
  REQUIRE(uri.size() == 14);
  d->on_tx(p.p, tf.f, Dir::kToServer, tx, c);
  CHECK(c.sids == std::vector<uint32_t>{5});
  CHECK(counters(*d)["detect.prefilter.tx_bytes"] == 2 * uri.size());  // scanned twice
}

TEST_CASE("prefilter: the parsers' buffer versions skip unchanged buffers and catch every change") {
  // Transactions built on TxBase (every parser's) give a version per buffer
  // instead of having their bytes hashed on each update.
  struct ParserTx : TxBase {
    using TxBase::TxBase;
    void to_eve(nlohmann::ordered_json& out) const override { out["fake"] = tx_id(); }
  };
  EngineHolder h;
  h.set(engine_of(
      "tx-version.rules",
      "alert http any any -> any any (msg:\"admin ok\"; http.uri; content:\"/admin/panel\"; "
      "http.stat_code; content:\"200\"; sid:4;)\n"
      "alert http any any -> any any (msg:\"evil uri\"; http.uri; content:\"/evil\"; sid:5;)\n"
      "alert http any any -> any any (msg:\"body\"; http.request_body; content:\"needle\"; sid:8;)\n"));
  auto d = make_rules_detect(h, DetectOptions{});
  TestFlow tf;
  tf.f.app_proto = AppProto::kHttp;
  Pkt p(tf, "");
  auto bytes = [&] { return counters(*d)["detect.prefilter.tx_bytes"]; };

  ParserTx tx(AppProto::kHttp, 0);
  const std::string uri = "/admin/panel?x=1";
  tx.bufs.set(BufferId::kHttpUri, Dir::kToServer, uri);
  Collect c;
  d->on_tx(p.p, tf.f, Dir::kToServer, tx, c);
  CHECK(c.sids.empty());
  CHECK(bytes() == uri.size());
  // The same bytes set again keep their version: the uri is not scanned
  // again (the status has no fast pattern: sid 4's is the uri's).
  tx.bufs.set(BufferId::kHttpUri, Dir::kToServer, uri);
  tx.bufs.set(BufferId::kHttpStatCode, Dir::kToClient, "200");
  d->on_tx(p.p, tf.f, Dir::kToClient, tx, c);
  CHECK(c.sids == std::vector<uint32_t>{4});
  CHECK(bytes() == uri.size());

  // A body grown through slot() is scanned again, up to the new bytes' match
  // (an HttpTx: the body is scanned as file.data, which it aliases).
  HttpTx tx1(1);
  tx1.bufs.slot(BufferId::kHttpRequestBody, Dir::kToServer).append("hay and ");
  Collect c1;
  d->on_tx(p.p, tf.f, Dir::kToServer, tx1, c1);
  CHECK(c1.sids.empty());
  tx1.bufs.slot(BufferId::kHttpRequestBody, Dir::kToServer).append("needle");
  d->on_tx(p.p, tf.f, Dir::kToServer, tx1, c1);
  CHECK(c1.sids == std::vector<uint32_t>{8});

  // Other bytes of the same size through set(): a new version, scanned.
  ParserTx tx2(AppProto::kHttp, 2);
  tx2.bufs.set(BufferId::kHttpUri, Dir::kToServer, "/a/good/path/b");
  Collect c2;
  d->on_tx(p.p, tf.f, Dir::kToServer, tx2, c2);
  CHECK(c2.sids.empty());
  tx2.bufs.set(BufferId::kHttpUri, Dir::kToServer, "/a/evil/path/b");
  d->on_tx(p.p, tf.f, Dir::kToServer, tx2, c2);
  CHECK(c2.sids == std::vector<uint32_t>{5});
}

TEST_CASE("prefilter: dotprefix and to_lowercase contents are fast patterns") {
  EngineHolder h;
  h.set(engine_of(
      "dns-dotprefix.rules",
      "alert dns any any -> any any (msg:\"domain\"; dns.query; dotprefix; content:\".evil.example\"; "
      "endswith; sid:50;)\n"
      "alert dns any any -> any any (msg:\"lower\"; dns.query; to_lowercase; content:\"badhost\"; "
      "sid:51;)\n"));
  auto d = make_rules_detect(h, DetectOptions{});
  TestFlow tf(53);
  tf.f.proto = 17;
  tf.f.app_proto = AppProto::kDns;
  Pkt p(tf, "");
  auto query = [&](uint64_t id, const char* name) {
    FakeTx tx(AppProto::kDns, id);
    tx.bufs[{BufferId::kDnsQuery, Dir::kToServer}] = name;
    Collect c;
    d->on_tx(p.p, tf.f, Dir::kToServer, tx, c);
    return c.sids;
  };
  CHECK(query(0, "www.evil.example") == std::vector<uint32_t>{50});
  CHECK(query(1, "evil.example") == std::vector<uint32_t>{50});
  CHECK(query(2, "notevil.example").empty());
  CHECK(query(3, "BadHost.example.org") == std::vector<uint32_t>{51});
  uint64_t checked = counters(*d)["detect.rules_checked"];
  CHECK(query(4, "www.example.org").empty());
  CHECK(counters(*d)["detect.rules_checked"] == checked);  // neither rule was a candidate
}

TEST_CASE("prefilter: a header rule with a narrow port meets only that port's packets") {
  EngineHolder h;
  h.set(engine_of("ports.rules",
                  "alert tcp !10.0.0.0/8 any -> 10.0.0.0/8 22 (msg:\"ssh syn\"; flags:S; sid:60;)\n"));
  auto d = make_rules_detect(h, DetectOptions{});
  auto syn = [&](uint16_t dport) {
    TestFlow tf(dport);
    tf.f.client = *IpAddr::parse("198.51.100.7");
    tf.f.server = *IpAddr::parse("10.1.1.1");
    Pkt p(tf, "");
    p.p.flow = nullptr;
    p.p.tcp.flags = kTcpSyn;
    Collect c;
    d->on_packet(p.p, c);
    return c.sids;
  };
  CHECK(syn(22) == std::vector<uint32_t>{60});
  uint64_t checked = counters(*d)["detect.rules_checked"];
  CHECK(syn(80).empty());
  CHECK(counters(*d)["detect.rules_checked"] == checked);
}

TEST_CASE("prefilter: header rules meet only their protocol's packets (address index and ip_proto)") {
  EngineHolder h;
  h.set(engine_of("protos.rules",
                  "alert icmp !10.0.0.0/8 any -> 10.0.0.0/8 any (msg:\"echo in\"; itype:8; sid:70;)\n"
                  "alert ip any any -> any any (msg:\"igmp\"; ip_proto:2; sid:71;)\n"));
  auto d = make_rules_detect(h, DetectOptions{});
  auto packet = [&](L4 l4, uint8_t proto) {
    TestFlow tf;
    tf.f.client = *IpAddr::parse("198.51.100.7");
    tf.f.server = *IpAddr::parse("10.1.1.1");
    Pkt p(tf, "");
    p.p.flow = nullptr;
    p.p.l4 = l4;
    p.p.ip_proto = proto;
    p.p.icmp.type = 8;
    Collect c;
    d->on_packet(p.p, c);
    return c.sids;
  };
  CHECK(packet(L4::kIcmp, 1) == std::vector<uint32_t>{70});
  CHECK(packet(L4::kOther, 2) == std::vector<uint32_t>{71});
  uint64_t checked = counters(*d)["detect.rules_checked"];
  CHECK(packet(L4::kTcp, 6).empty());
  CHECK(counters(*d)["detect.rules_checked"] == checked);  // neither rule was a candidate
}

TEST_CASE("prefilter: a flow whose payload inspection is off meets header rules only") {
  EngineHolder h;
  h.set(engine_of("nopayload.rules",
                  "alert tcp any any -> any 80 (msg:\"content\"; content:\"secret\"; sid:90;)\n"
                  "alert tcp any any -> any 80 (msg:\"header\"; flags:PA; sid:91;)\n"));
  auto d = make_rules_detect(h, DetectOptions{});
  TestFlow tf;
  uint64_t off = 0;
  CHECK(feed(*d, tf, {"a secret"}, &off) == std::vector<uint32_t>{90, 91});
  tf.f.no_payload_inspection = true;  // what the TLS parser sets once both sides encrypt
  CHECK(feed(*d, tf, {"another secret"}, &off) == std::vector<uint32_t>{91});
}

TEST_CASE(
    "prefilter: each direction's databases hold the rules that can match there, and every alert stays") {
  EngineHolder h;
  h.set(engine_of(
      "by-direction.rules",
      "alert tcp any any -> any any (msg:\"req\"; flow:to_server; content:\"EVILREQ\"; sid:80;)\n"
      "alert tcp any any -> any any (msg:\"resp\"; flow:to_client; content:\"EVILRESP\"; sid:81;)\n"
      "alert tcp any any -> any any (msg:\"either\"; content:\"EITHER\"; sid:86;)\n"
      "alert http any any -> any any (msg:\"response body\"; flow:to_client; file.data; "
      "content:\"BODYMARK\"; sid:82;)\n"
      "alert http any any -> any any (msg:\"request body\"; flow:to_server; file.data; "
      "content:\"BODYMARK\"; sid:83;)\n"
      // file.data read in the direction of http.uri (the request), whichever update completes it
      "alert http any any -> any any (msg:\"upload\"; http.uri; content:\"/up\"; file.data; "
      "content:\"UPMARK\"; fast_pattern; http.stat_code; content:\"200\"; sid:84;)\n"
      "alert http any any -> any any (msg:\"any body\"; file.data; content:\"ANYDIR\"; sid:85;)\n"));
  auto d = make_rules_detect(h, DetectOptions{});

  SECTION("packets and stream chunks") {
    const std::string all = "EVILREQ EVILRESP EITHER";
    auto run = [&](bool to_server, bool stream) {
      TestFlow tf;
      Pkt p(tf, all, to_server);
      Collect c;
      if (stream)
        d->on_stream(p.p, tf.f, to_server ? Dir::kToServer : Dir::kToClient, p.p.payload, 0, c);
      else
        d->on_packet(p.p, c);
      std::sort(c.sids.begin(), c.sids.end());
      return c.sids;
    };
    uint64_t checked = counters(*d)["detect.rules_checked"];
    CHECK(run(true, false) == std::vector<uint32_t>{80, 86});
    CHECK(run(false, false) == std::vector<uint32_t>{81, 86});
    CHECK(run(true, true) == std::vector<uint32_t>{80, 86});
    CHECK(run(false, true) == std::vector<uint32_t>{81, 86});
    // The other direction's rule was not even a candidate: two rules checked per run.
    CHECK(counters(*d)["detect.rules_checked"] - checked == 8);
  }

  SECTION("a buffer of both directions (file.data)") {
    TestFlow tf;
    tf.f.app_proto = AppProto::kHttp;
    Pkt p(tf, "");
    FakeTx tx(AppProto::kHttp, 0);
    tx.bufs[{BufferId::kHttpUri, Dir::kToServer}] = "/up";
    tx.bufs[{BufferId::kFileData, Dir::kToServer}] = "BODYMARK UPMARK ANYDIR";
    Collect c;
    d->on_tx(p.p, tf.f, Dir::kToServer, tx, c);
    std::sort(c.sids.begin(), c.sids.end());
    CHECK(c.sids == std::vector<uint32_t>{83, 85});
    tx.bufs[{BufferId::kFileData, Dir::kToClient}] = "BODYMARK";
    tx.bufs[{BufferId::kHttpStatCode, Dir::kToClient}] = "200";
    Collect c2;
    d->on_tx(p.p, tf.f, Dir::kToClient, tx, c2);
    std::sort(c2.sids.begin(), c2.sids.end());
    CHECK(c2.sids == std::vector<uint32_t>{82, 84});  // 84 read the request body, scanned an update earlier

    // UPMARK only in the response body: sid 84 reads the request's, so no alert.
    FakeTx tx1(AppProto::kHttp, 1);
    tx1.bufs[{BufferId::kHttpUri, Dir::kToServer}] = "/up";
    tx1.bufs[{BufferId::kFileData, Dir::kToClient}] = "UPMARK ANYDIR";
    tx1.bufs[{BufferId::kHttpStatCode, Dir::kToClient}] = "200";
    Collect c3;
    d->on_tx(p.p, tf.f, Dir::kToClient, tx1, c3);
    CHECK(c3.sids == std::vector<uint32_t>{85});
  }
}

TEST_CASE("prefilter: HTTP bodies are scanned once, as file.data, and their rules still alert") {
  EngineHolder h;
  h.set(engine_of(
      "bodies.rules",
      "alert http any any -> any any (msg:\"response body\"; http.response_body; "
      "content:\"RESPMARK\"; sid:90;)\n"
      "alert http any any -> any any (msg:\"request body\"; http.request_body; "
      "content:\"REQMARK\"; sid:91;)\n"
      "alert http any any -> any any (msg:\"file data\"; file.data; content:\"RESPMARK\"; sid:92;)\n"
      "alert smb any any -> any any (msg:\"smb file\"; file.data; content:\"SMBMARK\"; sid:93;)\n"));
  auto d = make_rules_detect(h, DetectOptions{});
  TestFlow tf;
  tf.f.app_proto = AppProto::kHttp;
  Pkt p(tf, "");
  HttpTx tx(0);
  tx.bufs.slot(BufferId::kHttpRequestBody, Dir::kToServer) = "a REQMARK here";
  Collect c;
  d->on_tx(p.p, tf.f, Dir::kToServer, tx, c);
  CHECK(c.sids == std::vector<uint32_t>{91});
  const uint64_t scanned = counters(*d)["detect.prefilter.tx_bytes"];
  CHECK(scanned == 14);  // the request body, once
  tx.bufs.slot(BufferId::kHttpResponseBody, Dir::kToClient) = "RESPMARK and SMBMARK";
  Collect c2;
  d->on_tx(p.p, tf.f, Dir::kToClient, tx, c2);
  std::sort(c2.sids.begin(), c2.sids.end());
  CHECK(c2.sids == std::vector<uint32_t>{90, 92});
  CHECK(counters(*d)["detect.prefilter.tx_bytes"] - scanned == 20);  // the response body, once

  // Another protocol's file.data with the body rules' patterns: they are
  // candidates there, and do not alert (no HTTP body).
  TestFlow sf(445);
  sf.f.app_proto = AppProto::kSmb;
  Pkt sp(sf, "");
  FakeTx smb(AppProto::kSmb, 0);
  smb.bufs[{BufferId::kFileData, Dir::kToClient}] = "RESPMARK SMBMARK";
  Collect c3;
  d->on_tx(sp.p, sf.f, Dir::kToClient, smb, c3);
  CHECK(c3.sids == std::vector<uint32_t>{93});
}

TEST_CASE(
    "prefilter: a candidate whose address lists rule the flow out is not checked; <> either way round") {
  EngineHolder h;
  h.set(engine_of(
      "gates.rules",
      "alert http 10.0.0.0/8 any -> !10.0.0.0/8 any (msg:\"out\"; http.uri; content:\"/x\"; sid:100;)\n"
      "alert http 10.0.0.2 any <> 10.0.0.1 any (msg:\"pair\"; http.uri; content:\"/x\"; sid:101;)\n"
      "alert tcp 10.0.0.2 any <> 10.0.0.1 any (msg:\"pair payload\"; content:\"XPAY\"; sid:102;)\n"));
  auto d = make_rules_detect(h, DetectOptions{});
  TestFlow tf;  // 10.0.0.1 -> 10.0.0.2: inside to inside
  tf.f.app_proto = AppProto::kHttp;
  Pkt p(tf, "");
  FakeTx tx(AppProto::kHttp, 0);
  tx.bufs[{BufferId::kHttpUri, Dir::kToServer}] = "/x";
  Collect c;
  const uint64_t checked = counters(*d)["detect.rules_checked"];
  d->on_tx(p.p, tf.f, Dir::kToServer, tx, c);
  CHECK(c.sids == std::vector<uint32_t>{101});  // 10.0.0.1 -> 10.0.0.2 matches 10.0.0.2 <> 10.0.0.1
  CHECK(counters(*d)["detect.rules_checked"] - checked == 1);  // sid 100 was gated out

  for (bool to_server : {true, false}) {
    Pkt pp(tf, "a XPAY b", to_server);
    Collect cp;
    d->on_packet(pp.p, cp);
    CHECK(cp.sids == std::vector<uint32_t>{102});
  }

  TestFlow out;  // the same flow to an outside server: sid 100 too
  out.f.server = *IpAddr::parse("192.0.2.9");
  out.f.app_proto = AppProto::kHttp;
  Pkt po(out, "");
  Collect co;
  d->on_tx(po.p, out.f, Dir::kToServer, tx, co);
  CHECK(co.sids == std::vector<uint32_t>{100});
}

TEST_CASE("prefilter: a long content's pattern is its first 32 bytes; split anywhere, it still alerts") {
  const std::string content = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";  // 62 bytes
  EngineHolder h;
  h.set(engine_of("long.rules",
                  "alert tcp any any -> any 80 (msg:\"long\"; content:\"" + content + "\"; sid:110;)\n"));
  auto d = make_rules_detect(h, DetectOptions{});
  for (size_t cut = 1; cut < content.size(); cut += 3) {
    TestFlow tf;
    uint64_t off = 0;
    auto before = counters(*d);
    auto got = feed(*d, tf, {"head " + content.substr(0, cut), content.substr(cut) + " tail"}, &off);
    CHECK(got == std::vector<uint32_t>{110});
    // The second chunk was scanned with at most 31 bytes of overlap.
    auto after = counters(*d);
    CHECK(after["detect.prefilter.stream_bytes"] - before["detect.prefilter.stream_bytes"] <=
          5 + cut + (content.size() - cut + 5) + 31);
  }
}

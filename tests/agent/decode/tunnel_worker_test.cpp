// The decoder's extra packets as the worker handles them, with real rules:
// a packet with a broken TCP header reaches `ip` rules only and makes no
// flow; each layer of a tunnelled frame is inspected once, GRE carriers make
// no flow, UDP carriers and inner packets do.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "agent/detect/rules_detect.h"
#include "agent/pipeline/worker.h"
#include "tests/agent/decode/decode_test_util.h"

using namespace vigil;
using namespace vigil::test;

namespace {

struct Capture : EventOutput {
  std::vector<nlohmann::json> events;
  void write(std::string_view, const std::string& line) override {
    events.push_back(nlohmann::json::parse(line));
  }
};

struct Harness {
  AgentConfig cfg;
  EngineHolder holder;
  Capture out;
  EventRouter router{EveOptions{}};
  std::unique_ptr<Worker> worker;
  uint64_t n = 0;

  explicit Harness(const std::string& rules) {
    auto dir =
        std::filesystem::temp_directory_path() / ("vigil-tunnel-worker-tests-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
    auto path = (dir / "t.rules").string();
    std::ofstream(path) << rules;
    rules::LoadOptions o;
    o.files = {path};
    rules::LoadReport r;
    auto e = rules::build_engine(o, r);
    REQUIRE(e);
    REQUIRE(r.rules_failed == 0);
    holder.set(e);
    router.add_output(&out, {"alert", "flow"});
    cfg.checksum_mode = ChecksumMode::kNo;
    worker = std::make_unique<Worker>(cfg, router, make_rules_detect(holder, DetectOptions{}));
  }
  void feed(const Buf& frame) {
    Packet p = make_packet(keep(frame), 1, {1700000000, static_cast<int32_t>(n * 1000)});
    p.pcap_cnt = ++n;
    worker->process(p);
  }
  std::map<int, int> alerts() const {
    std::map<int, int> m;
    for (auto& e : out.events)
      if (e["event_type"] == "alert") ++m[e["alert"]["signature_id"].get<int>()];
    return m;
  }
  std::vector<std::string> flow_protos() const {
    std::vector<std::string> v;
    for (auto& e : out.events)
      if (e["event_type"] == "flow") v.push_back(e["proto"].get<std::string>());
    std::sort(v.begin(), v.end());
    return v;
  }
};

}  // namespace

TEST_CASE("worker: broken TCP header reaches ip rules only, without a flow") {
  Harness h(
      "alert ip any any -> any any (msg:\"ip\"; sid:1;)\n"
      "alert tcp any any -> any any (msg:\"tcp\"; sid:2;)\n"
      "alert ip any any -> any any (msg:\"proto 6\"; ip_proto:6; sid:3;)\n");
  Buf f = tcp4("192.168.0.1", "192.168.0.2", 256, 80, 0, 0, kAck, "xyz");
  f[14 + 20 + 12] = 0x0b;  // data offset 0
  h.feed(f);
  h.worker->finish();
  auto a = h.alerts();
  CHECK(a[1] == 1);
  CHECK(a[2] == 0);
  CHECK(a[3] == 1);
  CHECK(h.flow_protos().empty());
  for (auto& e : h.out.events)
    if (e["event_type"] == "alert") CHECK(e["pcap_cnt"] == 1);
}

TEST_CASE("worker: every layer of Geneve/GRE/TCP is inspected once - flows for UDP and TCP only") {
  Harness h(
      "alert ip any any -> any any (msg:\"gre\"; ip_proto:47; sid:1;)\n"
      "alert tcp any any -> any any (msg:\"inner tcp\"; sid:2;)\n"
      "alert udp any any -> any 6081 (msg:\"geneve carrier\"; sid:3;)\n"
      "alert tcp 10.2.0.1 any -> 10.2.0.2 1234 (msg:\"inner payload\"; content:\"hello\"; sid:4;)\n");
  auto frame = [](bool to_server, uint8_t flags, uint32_t seq, uint32_t ack, std::string_view payload) {
    std::string a = to_server ? "10.2.0.1" : "10.2.0.2", b = to_server ? "10.2.0.2" : "10.2.0.1";
    uint16_t sp = to_server ? 39198 : 1234, dp = to_server ? 1234 : 39198;
    Buf inner = ipv4_datagram(a, b, 6, tcp_segment(a, b, sp, dp, seq, ack, flags, payload));
    std::string ga = to_server ? "10.0.1.72" : "10.0.2.31", gb = to_server ? "10.0.2.31" : "10.0.1.72";
    Buf mid = ipv4_datagram(ga, gb, 47, gre_packet(0x0800, inner));
    return udp4("10.0.10.74", "10.0.8.64", 60276, 6081, as_sv(geneve_packet(0x0800, 0, {}, mid)));
  };
  h.feed(frame(true, kSyn, 100, 0, ""));
  h.feed(frame(false, kSyn | kAck, 500, 101, ""));
  h.feed(frame(true, kAck | kPsh, 101, 501, "hello"));
  h.worker->finish();
  auto a = h.alerts();
  CHECK(a[1] == 3);
  // sid 2 has protocol and addresses only: an IP-only rule, which Suricata
  // checks on the first packet of each flow direction (SYN, SYN-ACK).
  CHECK(a[2] == 2);
  CHECK(a[3] == 3);
  CHECK(a[4] == 1);
  CHECK(h.flow_protos() == std::vector<std::string>{"TCP", "UDP"});
}

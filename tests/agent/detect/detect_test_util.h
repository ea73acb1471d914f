// Shared by the detection-stage tests: an alert collector, an engine built
// from rule text (files in a per-process temporary directory), and a TCP flow
// with packets carrying just the fields the stage reads (no TCP session
// object: the tests hand stream bytes to on_stream themselves).
#pragma once

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "agent/detect/rules_detect.h"
#include "agent/flow/flow.h"

namespace vigil::test {

struct Collect : AlertSink {
  std::vector<uint32_t> sids;
  void alert(const AlertEvent& a) override { sids.push_back(a.sid); }
};

inline std::shared_ptr<const rules::Engine> engine_of(const std::string& name, const std::string& text) {
  auto dir = std::filesystem::temp_directory_path() / ("vigil-detect-tests-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  auto path = (dir / name).string();
  std::ofstream(path) << text;
  rules::LoadOptions o;
  o.files = {path};
  rules::LoadReport r;
  auto e = rules::build_engine(o, r);
  REQUIRE(e);
  REQUIRE(r.rules_failed == 0);
  return e;
}

// A TCP flow 10.0.0.1:40000 -> 10.0.0.2:<server_port>, established.
struct TestFlow {
  Flow f;
  explicit TestFlow(uint16_t server_port = 80) {
    f.client = *IpAddr::parse("10.0.0.1");
    f.server = *IpAddr::parse("10.0.0.2");
    f.client_port = 40000;
    f.server_port = server_port;
    f.proto = 6;
    f.state = FlowState::kEstablished;
    f.flow_id = 7;
  }
};

struct Pkt {
  std::string data;
  Packet p;
  Pkt(TestFlow& tf, std::string payload, bool to_server = true) : data(std::move(payload)) {
    p.ip_version = 4;
    p.ip_proto = 6;
    p.l4 = L4::kTcp;
    p.src = to_server ? tf.f.client : tf.f.server;
    p.dst = to_server ? tf.f.server : tf.f.client;
    p.sp = to_server ? tf.f.client_port : tf.f.server_port;
    p.dp = to_server ? tf.f.server_port : tf.f.client_port;
    p.tcp.flags = kTcpAck | kTcpPsh;
    p.payload = Bytes(reinterpret_cast<const uint8_t*>(data.data()), data.size());
    p.flow = &tf.f;
    p.to_server = to_server;
  }
};

}  // namespace vigil::test

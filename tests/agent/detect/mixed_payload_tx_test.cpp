// A rule with a payload part and app-layer buffers (content:X; file_data;
// content:Y;): the payload part may match on an earlier packet of the flow
// than the transaction update that completes the buffers (bug-2576-04 of
// Suricata's test suite), and never on another flow's packets.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "agent/flow/flow.h"
#include "rules/engine.h"

using namespace vigil;
using namespace vigil::rules;

namespace {

struct Collect : AlertSink {
  std::vector<uint32_t> sids;
  void alert(const AlertEvent& a) override { sids.push_back(a.sid); }
};

class BodyTx : public Transaction {
 public:
  std::string body = "<html>the BODY</html>";
  AppProto proto() const override { return AppProto::kHttp; }
  uint64_t tx_id() const override { return 0; }
  TxProgress progress(Dir) const override { return TxProgress::kComplete; }
  size_t buffer_count(BufferId id, Dir d) const override {
    return id == BufferId::kFileData && d == Dir::kToClient ? 1 : 0;
  }
  std::span<const uint8_t> buffer(BufferId, Dir, size_t) const override {
    return {reinterpret_cast<const uint8_t*>(body.data()), body.size()};
  }
  void to_eve(nlohmann::ordered_json&) const override {}
  bool integer(TxInt, Dir, int64_t*) const override { return false; }
};

struct Setup {
  std::shared_ptr<const Engine> e;
  Setup() {
    auto path =
        (std::filesystem::temp_directory_path() / ("vigil-mixed-" + std::to_string(getpid()) + ".rules"))
            .string();
    std::ofstream(path) << "alert ip any any -> any any (msg:\"mixed\"; content:\"MARK\"; file_data; "
                           "content:\"BODY\"; sid:1;)\n";
    LoadOptions o;
    o.files = {path};
    LoadReport r;
    e = build_engine(o, r);
    std::filesystem::remove(path);
    REQUIRE(e);
    REQUIRE(r.rules_failed == 0);
  }
};

void init(Flow& f) {
  f.client = *IpAddr::parse("10.0.0.1");
  f.server = *IpAddr::parse("10.0.0.2");
  f.client_port = 50000;
  f.server_port = 80;
  f.proto = 6;
  f.app_proto = AppProto::kHttp;
}

Packet to_client(Flow& f, const std::string& payload) {
  Packet p;
  p.ip_version = 4;
  p.l4 = L4::kTcp;
  p.src = f.server;
  p.dst = f.client;
  p.sp = 80;
  p.dp = 50000;
  p.flow = &f;
  p.to_server = false;
  p.payload = Bytes(reinterpret_cast<const uint8_t*>(payload.data()), payload.size());
  return p;
}

}  // namespace

TEST_CASE("payload part seen on an earlier packet, app-layer part at the transaction's update", "[detect]") {
  Setup s;
  auto w = s.e->new_worker();
  BodyTx tx;
  for (bool mark_first : {true, false}) {
    Flow f;
    init(f);
    Collect c;
    std::string first = mark_first ? "HTTP/1.1 200 OK ... MARK ..." : "HTTP/1.1 200 OK ... nothing ...";
    std::string last = "... </html>";
    Packet a = to_client(f, first);
    s.e->inspect_packet(*w, a, c);
    s.e->end_packet(*w);
    CHECK(c.sids.empty());  // a payload part alone never alerts
    Packet b = to_client(f, last);
    s.e->inspect_packet(*w, b, c);
    s.e->inspect_tx(*w, b, f, Dir::kToClient, tx, c);
    s.e->end_packet(*w);
    CHECK(c.sids == (mark_first ? std::vector<uint32_t>{1} : std::vector<uint32_t>{}));
  }
}

// Ingest hands the forwarder what it newly stored, after the commit: a
// resent batch and events already stored are not forwarded again.
#include "collector/forward/forwarder.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <thread>

#include "collector/ingest.h"
#include "common/wire.h"

using namespace vigil;
using namespace vigil::collector;

namespace {

struct Recorder : forward::Sender {
  std::mutex mu;
  std::vector<nlohmann::json> got;
  std::vector<std::string> texts;
  bool send(const forward::Alert& a, std::string*) override {
    std::lock_guard lk(mu);
    texts.push_back(a.text);
    got.push_back(nlohmann::json::parse(a.text));
    return true;
  }
};

std::string uid(int i) {
  std::string u = std::to_string(i);
  return std::string(64 - u.size(), 'c') + u;
}

std::string batch(uint64_t seq, std::vector<int> ids) {
  std::vector<std::string> uids, eves;
  for (int i : ids) {
    uids.push_back(uid(i));
    eves.push_back(R"({"timestamp":"2026-01-01T00:00:00.000000+0000","event_type":")" +
                   std::string(i == 99 ? "flow" : "alert") +
                   R"(","src_ip":"10.0.0.1","alert":{"signature_id":)" + std::to_string(1000 + i) +
                   R"(,"severity":2}})");
  }
  std::vector<wire::EventRef> refs;
  for (size_t k = 0; k < uids.size(); ++k) refs.push_back({uids[k], eves[k]});
  return wire::encode_batch("ag-1", seq, refs);
}

}  // namespace

TEST_CASE("forwarder: each newly stored alert once, with the agent id, not resends nor flows") {
  auto d = std::filesystem::temp_directory_path() / ("vigil-forwarder-" + std::to_string(getpid()));
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  std::string err;
  auto store = open_sqlite_store((d / "c.db").string(), &err);
  REQUIRE(store);
  auto rec = std::make_unique<Recorder>();
  Recorder* r = rec.get();
  forward::OutputConfig c;
  c.name = "rec";
  std::vector<std::unique_ptr<forward::Output>> outs;
  outs.push_back(std::make_unique<forward::Output>(c, std::move(rec), (d / "dl.jsonl").string()));
  forward::Forwarder f(std::move(outs));
  f.start();
  REQUIRE(handle_ingest(*store, "ag-1", batch(1, {1, 2, 99}), 10, nullptr, nullptr, nullptr, &f).status ==
          200);
  REQUIRE(handle_ingest(*store, "ag-1", batch(1, {1, 2, 99}), 11, nullptr, nullptr, nullptr, &f).status ==
          200);  // resend
  REQUIRE(handle_ingest(*store, "ag-1", batch(2, {2, 3}), 12, nullptr, nullptr, nullptr, &f).status ==
          200);  // 2 stored before
  f.stop();
  std::lock_guard lk(r->mu);
  REQUIRE(r->got.size() == 3);
  CHECK(r->got[0]["alert"]["signature_id"] == 1001);
  CHECK(r->got[1]["alert"]["signature_id"] == 1002);
  CHECK(r->got[2]["alert"]["signature_id"] == 1003);
  CHECK(r->got[0]["agent_id"] == "ag-1");
  // The record's own text, in the agent's key order, after the two names.
  CHECK(r->texts[0].rfind(
            R"({"agent_id":"ag-1","agent_hostname":"","timestamp":"2026-01-01T00:00:00.000000+0000",)", 0) ==
        0);
  nlohmann::json stats;
  f.add_to(stats);
  CHECK(stats["forward.rec.queued"] == 3);
  CHECK(stats["forward.rec.sent"] == 3);
  CHECK(stats["forward.rec.queue_depth"] == 0);
  std::filesystem::remove_all(d);
}

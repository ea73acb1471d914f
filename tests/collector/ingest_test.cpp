// The collector's answers to an agent's batch and heartbeat, without a
// server: status codes and bodies as the wire contract gives them, and
// nothing stored on any refusal.
#include "collector/ingest.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "common/wire.h"

using namespace vigil;
using namespace vigil::collector;
using nlohmann::json;

namespace {

std::unique_ptr<Store> temp_store(const char* name) {
  auto d = std::filesystem::temp_directory_path() /
           (std::string("vigil-ingest-") + name + std::to_string(getpid()));
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  std::string err;
  auto s = open_sqlite_store((d / "c.db").string(), &err);
  REQUIRE(s);
  return s;
}

std::string uid(int i) {
  std::string u = std::to_string(i);
  return std::string(64 - u.size(), 'b') + u;
}

std::string eve(int i) {
  return R"({"timestamp":"2026-01-01T00:00:00.000000+0000","event_type":"alert","src_ip":"10.0.0.1",)"
         R"("alert":{"signature_id":)" +
         std::to_string(1000 + i) + "}}";
}

// A batch of events first..first+n-1, encoded by the agent's encoder.
std::string batch(const std::string& agent, uint64_t seq, int first, int n) {
  std::vector<std::string> uids, eves;
  for (int i = first; i < first + n; ++i) {
    uids.push_back(uid(i));
    eves.push_back(eve(i));
  }
  std::vector<wire::EventRef> refs;
  for (size_t k = 0; k < uids.size(); ++k) refs.push_back({uids[k], eves[k]});
  return wire::encode_batch(agent, seq, refs);
}

}  // namespace

TEST_CASE(
    "ingest: ack, resend, 409 on a reused number, 400 naming the bad event, 403 on another agent's id") {
  auto store = temp_store("answers");
  ApiReply r = handle_ingest(*store, "ag-1", batch("ag-1", 1, 0, 3), 10);
  REQUIRE(r.status == 200);
  wire::IngestAck ack;
  REQUIRE(wire::decode_ingest_ack(r.body, &ack));
  CHECK(ack.acked_seq == 1);
  CHECK(ack.stored == 3);
  CHECK_FALSE(ack.duplicate_batch);

  r = handle_ingest(*store, "ag-1", batch("ag-1", 1, 0, 3), 11);
  REQUIRE(r.status == 200);
  REQUIRE(wire::decode_ingest_ack(r.body, &ack));
  CHECK(ack.duplicate_batch);
  CHECK(ack.stored == 0);

  REQUIRE(handle_ingest(*store, "ag-1", batch("ag-1", 2, 3, 1), 11).status == 200);
  r = handle_ingest(*store, "ag-1", batch("ag-1", 1, 10, 2), 12);
  REQUIRE(r.status == 409);
  wire::Conflict c;
  REQUIRE(wire::decode_conflict(r.body, &c));
  CHECK(c.highest_seq == 2);
  CHECK_FALSE(c.detail.empty());
  CHECK(store->count_events("alert") == 4);

  // "junk":tru inside an eve: refused, the index named, nothing stored.
  std::string body = batch("ag-1", 3, 20, 2);
  size_t pos = body.rfind("}}");
  body.insert(pos, R"(,"junk":tru)");
  r = handle_ingest(*store, "ag-1", body, 13);
  REQUIRE(r.status == 400);
  wire::ErrorAnswer e = wire::decode_error(r.body);
  CHECK(e.error == "bad batch");
  CHECK(e.detail == "events[1].eve: not valid JSON");
  r = handle_ingest(*store, "ag-1", R"({"agent_id":"ag-1","batch_seq":3,"events":[{"uid":"x","eve":{}}]})",
                    13);
  CHECK(r.status == 400);
  CHECK(wire::decode_error(r.body).detail == "events[0].uid: must be 64 lowercase hex characters");
  CHECK(store->count_events("alert") == 4);
  CHECK(store->highest_batch_seq("ag-1") == 2);

  r = handle_ingest(*store, "ag-2", batch("ag-1", 9, 30, 1), 14);
  CHECK(r.status == 403);
  CHECK(store->count_events("alert") == 4);
}

TEST_CASE("heartbeat: the reply carries the rule set, the interval and the agent's highest batch number") {
  auto store = temp_store("hb");
  REQUIRE(store->add_agent("ag-1", "h", "host", 1).ok);
  REQUIRE(handle_ingest(*store, "ag-1", batch("ag-1", 17, 0, 1), 10).status == 200);
  ApiReply r = handle_heartbeat(*store, "ag-1", R"({"hostname":"host","packets":3})", 11, 5);
  REQUIRE(r.status == 200);
  wire::HeartbeatReply hr;
  REQUIRE(wire::decode_heartbeat_reply(r.body, &hr));
  CHECK(hr.highest_seq == 17);
  CHECK(hr.heartbeat_interval_s == 5);
  CHECK(hr.ruleset_version.empty());
  CHECK(store->list_agents()[0].last_heartbeat["packets"] == 3);

  r = handle_heartbeat(*store, "ag-1", json{{"pad", std::string(70000, 'x')}}.dump(), 12, 5);
  CHECK(r.status == 400);
  r = handle_heartbeat(*store, "ag-1", R"({"hostname":["a"]})", 12, 5);
  CHECK(r.status == 400);
  CHECK(store->list_agents()[0].last_heartbeat["packets"] == 3);
  CHECK(store->heartbeat_history("ag-1", 10).size() == 1);
}

TEST_CASE("ingest counters: accepted, resent, partly known and refused batches - the store commit timed") {
  auto store = temp_store("counters");
  IngestCounters c;
  prometheus::Histogram h;
  auto get = [&](std::string_view name) {
    uint64_t v = ~0ull;
    c.visit([&](std::string_view n, uint64_t x) {
      if (n == name) v = x;
    });
    return v;
  };
  REQUIRE(handle_ingest(*store, "ag-1", batch("ag-1", 1, 0, 3), 10, nullptr, &c, &h).status == 200);
  REQUIRE(handle_ingest(*store, "ag-1", batch("ag-1", 1, 0, 3), 11, nullptr, &c, &h).status ==
          200);  // resend
  // A new number with events 2..4: 2 was stored before.
  REQUIRE(handle_ingest(*store, "ag-1", batch("ag-1", 2, 2, 3), 12, nullptr, &c, &h).status == 200);
  REQUIRE(handle_ingest(*store, "ag-1", batch("ag-1", 1, 10, 2), 13, nullptr, &c, &h).status == 409);
  REQUIRE(handle_ingest(*store, "ag-2", batch("ag-1", 9, 30, 4), 14, nullptr, &c, &h).status == 403);
  REQUIRE(handle_ingest(*store, "ag-1", "{", 15, nullptr, &c, &h).status == 400);
  CHECK(get("ingest.batches") == 3);
  CHECK(get("ingest.batches_duplicate") == 1);
  CHECK(get("ingest.batches_refused") == 3);
  CHECK(get("ingest.alerts_accepted") == 5);
  CHECK(get("ingest.events_accepted") == 5);
  CHECK(get("ingest.alerts_duplicate") == 4);  // 3 resent, 1 known uid
  CHECK(get("ingest.events_duplicate") == 4);
  CHECK(get("ingest.alerts_refused") == 6);  // 2 in the 409, 4 in the 403; the 400's could not be read
  CHECK(get("ingest.events_refused") == 6);
  CHECK(get("ingest.alerts_suppressed") == 0);
  CHECK(store->count_events("alert") == 5);
  CHECK(h.count() == 4);  // the store was asked 4 times (the 403 and 400 never reach it)
}

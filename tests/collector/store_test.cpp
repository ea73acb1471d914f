#include "collector/store/store.h"

#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <set>
#include <thread>

#include "common/time.h"
#include "store_test_util.h"

using namespace vigil::collector;
using nlohmann::json;
using vigil::parse_eve_time_us;

namespace {

std::string temp_dir(const char* name) {
  return test::fresh_temp_dir("vigil-", name);
}

IngestEvent alert(const std::string& uid, int sid, const std::string& ts,
                  const std::string& src = "10.0.0.1") {
  json eve = {
      {"timestamp", ts},
      {"event_type", "alert"},
      {"src_ip", src},
      {"src_port", 1234},
      {"dest_ip", "10.0.0.2"},
      {"dest_port", 80},
      {"proto", "TCP"},
      {"flow_id", 18446744073709551000ull},
      {"alert", {{"signature_id", sid}, {"gid", 1}, {"rev", 2}, {"signature", "test"}, {"severity", 2}}}};
  return {uid, eve};
}

}  // namespace

TEST_CASE("a batch is stored once - a resent batch and repeated uids are not stored twice") {
  std::string err;
  auto store = test::open_test_store(temp_dir("store1"), &err);
  REQUIRE(store);
  IngestResult r;
  std::vector<IngestEvent> b1 = {alert("u1", 100, "2026-01-01T00:00:01.000000+0000"),
                                 alert("u2", 101, "2026-01-01T00:00:02.000000+0000")};
  REQUIRE(store->ingest_batch("ag-1", 1, b1, 10, &r).ok);
  CHECK(r.stored == 2);
  CHECK_FALSE(r.duplicate_batch);
  REQUIRE(store->ingest_batch("ag-1", 1, b1, 11, &r).ok);
  CHECK(r.duplicate_batch);
  CHECK(r.stored == 0);
  // Same events under a new batch number (agent restarted and re-batched).
  std::vector<IngestEvent> b2 = {alert("u2", 101, "2026-01-01T00:00:02.000000+0000"),
                                 alert("u3", 102, "2026-01-01T00:00:03.000000+0000")};
  REQUIRE(store->ingest_batch("ag-1", 2, b2, 12, &r).ok);
  CHECK(r.stored == 1);
  CHECK(r.duplicate_events == 1);
  // The same uid from another agent is another event.
  REQUIRE(store->ingest_batch("ag-2", 1, b1, 12, &r).ok);
  CHECK(r.stored == 2);
  CHECK(store->count_events("alert") == 5);
  json other = {{"event_type", "flow"}, {"timestamp", "2026-01-01T00:00:00+0000"}};
  REQUIRE(store->ingest_batch("ag-1", 3, {{"f1", other}}, 12, &r).ok);
  CHECK(store->count_events("flow") == 1);
  CHECK(store->count_events("alert") == 5);
}

TEST_CASE("a reused batch number with other uids is a conflict: nothing stored, the highest number told") {
  std::string err;
  auto store = test::open_test_store(temp_dir("store-reuse"), &err);
  REQUIRE(store);
  IngestResult r;
  CHECK(store->highest_batch_seq("ag-1") == 0);
  std::vector<IngestEvent> b1 = {alert("u1", 100, "2026-01-01T00:00:01+0000"),
                                 alert("u2", 101, "2026-01-01T00:00:02+0000")};
  REQUIRE(store->ingest_batch("ag-1", 1, b1, 10, &r).ok);
  REQUIRE(store->ingest_batch("ag-1", 5, {alert("u9", 109, "2026-01-01T00:00:09+0000")}, 10, &r).ok);
  CHECK(store->highest_batch_seq("ag-1") == 5);
  CHECK(store->highest_batch_seq("ag-2") == 0);

  // The same uids in another order: a resend, acknowledged, nothing written.
  std::vector<IngestEvent> resend = {b1[1], b1[0]};
  REQUIRE(store->ingest_batch("ag-1", 1, resend, 11, &r).ok);
  CHECK(r.duplicate_batch);
  CHECK_FALSE(r.conflict);
  CHECK(r.stored == 0);

  // Number 1 again with other events (the agent lost its spool): refused.
  std::vector<IngestEvent> other = {alert("u3", 102, "2026-01-01T00:00:03+0000"),
                                    alert("u4", 103, "2026-01-01T00:00:04+0000")};
  REQUIRE(store->ingest_batch("ag-1", 1, other, 12, &r).ok);
  CHECK(r.conflict);
  CHECK_FALSE(r.duplicate_batch);
  CHECK(r.highest_seq == 5);
  CHECK(r.stored == 0);
  CHECK(store->count_events("alert") == 3);
  // A subset of the stored uids is other content too.
  REQUIRE(store->ingest_batch("ag-1", 1, {b1[0]}, 12, &r).ok);
  CHECK(r.conflict);
  // Renumbered above the highest, the same events are stored.
  REQUIRE(store->ingest_batch("ag-1", 6, other, 13, &r).ok);
  CHECK_FALSE(r.conflict);
  CHECK(r.stored == 2);
  CHECK(store->count_events("alert") == 5);
  CHECK(store->highest_batch_seq("ag-1") == 6);
  // Another agent's numbers are its own.
  REQUIRE(store->ingest_batch("ag-2", 1, other, 13, &r).ok);
  CHECK_FALSE(r.conflict);
  CHECK(r.stored == 2);
}

TEST_CASE("a database from before batch digests is migrated - its old batches still ack as resends",
          "[sqlite]") {
  std::string path = temp_dir("store-migrate") + "/c.db";
  {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    REQUIRE(
        sqlite3_exec(db,
                     "CREATE TABLE batches(agent_id TEXT NOT NULL, batch_seq INT NOT NULL, received_at INT "
                     "NOT NULL, events INT NOT NULL, PRIMARY KEY(agent_id, batch_seq)) WITHOUT ROWID;"
                     "INSERT INTO batches VALUES('ag-1', 3, 1, 2);",
                     nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
  }
  std::string err;
  auto store = open_sqlite_store(path, &err);
  INFO(err);
  REQUIRE(store);
  CHECK(store->highest_batch_seq("ag-1") == 3);
  IngestResult r;
  REQUIRE(store->ingest_batch("ag-1", 3, {alert("u1", 1, "2026-01-01T00:00:01+0000")}, 5, &r).ok);
  CHECK(r.duplicate_batch);  // no digest kept: cannot tell, so as before
  REQUIRE(store->ingest_batch("ag-1", 4, {alert("u1", 1, "2026-01-01T00:00:01+0000")}, 5, &r).ok);
  CHECK(r.stored == 1);
  REQUIRE(store->ingest_batch("ag-1", 4, {alert("u2", 1, "2026-01-01T00:00:01+0000")}, 5, &r).ok);
  CHECK(r.conflict);
  CHECK(r.highest_seq == 4);
  store.reset();
  // Opening again does not add the column twice.
  store = open_sqlite_store(path, &err);
  REQUIRE(store);
}

TEST_CASE("the batch digest depends on the set of uids only") {
  std::vector<IngestEvent> a = {{"u1", json::object()}, {"u2", json::object()}};
  std::vector<IngestEvent> b = {{"u2", json::object()}, {"u1", json::object()}};
  std::vector<IngestEvent> c = {{"u1", json::object()}, {"u3", json::object()}};
  std::vector<IngestEvent> d = {{"u1u2", json::object()}};
  CHECK(batch_digest(a) == batch_digest(b));
  CHECK(batch_digest(a) != batch_digest(c));
  CHECK(batch_digest(a) != batch_digest(d));
  CHECK(batch_digest(a).size() == 64);
}

TEST_CASE("alert queries filter and page newest first with a keyset cursor") {
  std::string err;
  auto store = test::open_test_store(temp_dir("store2"), &err);
  REQUIRE(store);
  std::vector<IngestEvent> evs;
  for (int i = 0; i < 25; ++i) {
    char ts[64];
    std::snprintf(ts, sizeof ts, "2026-01-01T00:00:%02d.000000+0000", i);
    evs.push_back(alert("u" + std::to_string(i), 100 + i % 3, ts, i % 2 ? "10.0.0.1" : "10.9.9.9"));
  }
  IngestResult r;
  REQUIRE(store->ingest_batch("ag-1", 1, evs, 1, &r).ok);
  AlertQuery q;
  q.limit = 10;
  std::set<int64_t> seen;
  int pages = 0;
  int64_t prev_ts = INT64_MAX;
  for (;;) {
    AlertPage p;
    REQUIRE(store->query_alerts(q, &p).ok);
    CHECK(p.total == 25);
    for (auto& a : p.alerts) {
      seen.insert(a["id"].get<int64_t>());
      int64_t ts = *parse_eve_time_us(a["timestamp"].get<std::string>());
      CHECK(ts <= prev_ts);
      prev_ts = ts;
    }
    ++pages;
    if (!p.next_cursor) break;
    q.cursor = p.next_cursor;
  }
  CHECK(seen.size() == 25);
  CHECK(pages == 3);

  AlertQuery f;
  f.sid = 101;
  f.src_ip = "10.0.0.1";
  AlertPage p;
  REQUIRE(store->query_alerts(f, &p).ok);
  // i % 3 == 1 and i odd: 1, 7, 13, 19
  CHECK(p.total == 4);
  f = {};
  f.from_us = *parse_eve_time_us("2026-01-01T00:00:10+0000");
  f.to_us = *parse_eve_time_us("2026-01-01T00:00:20+0000");
  REQUIRE(store->query_alerts(f, &p).ok);
  CHECK(p.total == 10);
  f = {};
  f.agent_id = "ag-other";
  REQUIRE(store->query_alerts(f, &p).ok);
  CHECK(p.total == 0);
}

TEST_CASE("tokens expire and run out of uses") {
  std::string err;
  auto store = test::open_test_store(temp_dir("store3"), &err);
  REQUIRE(store);
  REQUIRE(store->create_token("h1", 100, 200, 2).ok);
  CHECK(store->use_token("h1", 150) == TokenUse::kOk);
  CHECK(store->use_token("h1", 150) == TokenUse::kOk);
  CHECK(store->use_token("h1", 150) == TokenUse::kUsedUp);
  REQUIRE(store->create_token("h2", 100, 200, 5).ok);
  CHECK(store->use_token("h2", 200) == TokenUse::kExpired);
  CHECK(store->use_token("nope", 150) == TokenUse::kUnknown);
  CHECK(store->list_tokens().size() == 2);
}

TEST_CASE("agents, revocation, heartbeats, API keys and rule sets persist") {
  std::string err;
  test::TestDb db(temp_dir("store4"));
  {
    auto store = db.open(&err);
    REQUIRE(store);
    REQUIRE(store->add_agent("ag-1", "kh", "host1", 5, "192.0.2.1").ok);
    CHECK_FALSE(store->add_agent("ag-1", "kh", "host1", 5).ok);
    CHECK(store->list_agents()[0].address == "192.0.2.1");  // the enrolment's, before any heartbeat
    REQUIRE(
        store->record_heartbeat("ag-1", {{"ruleset_version", "3-abc"}, {"packets", 7}}, 8, "192.0.2.7").ok);
    CHECK(store->list_agents()[0].address == "192.0.2.7");
    REQUIRE(store->record_heartbeat("ag-1", {{"ruleset_version", "3-abc"}, {"packets", 7}}, 9).ok);
    REQUIRE(store->create_api_key("kk", Role::kAnalyst, 1).ok);
    std::string v;
    REQUIRE(store->put_ruleset("alert ip any any -> any any (sid:1;)", {{"rules_loaded", 1}}, 3, &v).ok);
    CHECK(v.rfind("1-", 0) == 0);
    REQUIRE(store->put_ruleset("alert ip any any -> any any (sid:2;)", {}, 4, &v).ok);
    CHECK(v.rfind("2-", 0) == 0);
  }
  auto store = db.open(&err);
  REQUIRE(store);
  auto agents = store->list_agents();
  REQUIRE(agents.size() == 1);
  CHECK(agents[0].hostname == "host1");
  CHECK(agents[0].last_seen == 9);
  CHECK(agents[0].ruleset_version == "3-abc");
  CHECK(agents[0].last_heartbeat["packets"] == 7);
  CHECK(agents[0].address == "192.0.2.7");  // a heartbeat without an address keeps the last one
  CHECK(store->heartbeat_history("ag-1", 10).size() == 2);
  CHECK(store->agent_auth("ag-1").exists);
  CHECK_FALSE(store->agent_auth("ag-1").revoked);
  CHECK(store->revoke_agent("ag-1"));
  CHECK_FALSE(store->revoke_agent("ag-x"));
  CHECK(store->agent_auth("ag-1").revoked);
  CHECK(store->api_key_role("kk") == Role::kAnalyst);
  CHECK_FALSE(store->api_key_role("zz"));
  auto rs = store->current_ruleset();
  REQUIRE(rs);
  CHECK(rs->text.find("sid:2") != std::string::npos);
}

TEST_CASE("concurrent batches are group-committed: every one stored once, results per batch") {
  std::string err;
  auto store = test::open_test_store(temp_dir("storegroup"), &err);
  REQUIRE(store);
  constexpr int kThreads = 8, kBatches = 20, kPerBatch = 25;
  std::vector<std::thread> ts;
  std::atomic<int> failures{0}, wrong{0};
  for (int t = 0; t < kThreads; ++t) {
    ts.emplace_back([&, t] {
      std::string agent = "ag-" + std::to_string(t % 4);  // two threads per agent: overlapping uids
      for (int b = 0; b < kBatches; ++b) {
        std::vector<IngestEvent> evs;
        for (int i = 0; i < kPerBatch; ++i) {
          evs.push_back(alert("u" + std::to_string(b * kPerBatch + i), 100 + i, "2026-01-01T00:00:01+0000"));
        }
        IngestResult r;
        // Seqs differ per thread so that no batch is a duplicate batch.
        if (!store->ingest_batch(agent, uint64_t(t) * 1000 + b + 1, evs, 1, &r).ok) ++failures;
        if (r.duplicate_batch || r.stored + r.duplicate_events != kPerBatch) ++wrong;
      }
    });
  }
  for (auto& t : ts) t.join();
  CHECK(failures == 0);
  CHECK(wrong == 0);
  // 4 agents x 500 distinct uids each; the second thread of each agent only duplicates.
  CHECK(store->count_events("alert") == 4 * kBatches * kPerBatch);
}

TEST_CASE("the audit log appends and reads back newest first, filtered and paged") {
  std::string err;
  auto store = test::open_test_store(temp_dir("store-audit"), &err);
  REQUIRE(store);
  for (int i = 0; i < 5; ++i) {
    AuditEntry e;
    e.ts = 1000 + i;
    e.actor = i % 2 ? "alice" : "bob";
    e.action = "alert.triage";
    e.target = "alert:" + std::to_string(i);
    e.peer = "127.0.0.1";
    e.detail = nlohmann::json{{"i", i}};
    REQUIRE(store->append_audit(e).ok);
  }
  auto all = store->list_audit({});
  REQUIRE(all.size() == 5);
  CHECK(all[0].target == "alert:4");
  CHECK(all[0].detail["i"] == 4);
  CHECK(all[4].target == "alert:0");
  AuditQuery q;
  q.actor = "alice";
  auto alice = store->list_audit(q);
  REQUIRE(alice.size() == 2);
  CHECK(alice[0].target == "alert:3");
  q = {};
  q.limit = 2;
  auto page1 = store->list_audit(q);
  REQUIRE(page1.size() == 2);
  q.before_id = page1.back().id;
  auto page2 = store->list_audit(q);
  REQUIRE(page2.size() == 2);
  CHECK(page2[0].target == "alert:2");
  q = {};
  q.from = 1001;
  q.to = 1003;
  CHECK(store->list_audit(q).size() == 2);
}

// The store's triage and suppression tables: upserts, history only for real
// changes, comments, one transaction per call with its audit entry, bulk
// by ids, and suppressions' lifetime (active, expired, removed, hits).
// Against SQLite and, in the collector[pg] registration, PostgreSQL.
#include "collector/store/sqlite_triage.h"

#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <thread>

#include "../store_test_util.h"

using namespace vigil::collector;
using nlohmann::json;

namespace {

std::unique_ptr<Store> fresh_store(const char* name) {
  auto d = std::filesystem::temp_directory_path() /
           (std::string("vigil-triage-") + name + std::to_string(getpid()));
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  std::string err;
  auto s = test::open_test_store(d.string(), &err);
  INFO(err);
  REQUIRE(s);
  return s;
}

// Stores n alerts of sid 100 + i and returns their ids, oldest first.
std::vector<int64_t> add_alerts(Store& s, int n) {
  std::vector<IngestEvent> ev;
  for (int i = 0; i < n; ++i) {
    json eve = {{"timestamp", "2026-01-01T00:00:0" + std::to_string(i % 10) + ".000000+0000"},
                {"event_type", "alert"},
                {"src_ip", "10.0.0.1"},
                {"dest_ip", "10.0.0.2"},
                {"alert", {{"signature_id", 100 + i}, {"gid", 1}, {"signature", "t"}, {"severity", 2}}}};
    ev.emplace_back("u" + std::to_string(i), eve);
  }
  IngestResult r;
  REQUIRE(s.ingest_batch("ag-1", 1, ev, 1, &r).ok);
  REQUIRE(r.stored == static_cast<uint64_t>(n));
  AlertQuery q;
  q.limit = 1000;
  AlertPage page;
  REQUIRE(s.query_alerts(q, &page).ok);
  std::vector<int64_t> ids;
  for (const auto& a : page.alerts) ids.push_back(a["id"].get<int64_t>());
  std::sort(ids.begin(), ids.end());
  return ids;
}

}  // namespace

TEST_CASE("an alert without triage reads as new - unknown alerts are not found", "[triage]") {
  auto s = fresh_store("new");
  auto ids = add_alerts(*s, 1);
  auto t = s->get_triage(ids[0]);
  REQUIRE(t);
  CHECK(t->status == "new");
  CHECK(!t->assignee);
  CHECK(t->history.empty());
  CHECK(!s->get_triage(ids[0] + 1000));
  uint64_t matched = 7;
  TriageChange c;
  c.status = "closed";
  REQUIRE(s->triage_alerts({ids[0] + 1000}, c, "bob", 5, nullptr, &matched).ok);
  CHECK(matched == 0);
}

TEST_CASE("triage upserts, records each changed field once, and audits in the same transaction", "[triage]") {
  auto s = fresh_store("upsert");
  auto ids = add_alerts(*s, 2);
  TriageChange c;
  c.status = "acknowledged";
  c.assignee = "alice";
  c.comment = "looking";
  AuditEntry audit{0, 10, "bob", "alert.triage", "alert:1", "127.0.0.1", json{{"status", "acknowledged"}}};
  uint64_t matched = 0;
  REQUIRE(s->triage_alerts({ids[0]}, c, "bob", 10, &audit, &matched).ok);
  CHECK(matched == 1);
  auto t = s->get_triage(ids[0]);
  REQUIRE(t);
  CHECK(t->status == "acknowledged");
  CHECK(t->assignee == std::optional<std::string>("alice"));
  CHECK(t->updated_by == "bob");
  REQUIRE(t->history.size() == 2);
  CHECK(t->history[0].field == "status");
  CHECK(t->history[0].old_value == std::optional<std::string>("new"));
  CHECK(t->history[0].new_value == std::optional<std::string>("acknowledged"));
  CHECK(t->history[1].field == "assignee");
  CHECK(!t->history[1].old_value);
  REQUIRE(t->comments.size() == 1);
  CHECK(t->comments[0].text == "looking");
  CHECK(t->comments[0].actor == "bob");
  // The other alert is untouched.
  CHECK(s->get_triage(ids[1])->status == "new");
  auto log = s->list_audit({});
  REQUIRE(log.size() == 1);
  CHECK(log[0].action == "alert.triage");
  CHECK(log[0].actor == "bob");

  // The same status again is no change: no history row. Clearing the assignee is one.
  TriageChange again;
  again.status = "acknowledged";
  again.assignee = "";
  REQUIRE(s->triage_alerts({ids[0]}, again, "carol", 11, nullptr, &matched).ok);
  t = s->get_triage(ids[0]);
  REQUIRE(t->history.size() == 3);
  CHECK(t->history[2].field == "assignee");
  CHECK(t->history[2].old_value == std::optional<std::string>("alice"));
  CHECK(!t->history[2].new_value);
  CHECK(!t->assignee);
  CHECK(t->to_json()["assignee"].is_null());
}

TEST_CASE("bulk triage changes exactly the listed alerts, with a history row each", "[triage]") {
  auto s = fresh_store("bulk");
  auto ids = add_alerts(*s, 20);
  std::vector<int64_t> pick(ids.begin(), ids.begin() + 15);
  pick.push_back(999999);  // not an alert: ignored, not counted
  TriageChange c;
  c.status = "false_positive";
  c.comment = "scanner";
  uint64_t matched = 0;
  REQUIRE(s->triage_alerts(pick, c, "bob", 20, nullptr, &matched).ok);
  CHECK(matched == 15);
  for (size_t i = 0; i < ids.size(); ++i) {
    auto t = s->get_triage(ids[i]);
    REQUIRE(t);
    if (i < 15) {
      CHECK(t->status == "false_positive");
      CHECK(t->history.size() == 1);
      CHECK(t->comments.size() == 1);
    } else {
      CHECK(t->status == "new");
      CHECK(t->history.empty());
      CHECK(t->comments.empty());
    }
  }
}

TEST_CASE("suppressions: active, expired, removed (kept), hit counts, audited", "[suppression]") {
  auto s = fresh_store("sup");
  Suppression a;
  a.sid = 2001;
  a.reason = "noisy";
  a.author = "admin";
  a.created_at = 100;
  a.expires_at = 200;
  REQUIRE(s->add_suppression(&a, {0, 100, "admin", "suppression.add", "", "::1", nullptr}).ok);
  CHECK(a.id > 0);
  Suppression b = a;
  b.sid = 2002;
  b.track = "by_src";
  b.cidr = "10.0.0.0/8";
  b.expires_at = 0;  // never
  REQUIRE(s->add_suppression(&b, {0, 100, "admin", "suppression.add", "", "::1", nullptr}).ok);
  CHECK(s->list_suppressions(false, 150).size() == 2);
  auto at_200 = s->list_suppressions(false, 200);  // a expired at 200
  REQUIRE(at_200.size() == 1);
  CHECK(at_200[0].id == b.id);
  CHECK(at_200[0].cidr == "10.0.0.0/8");
  CHECK(s->list_suppressions(true, 200).size() == 2);

  bool found = true;
  REQUIRE(
      s->remove_suppression(a.id, 300, {0, 300, "admin", "suppression.remove", "", "", nullptr}, &found).ok);
  CHECK(!found);  // already expired: nothing to remove
  REQUIRE(
      s->remove_suppression(b.id, 300, {0, 300, "admin", "suppression.remove", "", "", nullptr}, &found).ok);
  CHECK(found);
  CHECK(s->list_suppressions(false, 300).empty());
  auto all = s->list_suppressions(true, 300);
  REQUIRE(all.size() == 2);
  CHECK(all[1].removed_at == 300);

  REQUIRE(s->add_suppression_hits({{a.id, 3}, {b.id, 4}}).ok);
  REQUIRE(s->add_suppression_hits({{a.id, 2}}).ok);
  all = s->list_suppressions(true, 300);
  CHECK(all[0].hits == 5);
  CHECK(all[1].hits == 4);
  auto log = s->list_audit({});
  REQUIRE(log.size() == 3);  // two adds, one remove; the refused remove wrote nothing
  CHECK(log[0].action == "suppression.remove");
  CHECK(log[2].target == "suppression:" + std::to_string(a.id));
}

TEST_CASE("suppressed events count in the batch digest but are not stored", "[suppression]") {
  auto s = fresh_store("digest");
  json eve = {{"timestamp", "2026-01-01T00:00:01.000000+0000"},
              {"event_type", "alert"},
              {"alert", {{"signature_id", 7}, {"gid", 1}}}};
  std::vector<IngestEvent> ev{{"u1", eve}, {"u2", eve}};
  ev[1].eve["alert"]["signature_id"] = 8;
  ev[0].suppressed = true;
  IngestResult r;
  REQUIRE(s->ingest_batch("ag-1", 1, ev, 1, &r).ok);
  CHECK(r.stored == 1);
  CHECK(s->count_events("alert") == 1);
  // The resend after the suppression is gone: the same batch, not a conflict.
  ev[0].suppressed = false;
  REQUIRE(s->ingest_batch("ag-1", 1, ev, 2, &r).ok);
  CHECK(r.duplicate_batch);
  CHECK(!r.conflict);
}

TEST_CASE("two stores on one database: concurrent triage is recorded once, suppressions are shared",
          "[triage][suppression]") {
  auto d = std::filesystem::temp_directory_path() / ("vigil-triage-two-" + std::to_string(getpid()));
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  test::TestDb db(d.string());  // one database, two stores on it: two collectors
  auto a = db.open(), b = db.open();
  REQUIRE(a);
  REQUIRE(b);
  auto ids = add_alerts(*a, 20);
  // Both collectors escalate the same alerts at once: each alert changes once.
  std::atomic<int> failed{0};
  std::vector<std::thread> th;
  for (Store* s : {a.get(), b.get(), a.get(), b.get()})
    th.emplace_back([&, s] {
      TriageChange ch;
      ch.status = "escalated";
      uint64_t matched = 0;
      if (!s->triage_alerts(ids, ch, "analyst", 500, nullptr, &matched).ok || matched != ids.size()) ++failed;
    });
  for (auto& t : th) t.join();
  CHECK(failed == 0);
  for (int64_t id : ids) {
    auto t = b->get_triage(id);
    REQUIRE(t);
    CHECK(t->status == "escalated");
    CHECK(t->history.size() == 1);  // new -> escalated, once
  }
  // A suppression added through one is active on the other; hits from both add up.
  Suppression s;
  s.sid = 7;
  s.reason = "noisy";
  s.author = "admin";
  s.created_at = 100;
  REQUIRE(a->add_suppression(&s, {0, 100, "admin", "suppression.add", "", "::1", nullptr}).ok);
  auto seen = b->list_suppressions(false, 150);
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].id == s.id);
  REQUIRE(a->add_suppression_hits({{s.id, 2}}).ok);
  REQUIRE(b->add_suppression_hits({{s.id, 3}}).ok);
  CHECK(a->list_suppressions(false, 150)[0].hits == 5);
  bool found = false;
  REQUIRE(
      b->remove_suppression(s.id, 200, {0, 200, "admin", "suppression.remove", "", "", nullptr}, &found).ok);
  CHECK(found);
  CHECK(a->list_suppressions(false, 250).empty());
}

// Retention by age, by count and by size: a store over its limits is brought
// under them (also while ingest goes on), nothing newer than the horizon is
// lost, and triage rows and rollups go with the alerts they belong to.
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <ctime>
#include <filesystem>
#include <thread>

#include "../store_test_util.h"
#include "collector/store/sqlite_recover.h"
#include "collector/store/store.h"

using namespace vigil::collector;
using nlohmann::json;

namespace {

std::string temp_dir(const char* name) {
  return test::fresh_temp_dir("vigil-retention-", name);
}

std::string eve_time(int64_t s) {
  return test::eve_time_us(s * 1'000'000);
}

IngestEvent event(int64_t n, int64_t ts_s, const char* type = "alert") {
  json eve = {{"timestamp", eve_time(ts_s)},
              {"event_type", type},
              {"src_ip", "10.0.0." + std::to_string(n % 7)},
              {"dest_ip", "192.0.2.1"},
              {"flow_id", 1000 + n % 13},
              {"payload_printable", std::string(200, 'x')}};
  if (std::string(type) == "alert") eve["alert"] = {{"signature_id", n % 5}, {"severity", 1 + n % 3}};
  return {"e" + std::to_string(n), eve};
}

struct Raw {
  sqlite3* db = nullptr;
  explicit Raw(const std::string& path) : db(test::open_store_file(path)) {}
  ~Raw() { sqlite3_close(db); }
  int64_t num(const std::string& sql) {
    sqlite3_stmt* st = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK);
    int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    return v;
  }
  std::string str(const std::string& sql) {
    sqlite3_stmt* st = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK);
    std::string v =
        sqlite3_step(st) == SQLITE_ROW ? reinterpret_cast<const char*>(sqlite3_column_text(st, 0)) : "";
    sqlite3_finalize(st);
    return v;
  }
  // Rows of the minute and source rollups that differ from a count of the
  // alerts (a row retention left at 0 counts nothing, as readers take it).
  // Alerts in a range of alert_rollup_pending are not in the rollups yet
  // (the store folds them in about a second, and before any stats read).
  int64_t rollup_mismatch() {
    const std::string kCounted =
        "WITH counted AS (SELECT * FROM alerts WHERE NOT EXISTS (SELECT 1 FROM alert_rollup_pending p "
        "WHERE alerts.id BETWEEN p.first_id AND p.last_id)) ";
    return num(kCounted +
               "SELECT COUNT(*) FROM (SELECT minute, agent_id, severity, n FROM alert_rollup_min WHERE n<>0 "
               "EXCEPT "
               "SELECT ts/60000000, agent_id, COALESCE(severity,0), COUNT(*) FROM counted GROUP BY 1,2,3)") +
           num(kCounted +
               "SELECT COUNT(*) FROM (SELECT ts/60000000, agent_id, COALESCE(severity,0), COUNT(*) FROM "
               "counted "
               "GROUP BY 1,2,3 EXCEPT SELECT minute, agent_id, severity, n FROM alert_rollup_min WHERE "
               "n<>0)") +
           num(kCounted +
               "SELECT COUNT(*) FROM (SELECT hour, key, severity, n FROM alert_rollup_hour WHERE dim=2 "
               "AND n<>0 EXCEPT "
               "SELECT ts/3600000000, src_ip, COALESCE(severity,0), COUNT(*) FROM counted GROUP BY 1,2,3)") +
           num(kCounted +
               "SELECT COUNT(*) FROM (SELECT ts/3600000000, src_ip, COALESCE(severity,0), COUNT(*) FROM "
               "counted "
               "GROUP BY 1,2,3 EXCEPT SELECT hour, key, severity, n FROM alert_rollup_hour WHERE dim=2 AND "
               "n<>0)") +
           num(kCounted +
               "SELECT COUNT(*) FROM (SELECT agent_id, hour, key, severity, n FROM alert_rollup_agent WHERE "
               "dim=2 AND n<>0 EXCEPT SELECT agent_id, ts/3600000000, src_ip, COALESCE(severity,0), COUNT(*) "
               "FROM "
               "counted "
               "GROUP BY 1,2,3,4)") +
           num(kCounted +
               "SELECT COUNT(*) FROM (SELECT agent_id, ts/3600000000, src_ip, COALESCE(severity,0), COUNT(*) "
               "FROM counted GROUP BY 1,2,3,4 EXCEPT SELECT agent_id, hour, key, severity, n FROM "
               "alert_rollup_agent WHERE dim=2 AND n<>0)");
  }
  // Rollup rows in a minute, hour or (with `days`) day that ends before the
  // oldest alert: retention deletes those by range (a late alert's day rows
  // there wait for the next day's range).
  int64_t stale_rollup_rows(bool days = true) {
    const std::string oldest = "(SELECT COALESCE(MIN(ts), 9000000000000000000) FROM alerts)";
    const std::string where =
        "(dim < 10 AND hour < " + oldest + "/3600000000)" +
        (days ? " OR (dim >= 10 AND hour < " + oldest + "/86400000000)" : std::string());
    return num("SELECT COUNT(*) FROM alert_rollup_min WHERE minute < " + oldest + "/60000000") +
           num("SELECT COUNT(*) FROM alert_rollup_hour WHERE " + where) +
           num("SELECT COUNT(*) FROM alert_rollup_agent WHERE " + where);
  }
};

constexpr int64_t kNow = 1767225600;  // 2026-01-01T00:00:00Z
constexpr int64_t kDay = 86400;

void ingest(Store& s, const std::string& agent, uint64_t seq, std::vector<IngestEvent> b) {
  IngestResult r;
  REQUIRE(s.ingest_batch(agent, seq, b, kNow, &r).ok);
  REQUIRE(r.stored == b.size());
}

}  // namespace

TEST_CASE("retention by age deletes alerts, events, triage rows and rollups past the horizon only",
          "[sqlite]") {
  std::string path = temp_dir("age") + "/c.db", err;
  auto store = open_sqlite_store(path, &err);
  REQUIRE(store);
  // 10 days of alerts and dns events, one a minute.
  std::vector<IngestEvent> b;
  int64_t n = 0;
  for (int64_t t = kNow - 10 * kDay; t < kNow; t += 60) {
    b.push_back(event(n++, t));
    b.push_back(event(n++, t + 1, "dns"));
  }
  ingest(*store, "ag-1", 1, b);
  Raw raw(path);
  REQUIRE(sqlite3_exec(raw.db,
                       "INSERT INTO alert_triage(alert_id, status, updated_at, updated_by) SELECT id, "
                       "'acknowledged', 1, 't' FROM alerts WHERE id % 10 = 0;"
                       "INSERT INTO alert_triage_history(alert_id, ts, actor, field, old, new) SELECT id, 1, "
                       "'t', 'status', 'new', 'acknowledged' FROM alerts WHERE id % 10 = 0;"
                       "INSERT INTO alert_comments(alert_id, ts, actor, text) SELECT id, 1, 't', 'seen' "
                       "FROM alerts WHERE id % 10 = 0",
                       nullptr, nullptr, nullptr) == SQLITE_OK);
  int64_t horizon_us = (kNow - 4 * kDay) * 1'000'000;
  int64_t keep_alerts = raw.num("SELECT COUNT(*) FROM alerts WHERE ts >= " + std::to_string(horizon_us));
  int64_t keep_events = raw.num("SELECT COUNT(*) FROM events WHERE ts >= " + std::to_string(horizon_us));
  int64_t old_alerts = raw.num("SELECT COUNT(*) FROM alerts") - keep_alerts;
  REQUIRE(old_alerts > 5000);  // more than one chunk
  REQUIRE(raw.rollup_mismatch() == 0);

  RetentionPolicy p;
  p.max_age_s = 4 * kDay;
  RetentionResult r;
  REQUIRE(store->enforce_retention(p, kNow, &r).ok);
  CHECK(static_cast<int64_t>(r.alerts) == old_alerts);
  CHECK(raw.num("SELECT COUNT(*) FROM alerts WHERE ts < " + std::to_string(horizon_us)) == 0);
  CHECK(raw.num("SELECT COUNT(*) FROM alerts") == keep_alerts);
  CHECK(raw.num("SELECT COUNT(*) FROM events WHERE ts < " + std::to_string(horizon_us)) == 0);
  CHECK(raw.num("SELECT COUNT(*) FROM events") == keep_events);
  CHECK(raw.num("SELECT COUNT(*) FROM alert_triage WHERE alert_id NOT IN (SELECT id FROM alerts)") == 0);
  CHECK(raw.num("SELECT COUNT(*) FROM alert_triage") > 0);
  for (const char* t : {"alert_triage_history", "alert_comments"}) {
    CHECK(raw.num(std::string("SELECT COUNT(*) FROM ") + t +
                  " WHERE alert_id NOT IN (SELECT id FROM alerts)") == 0);
    CHECK(raw.num(std::string("SELECT COUNT(*) FROM ") + t) ==
          raw.num("SELECT COUNT(*) FROM alerts WHERE id % 10 = 0"));
  }
  CHECK(raw.rollup_mismatch() == 0);
  CHECK(raw.stale_rollup_rows() == 0);
  // A second pass finds nothing more.
  REQUIRE(store->enforce_retention(p, kNow, &r).ok);
  CHECK(r.alerts == 0);
  CHECK(r.events == 0);
}

TEST_CASE("retention by count and size brings the store under its limits while ingest goes on", "[sqlite]") {
  std::string path = temp_dir("size") + "/c.db", err;
  auto store = open_sqlite_store(path, &err);
  REQUIRE(store);
  int64_t n = 0;
  uint64_t seq = 1;
  // 20,000 alerts, event time increasing with n.
  for (int i = 0; i < 20; ++i) {
    std::vector<IngestEvent> b;
    for (int k = 0; k < 1000; ++k, ++n) b.push_back(event(n, kNow - 100000 + n));
    ingest(*store, "ag-1", seq++, b);
  }
  Raw raw(path);
  // Ingest goes on in another thread (newer alerts) while retention runs.
  std::atomic<bool> stop{false};
  std::atomic<int64_t> next{n};
  std::thread writer([&] {
    uint64_t s = 1;
    while (!stop) {
      std::vector<IngestEvent> b;
      for (int k = 0; k < 200; ++k) {
        int64_t m = next++;
        b.push_back(event(m, kNow - 100000 + m));
      }
      IngestResult r;
      if (!store->ingest_batch("ag-2", s++, b, kNow, &r).ok) break;
    }
  });
  RetentionPolicy p;
  p.max_alerts = 5000;
  RetentionResult r;
  for (int i = 0; i < 3; ++i) REQUIRE(store->enforce_retention(p, kNow, &r).ok);
  stop = true;
  writer.join();
  REQUIRE(store->enforce_retention(p, kNow, &r).ok);
  // At most the limit, and up to an eighth fewer where a whole partition
  // went (sqlite_alert_parts.h).
  const int64_t kept = raw.num("SELECT COUNT(*) FROM alerts");
  CHECK(kept <= 5000);
  CHECK(kept >= 5000 - 5000 / 8);
  // The ones kept are the newest: none older than the newest deleted.
  int64_t written = next;
  CHECK(raw.num("SELECT MIN(ts) FROM alerts") == (kNow - 100000 + written - kept) * 1'000'000);
  CHECK(raw.rollup_mismatch() == 0);

  // By size: a limit under what is in use now.
  RetentionPolicy bytes;
  int64_t in_use = r.bytes_in_use;
  REQUIRE(in_use > 0);
  bytes.max_bytes = in_use / 2;
  REQUIRE(store->enforce_retention(bytes, kNow, &r).ok);
  CHECK(r.alerts > 0);
  CHECK(r.bytes_in_use <= bytes.max_bytes);
  int64_t left = raw.num("SELECT COUNT(*) FROM alerts");
  CHECK(left > 0);
  CHECK(raw.num("SELECT MIN(ts) FROM alerts") == (kNow - 100000 + written - left) * 1'000'000);
  CHECK(raw.rollup_mismatch() == 0);
  CHECK(raw.stale_rollup_rows() == 0);
  // The freed pages went back to the file system (incremental auto-vacuum)
  // but for a quarter of the pages in use, kept for the next partitions.
  const int64_t free_pages = raw.num("PRAGMA freelist_count");
  CHECK(free_pages <= (raw.num("PRAGMA page_count") - free_pages) / 4);
}

TEST_CASE(
    "an alert that arrives late, older than what retention already cleared, is counted and then removed",
    "[sqlite]") {
  std::string path = temp_dir("late") + "/c.db", err;
  auto store = open_sqlite_store(path, &err);
  REQUIRE(store);
  // 3 days of alerts, one every 10 minutes, from two agents.
  std::vector<IngestEvent> a, b;
  int64_t n = 0;
  for (int64_t t = kNow - 3 * kDay; t < kNow; t += 600, ++n) (n % 2 ? a : b).push_back(event(n, t));
  ingest(*store, "ag-1", 1, a);
  ingest(*store, "ag-2", 1, b);
  Raw raw(path);
  RetentionPolicy p;
  p.max_age_s = 2 * kDay;
  RetentionResult r;
  REQUIRE(store->enforce_retention(p, kNow, &r).ok);
  REQUIRE(r.alerts > 0);
  CHECK(raw.rollup_mismatch() == 0);
  CHECK(raw.stale_rollup_rows() == 0);

  // A spooled alert from before the horizon arrives after retention ran:
  // until the next run it is in the store and in the dashboards.
  ingest(*store, "ag-1", 2, {event(n++, kNow - 2 * kDay - 7200)});
  CHECK(raw.rollup_mismatch() == 0);
  StatsQuery q;
  q.from_us = (kNow - 3 * kDay) * 1'000'000;
  q.to_us = kNow * 1'000'000;
  q.interval_s = 3600;
  q.top = 100;
  AlertStats before;
  REQUIRE(store->alert_stats(q, &before).ok);
  CHECK(before.total == raw.num("SELECT COUNT(*) FROM alerts"));

  // Retention deletes it (its hour is before the boundary cleared already)
  // and what each hour's alerts were kept counting the same.
  p.max_age_s = 2 * kDay - 1800;
  REQUIRE(store->enforce_retention(p, kNow, &r).ok);
  CHECK(r.alerts == 4);  // the late one and the three in the half hour
  CHECK(raw.rollup_mismatch() == 0);
  CHECK(raw.stale_rollup_rows(false) == 0);
  AlertStats after;
  REQUIRE(store->alert_stats(q, &after).ok);
  CHECK(after.total == raw.num("SELECT COUNT(*) FROM alerts"));
  // The top list (day rows from day_rows_from on, hour rows before) equals
  // a count of the rows left.
  CHECK(raw.num("SELECT value FROM alert_rollup_state WHERE name='day_rows_from'") ==
        raw.num("SELECT MIN(ts) FROM alerts") / 86'400'000'000 + 1);
  int64_t sum = 0;
  for (const auto& e : after.top_sources) {
    CHECK(e.count > 0);
    CHECK(e.count == raw.num("SELECT COUNT(*) FROM alerts WHERE src_ip='" + e.key + "'"));
    sum += e.count;
  }
  CHECK(sum == after.total);  // every alert has a source

  // When retention takes every alert, no rollup row is left.
  p.max_age_s = 1;
  REQUIRE(store->enforce_retention(p, kNow + 1, &r).ok);
  CHECK(raw.num("SELECT COUNT(*) FROM alerts") == 0);
  CHECK(raw.num("SELECT (SELECT COUNT(*) FROM alert_rollup_min) + (SELECT COUNT(*) FROM alert_rollup_hour) + "
                "(SELECT COUNT(*) FROM alert_rollup_agent)") == 0);
}

// ---- Alerts in partitions (collector/store/sqlite_alert_parts.h) ----

namespace {

// A store whose partitions start every `part_min` ids or more.
std::unique_ptr<Store> open_parts(const std::string& path, int64_t part_min) {
  SqliteStoreOptions opts;
  opts.part_min = part_min;
  std::string err;
  auto s = open_sqlite_store(path, &err, opts);
  INFO(err);
  REQUIRE(s);
  return s;
}

// `n` alerts e<first>.. in batches of 100, event time kNow - 100000 + i.
void fill_parts(Store& s, int64_t first, int64_t n, uint64_t* seq) {
  for (int64_t i = first; i < first + n; i += 100) {
    std::vector<IngestEvent> b;
    for (int64_t k = i; k < std::min(first + n, i + 100); ++k) b.push_back(event(k, kNow - 100000 + k));
    ingest(s, "ag-1", (*seq)++, b);
  }
}

}  // namespace

TEST_CASE("partitions: retention drops whole partitions with their triage and rollups, limits kept",
          "[sqlite]") {
  const std::string dir = temp_dir("parts"), path = dir + "/c.db";
  auto store = open_parts(path, 100);
  uint64_t seq = 1;
  fill_parts(*store, 0, 3000, &seq);
  Raw raw(path);
  const int64_t parts = raw.num("SELECT COUNT(*) FROM alert_parts");
  CHECK(parts >= 8);
  // The view holds every alert once, ids 1..3000 in arrival order.
  CHECK(raw.num("SELECT COUNT(*) FROM alerts") == 3000);
  CHECK(raw.num("SELECT COUNT(DISTINCT id) FROM alerts") == 3000);
  CHECK(raw.num("SELECT MIN(id) FROM alerts") == 1);
  CHECK(raw.num("SELECT MAX(id) FROM alerts") == 3000);
  // Each partition holds exactly the ids of its range.
  CHECK(
      raw.num("SELECT COUNT(*) FROM alert_parts p WHERE (SELECT COUNT(*) FROM alerts WHERE id >= p.first_id "
              "AND id < COALESCE((SELECT MIN(first_id) FROM alert_parts n WHERE n.first_id > p.first_id), "
              "1 << 62)) = 0 AND p.first_id < (SELECT MAX(first_id) FROM alert_parts)") == 0);
  // Triage on alerts of the oldest partitions and of the newest.
  uint64_t matched = 0;
  REQUIRE(store
              ->triage_alerts({1, 2, 150, 2999}, {std::string("closed"), std::nullopt, std::string("seen")},
                              "ana", kNow, nullptr, &matched)
              .ok);
  REQUIRE(matched == 4);

  // Newest first, pages of 7 across every partition: no id skipped or repeated.
  {
    AlertQuery q;
    q.limit = 7;
    int64_t expect = 3000;
    for (;;) {
      AlertPage page;
      REQUIRE(store->query_alerts(q, &page).ok);
      for (const auto& a : page.alerts) REQUIRE(a["id"].get<int64_t>() == expect--);
      if (!page.next_cursor) break;
      q.cursor = page.next_cursor;
    }
    CHECK(expect == 0);
  }

  // By count: whole partitions go, the store keeps at most the limit and
  // at least seven eighths of it, the newest.
  RetentionPolicy p;
  p.max_alerts = 1000;
  RetentionResult r;
  REQUIRE(store->enforce_retention(p, kNow, &r).ok);
  const int64_t kept = raw.num("SELECT COUNT(*) FROM alerts");
  CHECK(kept <= 1000);
  CHECK(kept >= 1000 - 1000 / 8);
  CHECK(static_cast<int64_t>(r.alerts) == 3000 - kept);
  CHECK(raw.num("SELECT MIN(id) FROM alerts") == 3001 - kept);
  CHECK(raw.num("SELECT COUNT(*) FROM alert_parts") < parts);
  // The dropped tables are gone, and so is what belonged to their alerts.
  CHECK(
      raw.num("SELECT COUNT(*) FROM sqlite_master WHERE type='table' AND name GLOB 'alerts_p[0-9]*' AND name "
              "NOT IN (SELECT name FROM alert_parts)") == 0);
  CHECK(raw.num("SELECT COUNT(*) FROM alert_triage") == 1);
  CHECK(raw.num("SELECT COUNT(*) FROM alert_triage_history WHERE alert_id < 2000") == 0);
  CHECK(raw.num("SELECT COUNT(*) FROM alert_comments WHERE alert_id < 2000") == 0);
  CHECK(raw.num("SELECT COUNT(*) FROM alerts_fts_blocks WHERE first_id < (SELECT MIN(first_id) FROM "
                "alert_parts)") <= 1);
  CHECK(raw.rollup_mismatch() == 0);
  CHECK(raw.stale_rollup_rows() == 0);
  CHECK(store->count_events("alert") == kept);

  // By age: the partitions wholly past the horizon go, then single alerts,
  // exactly: every alert older than the horizon, none newer.
  const int64_t horizon_s = kNow - 100000 + 2500;  // alerts 2500.. stay
  RetentionPolicy age;
  age.max_age_s = kNow - horizon_s;
  REQUIRE(store->enforce_retention(age, kNow, &r).ok);
  CHECK(raw.num("SELECT COUNT(*) FROM alerts") == 500);
  CHECK(raw.num("SELECT MIN(ts) FROM alerts") == horizon_s * 1'000'000);
  CHECK(raw.rollup_mismatch() == 0);
  CHECK(raw.stale_rollup_rows() == 0);

  // Ingest goes on after the drops: new ids after the newest, once each.
  fill_parts(*store, 3000, 500, &seq);
  CHECK(raw.num("SELECT COUNT(*) FROM alerts") == 1000);
  CHECK(raw.num("SELECT MAX(id) FROM alerts") == 3500);
  CHECK(raw.rollup_mismatch() == 0);
  store.reset();
  std::filesystem::remove_all(dir);
}

TEST_CASE("partitions: the newest has every index but the flow's; a closed one every index", "[sqlite]") {
  const std::string dir = temp_dir("parts-index"), path = dir + "/c.db";
  auto store = open_parts(path, 100);
  uint64_t seq = 1;
  fill_parts(*store, 0, 1000, &seq);
  Raw raw(path);
  REQUIRE(raw.num("SELECT COUNT(*) FROM alert_parts") >= 4);
  // Explicit indexes (the dedup key's is SQLite's own, with no sql) per
  // partition: 6 on the newest, 7 on each closed one.
  auto shape = [&](const char* which) {
    const std::string newest = "(SELECT MAX(first_id) FROM alert_parts)";
    return raw.num("SELECT COUNT(*) FROM alert_parts p WHERE p.first_id " + std::string(which) + newest +
                   " AND (SELECT COUNT(*) FROM sqlite_master i WHERE i.type='index' AND i.tbl_name=p.name "
                   "AND i.sql IS NOT NULL) <> " +
                   (std::string(which) == "=" ? "6" : "7"));
  };
  auto autoindexes = [&] {
    return raw.num(
        "SELECT COUNT(*) FROM alert_parts p WHERE (SELECT COUNT(*) FROM sqlite_master i WHERE "
        "i.type='index' AND i.tbl_name=p.name AND i.sql IS NULL) <> 1");
  };
  CHECK(shape("=") == 0);
  CHECK(shape("<") == 0);
  CHECK(autoindexes() == 0);
  const std::string newest =
      raw.str("SELECT name FROM alert_parts ORDER BY first_id DESC LIMIT 1");  // closes next
  // A closed partition left without its indexes (say, by a build that made
  // them later) gets them at open; the newest stays as it is.
  const std::string second = raw.str("SELECT name FROM alert_parts ORDER BY first_id LIMIT 1 OFFSET 1");
  store.reset();
  REQUIRE(raw.num("SELECT COUNT(*) FROM sqlite_master WHERE type='index' AND tbl_name='" + second +
                  "' AND name <> '" + second + "_ts' AND sql IS NOT NULL") == 6);
  for (const char* ix : {"_severity", "_sid", "_agent", "_flow", "_src16", "_dest16"})
    REQUIRE(sqlite3_exec(raw.db, ("DROP INDEX \"" + second + ix + "\"").c_str(), nullptr, nullptr, nullptr) ==
            SQLITE_OK);
  CHECK(shape("<") == 1);
  store = open_parts(path, 100);
  CHECK(shape("<") == 0);
  CHECK(shape("=") == 0);
  // The newest closes when the next starts, with its alerts in the flow
  // index: a lookup by it finds them.
  fill_parts(*store, 1000, 600, &seq);
  CHECK(shape("=") == 0);
  CHECK(shape("<") == 0);
  const std::string by_flow = "SELECT COUNT(*) FROM \"" + newest + "\" INDEXED BY \"" + newest +
                              "_flow\" WHERE agent_id='ag-1' AND flow_id=1003";
  CHECK(raw.num(by_flow) > 0);
  CHECK(raw.num(by_flow) == raw.num("SELECT COUNT(*) FROM \"" + newest +
                                    "\" NOT INDEXED WHERE agent_id='ag-1' AND flow_id=1003"));
  CHECK(raw.str("PRAGMA integrity_check") == "ok");
  store.reset();
  std::filesystem::remove_all(dir);
}

TEST_CASE("partitions: a resent alert is a duplicate in whichever partition holds it", "[sqlite]") {
  const std::string dir = temp_dir("parts-dup"), path = dir + "/c.db";
  auto store = open_parts(path, 10);
  uint64_t seq = 1;
  fill_parts(*store, 0, 1000, &seq);
  Raw raw(path);
  REQUIRE(raw.num("SELECT COUNT(*) FROM alert_parts") >= 5);
  auto resend = [&](std::vector<IngestEvent> b) {
    IngestResult r;
    REQUIRE(store->ingest_batch("ag-1", seq++, b, kNow, &r).ok);
    return r;
  };
  // In a new batch (the batch check does not see it): the oldest partition's
  // alert, one in the middle, the newest.
  IngestResult r =
      resend({event(3, kNow - 100000 + 3), event(500, kNow - 100000 + 500), event(999, kNow - 100000 + 999)});
  CHECK(r.stored == 0);
  CHECK(r.duplicate_alerts == 3);
  // A new alert with an event time inside an old partition's is stored.
  IngestEvent late = event(5000, kNow - 100000 + 4);
  r = resend({late});
  CHECK(r.stored == 1);
  CHECK(raw.num("SELECT COUNT(*) FROM alerts") == 1001);
  // The same after a reopen (the event times are read from the tables).
  store.reset();
  store = open_parts(path, 10);
  r = resend({event(7, kNow - 100000 + 7), late});
  CHECK(r.stored == 0);
  CHECK(r.duplicate_alerts == 2);
  CHECK(raw.num("SELECT COUNT(*) FROM alerts") == 1001);
  CHECK(raw.num("SELECT COUNT(DISTINCT event_uid) FROM alerts") == 1001);
  store.reset();
  std::filesystem::remove_all(dir);
}

TEST_CASE("partitions: recovery keeps the alerts of every partition", "[sqlite]") {
  const std::string dir = temp_dir("parts-recover"), path = dir + "/c.db";
  {
    auto store = open_parts(path, 50);
    uint64_t seq = 1;
    fill_parts(*store, 0, 600, &seq);
  }
  {
    Raw raw(path);
    REQUIRE(raw.num("SELECT COUNT(*) FROM alert_parts") >= 4);
  }
  RecoverReport rep;
  std::string err;
  REQUIRE(recover_sqlite_store(path, &rep, &err));
  INFO(err);
  bool reported = false;
  for (const auto& t : rep.tables)
    if (t.name == "alerts") {
      reported = true;
      CHECK(t.copied == 600);
    }
  CHECK(reported);
  Raw raw(path);
  CHECK(raw.num("SELECT COUNT(*) FROM alerts") == 600);
  CHECK(raw.num("SELECT MAX(id) FROM alerts") == 600);
  CHECK(raw.rollup_mismatch() == 0);
  // The recovered store takes new alerts after the recovered ones.
  auto store = open_parts(path, 50);
  uint64_t seq = 100;
  fill_parts(*store, 600, 100, &seq);
  CHECK(raw.num("SELECT MAX(id) FROM alerts") == 700);
  CHECK(raw.num("SELECT COUNT(*) FROM alerts") == 700);
  store.reset();
  std::filesystem::remove_all(dir);
}

TEST_CASE("partitions: two stores on one file (two processes) lose no alert and keep the ranges",
          "[sqlite]") {
  const std::string dir = temp_dir("parts-two"), path = dir + "/c.db";
  auto a = open_parts(path, 10);
  auto b = open_parts(path, 10);
  uint64_t seq_a = 1, seq_b = 1;
  // Each writes in turn, partitions starting on either side; b's view of
  // the partitions is stale at every turn.
  for (int round = 0; round < 10; ++round) {
    std::vector<IngestEvent> ba, bb;
    for (int k = 0; k < 25; ++k) {
      const int64_t n = round * 100 + k;
      ba.push_back(event(n, kNow - 100000 + n));
      bb.push_back(event(n + 50, kNow - 100000 + n + 50));
    }
    ingest(*a, "ag-a", seq_a++, ba);
    IngestResult r;
    REQUIRE(b->ingest_batch("ag-b", seq_b, bb, kNow, &r).ok);
    CHECK(r.stored == bb.size());
    ++seq_b;
  }
  Raw raw(path);
  CHECK(raw.num("SELECT COUNT(*) FROM alerts") == 500);
  CHECK(raw.num("SELECT COUNT(DISTINCT id) FROM alerts") == 500);
  CHECK(raw.num("SELECT COUNT(*) FROM alert_parts") >= 5);
  // Every alert lies in the partition whose range holds its id.
  std::string misplaced = "SELECT 0";
  {
    sqlite3_stmt* st = nullptr;
    REQUIRE(sqlite3_prepare_v2(
                raw.db,
                "SELECT first_id, name, (SELECT MIN(first_id) FROM alert_parts n WHERE n.first_id > "
                "p.first_id) FROM alert_parts p",
                -1, &st, nullptr) == SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW) {
      const std::string name = reinterpret_cast<const char*>(sqlite3_column_text(st, 1));
      misplaced += " + (SELECT COUNT(*) FROM \"" + name + "\" WHERE id < " +
                   std::to_string(sqlite3_column_int64(st, 0)) +
                   (sqlite3_column_type(st, 2) == SQLITE_NULL
                        ? std::string()
                        : " OR id >= " + std::to_string(sqlite3_column_int64(st, 2))) +
                   ")";
    }
    sqlite3_finalize(st);
  }
  CHECK(raw.num(misplaced) == 0);
  CHECK(raw.rollup_mismatch() == 0);
  a.reset();
  b.reset();
  std::filesystem::remove_all(dir);
}

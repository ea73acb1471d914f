// The aggregations from the rollups equal a plain count of the raw rows, for
// random alerts (bucket edges included) and random queries; the rollups of a
// database from before them are rebuilt on open. The PostgreSQL store
// (collector[pg] registration) counts from the rows and must give the same.
#include "collector/store/alert_rollups.h"

#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <map>
#include <random>
#include <thread>
#include <unordered_map>

#include "../store_test_util.h"
#include "collector/api/alert_filter.h"
#include "collector/store/sqlite_db.h"
#include "collector/store/store.h"

using namespace vigil::collector;
using nlohmann::json;

namespace {

std::string temp_dir(const char* name) {
  return test::fresh_temp_dir("vigil-rollup-", name);
}

std::string eve_time(int64_t us) {
  return test::eve_time_us(us);
}

struct Row {
  int64_t ts;
  int severity;  // 0: none
  std::string agent, src, dest;
  int sid;  // 0: none
};

IngestEvent make(const Row& r, int n) {
  json eve = {{"timestamp", eve_time(r.ts)}, {"event_type", "alert"}, {"src_ip", r.src}, {"dest_ip", r.dest}};
  json a = {{"signature", "sig " + std::to_string(r.sid)}};
  if (r.sid) a["signature_id"] = r.sid;
  if (r.severity) a["severity"] = r.severity;
  eve["alert"] = a;
  return {"uid-" + std::to_string(n), eve};
}

// 2026-01-01T00:00:00Z
constexpr int64_t kBase = 1767225600LL * 1'000'000;

int64_t floor_div(int64_t a, int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

// The expected answer, by a scan of the rows.
AlertStats expect(const std::vector<Row>& rows, const StatsQuery& q) {
  AlertStats s;
  std::map<int64_t, std::map<int, int64_t>> series;
  std::map<int, int64_t> sev;
  int64_t tf = floor_div(q.from_us, kUsPerHour) * kUsPerHour;
  int64_t tt = -floor_div(-q.to_us, kUsPerHour) * kUsPerHour;
  std::unordered_map<std::string, int64_t> tops[4];
  for (const auto& r : rows) {
    if (q.agent_id && r.agent != *q.agent_id) continue;
    if (q.severity && r.severity != *q.severity) continue;
    if (r.ts >= q.from_us && r.ts < q.to_us) {
      series[floor_div(r.ts, q.interval_s * 1'000'000) * q.interval_s][r.severity]++;
      sev[r.severity]++;
      s.total++;
    }
    if (r.ts >= tf && r.ts < tt) {
      if (r.sid) tops[0][std::to_string(r.sid)]++;
      tops[1][r.src]++;
      tops[2][r.dest]++;
      tops[3][r.agent]++;
    }
  }
  for (auto& [b, m] : series) {
    StatsBucket sb;
    sb.start_s = b;
    for (auto& [k, n] : m) sb.by_severity.emplace_back(k, n), sb.total += n;
    s.series.push_back(sb);
  }
  for (auto& [k, n] : sev) s.by_severity.emplace_back(k, n);
  std::vector<TopEntry>* lists[] = {&s.top_signatures, &s.top_sources, &s.top_destinations, &s.top_agents};
  for (int d = 0; d < 4; ++d) {
    for (auto& [k, n] : tops[d]) lists[d]->push_back({k, {}, n});
    std::sort(lists[d]->begin(), lists[d]->end(), [](const TopEntry& a, const TopEntry& b) {
      return a.count != b.count ? a.count > b.count : a.key < b.key;
    });
    if (lists[d]->size() > static_cast<size_t>(q.top)) lists[d]->resize(q.top);
  }
  s.top_from_us = tf;
  s.top_to_us = tt;
  return s;
}

void check_same(const AlertStats& got, const AlertStats& want) {
  REQUIRE(got.total == want.total);
  REQUIRE(got.by_severity == want.by_severity);
  REQUIRE(got.series.size() == want.series.size());
  for (size_t i = 0; i < want.series.size(); ++i) {
    CHECK(got.series[i].start_s == want.series[i].start_s);
    CHECK(got.series[i].by_severity == want.series[i].by_severity);
  }
  CHECK(got.top_from_us == want.top_from_us);
  CHECK(got.top_to_us == want.top_to_us);
  const std::vector<TopEntry>* g[] = {&got.top_signatures, &got.top_sources, &got.top_destinations,
                                      &got.top_agents};
  const std::vector<TopEntry>* w[] = {&want.top_signatures, &want.top_sources, &want.top_destinations,
                                      &want.top_agents};
  for (int d = 0; d < 4; ++d) {
    REQUIRE(g[d]->size() == w[d]->size());
    for (size_t i = 0; i < w[d]->size(); ++i) {
      CHECK((*g[d])[i].key == (*w[d])[i].key);
      CHECK((*g[d])[i].count == (*w[d])[i].count);
    }
  }
}

std::vector<Row> random_rows(std::mt19937_64& rng, int n, int64_t hours = 5) {
  std::vector<Row> rows;
  const char* agents[] = {"ag-a", "ag-b", "ag-c"};
  for (int i = 0; i < n; ++i) {
    Row r;
    // Within `hours`; a quarter of them exactly on a minute or hour edge
    // (or a microsecond before one).
    int64_t t = static_cast<int64_t>(rng() % static_cast<uint64_t>(hours * kUsPerHour));
    switch (rng() % 8) {
      case 0:
        t = t / kUsPerMinute * kUsPerMinute;
        break;
      case 1:
        t = t / kUsPerHour * kUsPerHour;
        break;
      case 2:
        t = t / kUsPerMinute * kUsPerMinute - 1;
        break;
      default:
        break;
    }
    r.ts = kBase + t;
    r.severity = static_cast<int>(rng() % 4);
    r.agent = agents[rng() % 3];
    r.src = "10.0.0." + std::to_string(rng() % 20);
    r.dest = "192.0.2." + std::to_string(rng() % 7);
    r.sid = static_cast<int>(rng() % 12);
    rows.push_back(r);
  }
  return rows;
}

void ingest(Store& s, const std::vector<Row>& rows) {
  // Batches per agent, so agent_id in the store matches the row's.
  std::map<std::string, std::vector<IngestEvent>> per;
  for (size_t i = 0; i < rows.size(); ++i) per[rows[i].agent].push_back(make(rows[i], static_cast<int>(i)));
  for (auto& [agent, evs] : per) REQUIRE(test::ingest_in_batches(s, agent, evs));
}

// A SQLite store in a new directory NAME holding ROWS, closed: its path.
std::string sqlite_file_with(const std::vector<Row>& rows, const char* name) {
  std::string path = temp_dir(name) + "/c.db", err;
  auto store = open_sqlite_store(path, &err);
  INFO(err);
  REQUIRE(store);
  ingest(*store, rows);
  return path;
}

StatsQuery random_query(std::mt19937_64& rng, int64_t hours = 6) {
  StatsQuery q;
  int64_t span = hours * kUsPerHour;
  auto edge = [&](int64_t t) {
    switch (rng() % 4) {
      case 0:
        return t / kUsPerHour * kUsPerHour;
      case 1:
        return t / kUsPerMinute * kUsPerMinute;
      default:
        return t / 1'000'000 * 1'000'000;  // the API takes whole seconds
    }
  };
  int64_t a = kBase - kUsPerHour / 2 + edge(static_cast<int64_t>(rng() % span));
  int64_t b = kBase - kUsPerHour / 2 + edge(static_cast<int64_t>(rng() % span));
  q.from_us = std::min(a, b);
  q.to_us = std::max(a, b) + 1'000'000;
  const int64_t intervals[] = {30, 60, 300, 3600, 7200, 90};
  q.interval_s = intervals[rng() % 6];
  q.top = 1 + static_cast<int>(rng() % 8);
  if (rng() % 4 == 0) q.severity = static_cast<int>(1 + rng() % 3);
  if (rng() % 4 == 0) q.agent_id = "ag-b";
  return q;
}

}  // namespace

TEST_CASE("aggregations from the rollups equal a scan of the raw rows") {
  std::mt19937_64 rng(GENERATE(1, 2, 3));
  std::string err;
  auto store = test::open_test_store(temp_dir("eq"), &err);
  INFO(err);
  REQUIRE(store);
  auto rows = random_rows(rng, 3000);
  ingest(*store, rows);
  for (int i = 0; i < 60; ++i) {
    StatsQuery q = random_query(rng);
    INFO("query " << i << " from " << q.from_us << " to " << q.to_us << " interval " << q.interval_s);
    AlertStats got;
    REQUIRE(store->alert_stats(q, &got).ok);
    check_same(got, expect(rows, q));
    CHECK(got.raw == (q.interval_s % 60 != 0));
  }
  // The signature's name comes with its sid.
  StatsQuery all;
  all.from_us = kBase;
  all.to_us = kBase + 5 * kUsPerHour;
  AlertStats s;
  REQUIRE(store->alert_stats(all, &s).ok);
  REQUIRE_FALSE(s.top_signatures.empty());
  CHECK(s.top_signatures[0].signature == "sig " + s.top_signatures[0].key);
}

TEST_CASE("top lists over several days (day rows) equal a scan of the raw rows") {
  std::mt19937_64 rng(GENERATE(11, 12));
  std::string err;
  auto store = test::open_test_store(temp_dir("days"), &err);
  INFO(err);
  REQUIRE(store);
  auto rows = random_rows(rng, 4000, 80);
  ingest(*store, rows);
  for (int i = 0; i < 40; ++i) {
    StatsQuery q = random_query(rng, 90);
    q.interval_s = 3600;
    if (i % 3 == 0) q.agent_id = "ag-c";
    INFO("query " << i << " from " << q.from_us << " to " << q.to_us);
    AlertStats got;
    REQUIRE(store->alert_stats(q, &got).ok);
    check_same(got, expect(rows, q));
  }
}

TEST_CASE("the rollups of a database from before them, or from before the per-agent one, are rebuilt on open",
          "[sqlite]") {
  // What an older database lacks: every rollup (emptied), or the per-agent
  // one (no table).
  const char* older = GENERATE("DELETE FROM alert_rollup_min; DELETE FROM alert_rollup_hour;",
                               "DROP TABLE alert_rollup_agent");
  INFO(older);
  std::mt19937_64 rng(7);
  auto rows = random_rows(rng, 1500, 60);
  const std::string path = sqlite_file_with(rows, "rebuild");
  std::string err;
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db, older, nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
  auto store = open_sqlite_store(path, &err);
  REQUIRE(store);
  for (int i = 0; i < 20; ++i) {
    StatsQuery q = random_query(rng, 70);
    q.interval_s = 3600;
    if (i % 2) q.agent_id = i % 4 == 1 ? "ag-a" : "ag-c";
    AlertStats got;
    REQUIRE(store->alert_stats(q, &got).ok);
    check_same(got, expect(rows, q));
    CHECK_FALSE(got.raw);
  }
}

TEST_CASE(
    "a damaged page in the rollups or the alerts or the free-text index does not stop the store opening",
    "[sqlite]") {
  // Which damage: the per-agent rollup's root page (the open's check cannot
  // read it); the alerts table's root page with the rollups emptied (the
  // rebuild cannot read the alerts); the free-text index's configuration, in
  // its own file (its statements cannot be prepared: the file is set aside
  // and the index built again). The open used to fail on each (COMMIT after
  // the damaged read, the rebuild's error, the insert's prepare) and the
  // collector refused to start.
  const std::string table = GENERATE("alert_rollup_agent", "alerts_p0", "alerts_fts_config");
  INFO(table << " root page damaged");
  std::mt19937_64 rng(9);
  auto rows = random_rows(rng, 1500, 60);
  const std::string path = sqlite_file_with(rows, "damaged");
  const bool in_text = table == "alerts_fts_config";
  const std::string file = in_text ? alert_text_index_path(path) : path;
  std::string err;
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(file.c_str(), &db) == SQLITE_OK);
  if (table == "alerts_p0")
    REQUIRE(sqlite3_exec(db, "DELETE FROM alert_rollup_min", nullptr, nullptr, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  REQUIRE(sqlite3_prepare_v2(db,
                             "SELECT rootpage, (SELECT page_size FROM pragma_page_size) FROM sqlite_schema "
                             "WHERE name=?",
                             -1, &st, nullptr) == SQLITE_OK);
  sqlite3_bind_text(st, 1, table.c_str(), -1, SQLITE_TRANSIENT);
  REQUIRE(sqlite3_step(st) == SQLITE_ROW);
  const int64_t root = sqlite3_column_int64(st, 0), page = sqlite3_column_int64(st, 1);
  sqlite3_finalize(st);
  sqlite3_close(db);
  REQUIRE(test::damage_sqlite_page(file, root, page, 64));
  const uint64_t corrupt_before = store_corrupt_errors();
  auto store = open_sqlite_store(path, &err);
  INFO(err);
  REQUIRE(store);
  CHECK(store_corrupt_errors() > corrupt_before);
  // What meets the damage fails; the rest is served.
  StatsQuery q;
  q.from_us = kBase;
  q.to_us = kBase + 60 * kUsPerHour;
  q.interval_s = 3600;
  q.agent_id = "ag-a";
  AlertStats got;
  if (table == "alert_rollup_agent") CHECK_FALSE(store->alert_stats(q, &got).ok);
  AlertPage page_out;
  AlertQuery aq;
  aq.limit = 5;
  CHECK(store->query_alerts(aq, &page_out).ok == (table != "alerts_p0"));
  if (in_text) {
    // The index was built again: an alert batch is stored, and found.
    IngestResult r;
    StoreStatus in = store->ingest_batch("ag-a", 1000, {make(rows[0], 99999)}, 1, &r);
    CHECK(in.ok);
    CHECK(r.stored == 1);
    AlertListQuery lq;
    REQUIRE_FALSE(parse_alert_query({{"q", "sig"}, {"limit", "10"}}, &lq));
    AlertListPage lp;
    REQUIRE(store->list_alerts(lq, &lp).ok);
    CHECK(lp.total == static_cast<int64_t>(rows.size()) + 1);
  }
}

namespace {

int64_t sql_num(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, sql, -1, &st, nullptr) == SQLITE_OK);
  const int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
  sqlite3_finalize(st);
  sqlite3_close(db);
  return v;
}

// Every stats query of `rng` over `store` equals a scan of `rows`.
void check_stats(Store& store, const std::vector<Row>& rows, std::mt19937_64& rng) {
  for (int i = 0; i < 15; ++i) {
    StatsQuery q = random_query(rng, 10);
    q.interval_s = i % 2 ? 3600 : 60;
    if (i % 3 == 0) q.agent_id = i % 2 ? "ag-a" : "ag-b-2";
    INFO("query " << i << " from " << q.from_us << " to " << q.to_us);
    AlertStats got;
    REQUIRE(store.alert_stats(q, &got).ok);
    check_same(got, expect(rows, q));
  }
}

SqliteStoreOptions folding_late() {
  SqliteStoreOptions opts;
  opts.rollup_fold_interval = std::chrono::hours(1);
  return opts;
}

}  // namespace

// Ingest keeps its commits' rollup counts in memory and lists their ids in
// alert_rollup_pending; a store that stops without adding them leaves the
// list, and the next store on the file counts those alerts from the rows.
TEST_CASE("rollup counts a store left pending (a stop without folding) are counted by the next store",
          "[sqlite]") {
  std::mt19937_64 rng(21);
  auto rows = random_rows(rng, 2000, 8);
  const std::string dir = temp_dir("pending"), path = dir + "/c.db";
  std::string err;
  auto store = open_sqlite_store(path, &err, folding_late());
  REQUIRE(store);
  ingest(*store, rows);
  // Nothing folded yet: the counts are in memory, the ids in the list.
  CHECK(sql_num(path, "SELECT COALESCE(SUM(n),0) FROM alert_rollup_min") == 0);
  CHECK(sql_num(path, "SELECT COALESCE(SUM(last_id-first_id+1),0) FROM alert_rollup_pending") == 2000);
  // The file as a crash would leave it: the database and its WAL, copied
  // while the store is open.
  const std::string crashed = temp_dir("pending-crash");
  for (const char* f : {"/c.db", "/c.db-wal"})
    if (std::filesystem::exists(dir + f)) std::filesystem::copy_file(dir + f, crashed + f);
  {
    auto next = open_sqlite_store(crashed + "/c.db", &err, folding_late());
    INFO(err);
    REQUIRE(next);
    CHECK(sql_num(crashed + "/c.db", "SELECT COUNT(*) FROM alert_rollup_pending") == 0);
    CHECK(sql_num(crashed + "/c.db", "SELECT SUM(n) FROM alert_rollup_min") == 2000);
    check_stats(*next, rows, rng);
  }
  // Stats read the pending alerts from the rows; a clean stop folds them.
  check_stats(*store, rows, rng);
  CHECK(sql_num(path, "SELECT COALESCE(SUM(n),0) FROM alert_rollup_min") == 0);
  store.reset();
  CHECK(sql_num(path, "SELECT COUNT(*) FROM alert_rollup_pending") == 0);
  CHECK(sql_num(path, "SELECT SUM(n) FROM alert_rollup_min") == 2000);
}

TEST_CASE("rollup counts pending in one store are counted once when a second store on the file takes them",
          "[sqlite]") {
  std::mt19937_64 rng(22);
  auto rows = random_rows(rng, 1500, 8);
  auto more = random_rows(rng, 1000, 8);
  for (auto& r : more) r.agent += "-2";  // other agents: their batch numbers start again
  const std::string path = temp_dir("pending-two") + "/c.db";
  std::string err;
  auto a = open_sqlite_store(path, &err, folding_late());
  REQUIRE(a);
  ingest(*a, rows);
  // b's open counts a's pending alerts from the rows; a's counts in memory
  // for them must then never be added.
  auto b = open_sqlite_store(path, &err, folding_late());
  REQUIRE(b);
  CHECK(sql_num(path, "SELECT SUM(n) FROM alert_rollup_min") == 1500);
  ingest(*a, more);
  auto all = rows;
  all.insert(all.end(), more.begin(), more.end());
  check_stats(*a, all, rng);
  check_stats(*b, all, rng);
  // a's stop folds: its list was taken, so it counts its later ranges from
  // the rows rather than add what it holds in memory.
  a.reset();
  CHECK(sql_num(path, "SELECT SUM(n) FROM alert_rollup_min") == 2500);
  CHECK(sql_num(path, "SELECT COUNT(*) FROM alert_rollup_pending") == 0);
  check_stats(*b, all, rng);
  // And b: it ingests, is closed, and nothing is left pending.
  auto third = random_rows(rng, 300, 8);
  for (auto& r : third) r.agent += "-3";
  ingest(*b, third);
  b.reset();
  CHECK(sql_num(path, "SELECT COUNT(*) FROM alert_rollup_pending") == 0);
  CHECK(sql_num(path, "SELECT SUM(n) FROM alert_rollup_min") == 2800);
}

// Concurrent ingest: each committed transaction's counts are added after
// the write lock (by the caller that led it), and a fold takes them with the
// folding transaction's own. With a fold every few milliseconds both meet
// often; every alert must be counted once.
TEST_CASE("rollup counts of concurrent ingest, folded while other commits are counted, add up", "[sqlite]") {
  std::mt19937_64 rng(23);
  const std::string path = temp_dir("concurrent") + "/c.db";
  SqliteStoreOptions opts;
  opts.rollup_fold_interval = std::chrono::milliseconds(3);
  std::string err;
  auto store = open_sqlite_store(path, &err, opts);
  REQUIRE(store);
  // Six agents, each its own thread and batches of 100.
  std::vector<std::vector<Row>> per(6);
  std::vector<Row> all;
  for (size_t a = 0; a < per.size(); ++a) {
    per[a] = random_rows(rng, 1200, 8);
    for (auto& r : per[a]) r.agent = "ag-t" + std::to_string(a);
    all.insert(all.end(), per[a].begin(), per[a].end());
  }
  std::vector<std::thread> ts;
  std::atomic<int> failed{0};
  for (size_t a = 0; a < per.size(); ++a)
    ts.emplace_back([&, a] {
      std::vector<IngestEvent> evs;
      for (size_t i = 0; i < per[a].size(); ++i) evs.push_back(make(per[a][i], static_cast<int>(i)));
      if (!test::ingest_in_batches(*store, per[a][0].agent, evs)) ++failed;
    });
  for (auto& t : ts) t.join();
  REQUIRE(failed == 0);
  check_stats(*store, all, rng);
  store.reset();
  CHECK(sql_num(path, "SELECT COUNT(*) FROM alert_rollup_pending") == 0);
  CHECK(sql_num(path, "SELECT SUM(n) FROM alert_rollup_min") == static_cast<int64_t>(all.size()));
  auto again = open_sqlite_store(path, &err, opts);
  REQUIRE(again);
  check_stats(*again, all, rng);
}

TEST_CASE("stats intervals parse as seconds or with a unit") {
  CHECK(parse_stats_interval("30") == 30);
  CHECK(parse_stats_interval("45s") == 45);
  CHECK(parse_stats_interval("5m") == 300);
  CHECK(parse_stats_interval("1h") == 3600);
  CHECK(parse_stats_interval("1d") == 86400);
  CHECK_FALSE(parse_stats_interval(""));
  CHECK_FALSE(parse_stats_interval("0"));
  CHECK_FALSE(parse_stats_interval("m"));
  CHECK_FALSE(parse_stats_interval("-5m"));
  CHECK_FALSE(parse_stats_interval("1w"));
  CHECK_FALSE(parse_stats_interval("367d"));
  CHECK_FALSE(parse_stats_interval("99999999999h"));
}

// The alert detail by flow: the other alerts and the events of the same
// agent and flow_id, newest first, capped at 200 with a flag; another flow
// or another agent with the same flow_id never mixes in, nor do events
// without a flow. A database from before events.flow_id (the column and its
// index dropped by hand) is filled in on open, once, and the detail works.

#include <postgresql/libpq-fe.h>
#include <sqlite3.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <set>

#include "../store_test_util.h"
#include "collector/store/store.h"

using namespace vigil::collector;
using nlohmann::json;

namespace {

constexpr int64_t kBaseS = 1764547200;  // 2025-12-01T00:00:00Z

std::string stamp(int64_t s) {
  char buf[64];
  time_t t = static_cast<time_t>(s);
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S.000000+0000", &tm);
  return buf;
}

// An EVE object of `type` at kBaseS + `at` seconds; flow_id 0: none.
json eve(const std::string& type, int64_t at, int64_t flow_id, int sid = 0) {
  json j = {{"timestamp", stamp(kBaseS + at)},
            {"event_type", type},
            {"src_ip", "10.0.0.1"},
            {"dest_ip", "10.0.0.2"}};
  if (flow_id) j["flow_id"] = flow_id;
  if (type == "alert") j["alert"] = {{"signature_id", sid}, {"gid", 1}, {"severity", 2}};
  if (type == "http") j["http"] = {{"hostname", "h" + std::to_string(at)}};
  return j;
}

struct Db {
  std::string dir, path;
  std::unique_ptr<test::TestDb> db;  // SQLite, or PostgreSQL in the collector[pg] registration
  std::unique_ptr<Store> store;
  explicit Db(const char* name) {
    dir = (std::filesystem::temp_directory_path() /
           (std::string("vigil-flow-") + name + std::to_string(getpid())))
              .string();
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    db = std::make_unique<test::TestDb>(dir);
    path = db->path;
    open();
  }
  ~Db() {
    store.reset();
    std::filesystem::remove_all(dir);
  }
  void open() {
    std::string err;
    store = db->open(&err);
    INFO(err);
    REQUIRE(store);
  }
  void ingest(const std::string& agent, uint64_t seq, const std::vector<json>& events) {
    std::vector<IngestEvent> ev;
    for (size_t i = 0; i < events.size(); ++i)
      ev.emplace_back(agent + "-" + std::to_string(seq) + "-" + std::to_string(i), events[i]);
    IngestResult r;
    REQUIRE(store->ingest_batch(agent, seq, ev, 1, &r).ok);
  }
  // The id of the alert with this sid (one each in these tests).
  int64_t alert_id(int sid) {
    AlertListQuery q;
    q.filter.sids = {sid};
    AlertListPage p;
    REQUIRE(store->list_alerts(q, &p).ok);
    REQUIRE(p.alerts.size() == 1);
    return p.alerts[0]["id"].get<int64_t>();
  }
  void exec(const std::string& sql) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    char* msg = nullptr;
    int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &msg);
    std::string m = msg ? msg : "";
    sqlite3_free(msg);
    sqlite3_close(db);
    INFO(sql << ": " << m);
    REQUIRE(rc == SQLITE_OK);
  }
  // One integer from the database (-1: NULL or no row).
  int64_t scalar(const std::string& sql) {
    if (db->url) {
      PGconn* c = PQconnectdb(db->url->c_str());
      PGresult* r = PQexec(c, sql.c_str());
      INFO(sql << ": " << PQresultErrorMessage(r));
      CHECK(PQresultStatus(r) == PGRES_TUPLES_OK);
      int64_t v = PQntuples(r) > 0 && !PQgetisnull(r, 0, 0) ? std::stoll(PQgetvalue(r, 0, 0)) : -1;
      PQclear(r);
      PQfinish(c);
      return v;
    }
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK);
    int64_t v = -1;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
      v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
  }
};

std::vector<int> sids_of(const std::vector<json>& v) {
  std::vector<int> out;
  for (const auto& a : v) out.push_back(a["alert"]["signature_id"].get<int>());
  return out;
}

std::vector<std::string> hosts_of(const std::vector<json>& v) {
  std::vector<std::string> out;
  for (const auto& e : v)
    out.push_back(e["event_type"] == "http" ? e["http"]["hostname"].get<std::string>()
                                            : e["event_type"].get<std::string>());
  return out;
}

// Agent ag-1 flow 77: alerts 1..3 and two http events and a flow event;
// ag-1 flow 78 and ag-2 flow 77 (the same id on another agent) have their
// own; stats events have no flow.
void fill(Db& d) {
  d.ingest("ag-1", 1,
           {eve("alert", 10, 77, 1), eve("alert", 20, 77, 2), eve("alert", 30, 77, 3),
            eve("alert", 15, 78, 4), eve("http", 5, 77), eve("http", 25, 77), eve("flow", 40, 77),
            eve("http", 12, 78), eve("stats", 11, 0), eve("stats", 21, 0)});
  d.ingest("ag-2", 1, {eve("alert", 20, 77, 5), eve("http", 21, 77), eve("flow", 22, 77)});
}

void check_flow_77(Db& d) {
  std::optional<AlertDetail> det;
  REQUIRE(d.store->alert_detail(d.alert_id(2), &det).ok);
  REQUIRE(det);
  // Newest first; itself not repeated; not flow 78 (sid 4) nor ag-2's flow 77 (sid 5).
  CHECK(sids_of(det->flow_alerts) == std::vector<int>{3, 1});
  CHECK(hosts_of(det->flow_events) == std::vector<std::string>{"flow", "h25", "h5"});
  CHECK_FALSE(det->truncated);
  for (const auto& e : det->flow_events) CHECK(e.contains("id"));

  // ag-2's alert with the same flow_id sees only ag-2's flow.
  REQUIRE(d.store->alert_detail(d.alert_id(5), &det).ok);
  REQUIRE(det);
  CHECK(det->flow_alerts.empty());
  REQUIRE(det->flow_events.size() == 2);
  CHECK(det->flow_events[0]["event_type"] == "flow");
  CHECK(det->flow_events[1]["event_type"] == "http");

  REQUIRE(d.store->alert_detail(d.alert_id(4), &det).ok);
  REQUIRE(det);
  CHECK(det->flow_alerts.empty());
  CHECK(hosts_of(det->flow_events) == std::vector<std::string>{"h12"});
}

}  // namespace

TEST_CASE("alert detail: the same agent's flow only, newest first", "[flow]") {
  Db d("same");
  fill(d);
  check_flow_77(d);
  // Stats events never carry a flow id; the flow events do, from ingest.
  CHECK(d.scalar("SELECT COUNT(*) FROM events WHERE event_type='stats' AND flow_id IS NOT NULL") == 0);
  CHECK(d.scalar("SELECT COUNT(*) FROM events WHERE flow_id=77") == 5);

  // An alert without flow_id has no flow.
  d.ingest("ag-1", 2, {eve("alert", 50, 0, 9)});
  std::optional<AlertDetail> det;
  REQUIRE(d.store->alert_detail(d.alert_id(9), &det).ok);
  REQUIRE(det);
  CHECK(det->flow_alerts.empty());
  CHECK(det->flow_events.empty());
}

TEST_CASE("alert detail: at most 200 of each, flagged truncated", "[flow]") {
  Db d("cap");
  std::vector<json> ev;
  for (int i = 0; i < 205; ++i) ev.push_back(eve("alert", i, 9, 1000 + i));
  for (int i = 0; i < 199; ++i) ev.push_back(eve("http", i, 9));
  d.ingest("ag-1", 1, ev);
  std::optional<AlertDetail> det;
  REQUIRE(d.store->alert_detail(d.alert_id(1000), &det).ok);
  REQUIRE(det);
  REQUIRE(det->flow_alerts.size() == 200);
  CHECK(det->flow_events.size() == 199);
  CHECK(det->truncated);
  CHECK(det->flow_alerts.front()["alert"]["signature_id"] == 1204);  // the newest
  CHECK(det->flow_alerts.back()["alert"]["signature_id"] == 1005);

  // 204 others of the flow for the newest; 199 events: alerts alone set the flag.
  d.ingest("ag-1", 2, {eve("http", 300, 9)});
  REQUIRE(d.store->alert_detail(d.alert_id(1204), &det).ok);
  REQUIRE(det);
  CHECK(det->flow_events.size() == 200);
  CHECK(det->truncated);
}

TEST_CASE("a database from before events.flow_id is filled in on open, once", "[flow][sqlite]") {
  Db d("migrate");
  fill(d);
  d.store.reset();
  // The layout of the release before: no flow_id column on events, no index.
  d.exec("DROP INDEX events_flow; ALTER TABLE events DROP COLUMN flow_id;");
  CHECK(d.scalar("SELECT COUNT(*) FROM pragma_table_info('events') WHERE name='flow_id'") == 0);

  d.open();
  CHECK(d.scalar("SELECT COUNT(*) FROM sqlite_master WHERE type='index' AND name='events_flow'") == 1);
  CHECK(d.scalar("SELECT COUNT(*) FROM events WHERE agent_id='ag-1' AND flow_id=77") == 3);
  CHECK(d.scalar("SELECT COUNT(*) FROM events WHERE agent_id='ag-2' AND flow_id=77") == 2);
  CHECK(d.scalar("SELECT COUNT(*) FROM events WHERE event_type='stats' AND flow_id IS NULL") == 2);
  check_flow_77(d);

  // Once: a second open does not fill again (a value set since stays as it is).
  d.store.reset();
  d.exec("UPDATE events SET flow_id=NULL WHERE event_type='flow' AND agent_id='ag-2'");
  d.open();
  CHECK(d.scalar("SELECT COUNT(*) FROM events WHERE agent_id='ag-2' AND flow_id=77") == 1);
  // New events after the upgrade get their flow id at ingest.
  d.ingest("ag-1", 3, {eve("http", 35, 77)});
  std::optional<AlertDetail> det;
  REQUIRE(d.store->alert_detail(d.alert_id(3), &det).ok);
  REQUIRE(det);
  CHECK(hosts_of(det->flow_events) == std::vector<std::string>{"flow", "h35", "h25", "h5"});
}

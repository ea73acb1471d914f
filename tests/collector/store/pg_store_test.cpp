// The PostgreSQL store's own parts (collector/store/pg_store.cpp,
// pg_schema.cpp): migrations applied once, ingest exactly-once across two
// stores (two collectors) on one database, day partitions made on demand
// and dropped by retention with what belongs to their alerts.
// Hidden ([.pg]): they run only in the "collector[pg]: ..." registration,
// against the test run's PostgreSQL server.
#include "collector/store/pg_store.h"

#include <postgresql/libpq-fe.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <set>
#include <thread>

#include "../store_test_util.h"
#include "collector/suppression.h"

using namespace vigil::collector;
using nlohmann::json;

namespace {

// Raw SQL on the database under test, for what the Store interface does not show.
struct Raw {
  PGconn* c = nullptr;
  explicit Raw(const std::string& url) : c(PQconnectdb(url.c_str())) {
    REQUIRE(PQstatus(c) == CONNECTION_OK);
  }
  ~Raw() { PQfinish(c); }
  int64_t num(const std::string& sql) {
    PGresult* r = PQexec(c, sql.c_str());
    INFO(sql << ": " << PQresultErrorMessage(r));
    REQUIRE(PQresultStatus(r) == PGRES_TUPLES_OK);
    int64_t v = PQgetisnull(r, 0, 0) ? -1 : std::stoll(PQgetvalue(r, 0, 0));
    PQclear(r);
    return v;
  }
  void exec(const std::string& sql) {
    PGresult* r = PQexec(c, sql.c_str());
    INFO(sql << ": " << PQresultErrorMessage(r));
    CHECK(PQresultStatus(r) == PGRES_COMMAND_OK);
    PQclear(r);
  }
  // True once the stores' background folds have emptied alert_rollup_pending
  // (they run every second).
  bool pending_drained() {
    for (int i = 0; i < 100; ++i) {
      if (num("SELECT COUNT(*) FROM alert_rollup_pending") == 0) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }
  // Rollup rows (with the pending rows not folded in yet) that differ from a
  // count of the alerts, both ways, over every table and dimension
  // (alert_rollups.h, pg_read.h).
  int64_t rollup_mismatch() {
    auto fl = [](const char* g) { return std::string("(ts/") + g + " - (ts%" + g + " < 0)::int)"; };
    auto both = [&](const std::string& a, const std::string& b) {
      return num("SELECT COUNT(*) FROM (" + a + " EXCEPT " + b + ") d") +
             num("SELECT COUNT(*) FROM (" + b + " EXCEPT " + a + ") d");
    };
    auto with_pending = [&](const std::string& rolled, const std::string& bucket, const std::string& key) {
      return "SELECT b, k, s, SUM(n) FROM (" + rolled + " UNION ALL SELECT " + bucket + ", " + key +
             ", COALESCE(severity,0), n FROM alert_rollup_pending WHERE " + key +
             " IS NOT NULL) x(b, k, s, n) GROUP BY 1,2,3 HAVING SUM(n) <> 0";
    };
    int64_t bad = both(
        with_pending("SELECT minute, agent_id, severity, n FROM alert_rollup_min", fl("60000000"),
                     "agent_id"),
        "SELECT " + fl("60000000") + ", agent_id, COALESCE(severity,0), COUNT(*) FROM alerts GROUP BY 1,2,3");
    const char* cols[] = {"agent_id", "sid::text", "src_ip", "dest_ip"};
    for (int d = 0; d < 4; ++d) {
      std::string col = cols[d];
      bad += both(
          with_pending("SELECT hour, key, severity, n FROM alert_rollup_hour WHERE dim=" + std::to_string(d),
                       fl("3600000000"), col),
          "SELECT " + fl("3600000000") + ", " + col + ", COALESCE(severity,0), COUNT(*) FROM alerts WHERE " +
              col + " IS NOT NULL GROUP BY 1,2,3");
      if (d == 0) continue;
      bad += both(
          with_pending(
              "SELECT hour, key, severity, n FROM alert_rollup_hour WHERE dim=" + std::to_string(d + 10),
              fl("86400000000"), col),
          "SELECT " + fl("86400000000") + ", " + col + ", COALESCE(severity,0), COUNT(*) FROM alerts WHERE " +
              col + " IS NOT NULL GROUP BY 1,2,3");
      // The per-agent rows, keyed here by agent and key together.
      std::string akey = "agent_id || '|' || " + col;
      for (auto [dim, g] : {std::pair{d, "3600000000"}, std::pair{d + 10, "86400000000"}})
        bad += both(with_pending("SELECT hour, agent_id || '|' || key, severity, n FROM alert_rollup_agent "
                                 "WHERE dim=" +
                                     std::to_string(dim),
                                 fl(g), akey),
                    "SELECT " + fl(g) + ", " + akey + ", COALESCE(severity,0), COUNT(*) FROM alerts WHERE " +
                        col + " IS NOT NULL GROUP BY 1,2,3");
    }
    return bad;
  }
};

constexpr int64_t kNow = 1767225600;  // 2026-01-01T00:00:00Z
constexpr int64_t kDay = 86400;

IngestEvent alert(const std::string& uid, int64_t ts_s, int sid = 1) {
  json eve = {{"timestamp", test::eve_time_us(ts_s * 1'000'000)},
              {"event_type", "alert"},
              {"src_ip", "10.0.0.1"},
              {"dest_ip", "192.0.2.1"},
              {"alert", {{"signature_id", sid}, {"severity", 2}, {"signature", "test sig"}}}};
  return {uid, eve};
}

// An ingest that must succeed, its error shown when it does not.
void ingest(Store& s, const std::string& agent, uint64_t seq, const std::vector<IngestEvent>& ev,
            IngestResult* r) {
  StoreStatus st = s.ingest_batch(agent, seq, ev, kNow, r);
  INFO(st.message);
  REQUIRE(st.ok);
}

std::unique_ptr<Store> open(const std::string& url) {
  std::string err;
  auto s = open_pg_store(url, &err, 4);
  INFO(err);
  REQUIRE(s);
  return s;
}

}  // namespace

TEST_CASE("PostgreSQL: migrations are applied once, also by stores opening together", "[.pg]") {
  auto url = test::fresh_pg_url();
  REQUIRE(url);
  std::vector<std::unique_ptr<Store>> stores(4);
  std::vector<std::thread> th;
  std::atomic<int> failed{0};
  for (auto& s : stores)
    th.emplace_back([&] {
      std::string err;
      s = open_pg_store(*url, &err, 1);
      if (!s) ++failed;
    });
  for (auto& t : th) t.join();
  CHECK(failed == 0);
  Raw raw(*url);
  CHECK(raw.num("SELECT COUNT(*) FROM schema_migrations") ==
        raw.num("SELECT MAX(version) FROM schema_migrations"));
  CHECK(raw.num("SELECT COUNT(*) FROM schema_migrations WHERE version = 1") == 1);
  // A database migrated by a newer build is refused with a clear message.
  raw.exec("INSERT INTO schema_migrations(version, name, applied_at) VALUES (999, 'future', 0)");
  std::string err;
  CHECK_FALSE(open_pg_store(*url, &err, 1));
  CHECK(err.find("newer than this build") != std::string::npos);
}

TEST_CASE("PostgreSQL: a database from before the rollups gets them counted from its alerts", "[.pg]") {
  auto url = test::fresh_pg_url();
  REQUIRE(url);
  {
    auto s = open(*url);
    std::vector<IngestEvent> ev;
    for (int k = 0; k < 300; ++k) ev.push_back(alert("m" + std::to_string(k), kNow - k * 1000, 1 + k % 7));
    IngestResult r;
    ingest(*s, "ag-1", 1, ev, &r);
  }
  Raw raw(*url);
  CHECK(raw.num("SELECT COUNT(*) FROM alert_rollup_pending") == 0);  // folded when the store closed
  raw.exec("DROP TABLE alert_rollup_min, alert_rollup_hour, alert_rollup_pending, alert_rollup_agent");
  raw.exec("DELETE FROM schema_migrations WHERE version IN (3, 4)");
  auto s = open(*url);
  CHECK(raw.num("SELECT COUNT(*) FROM schema_migrations WHERE version IN (3, 4)") == 2);
  CHECK(raw.num("SELECT COUNT(DISTINCT key) FROM alert_rollup_agent WHERE agent_id = 'ag-1' AND dim = 11") ==
        7);
  CHECK(raw.num("SELECT SUM(n) FROM alert_rollup_min") == 300);
  CHECK(raw.num("SELECT COUNT(DISTINCT key) FROM alert_rollup_hour WHERE dim = 11") == 7);
  CHECK(raw.rollup_mismatch() == 0);
}

TEST_CASE(
    "PostgreSQL: the per-agent rollup of an older database counts each alert once, also those not folded "
    "yet",
    "[.pg]") {
  auto url = test::fresh_pg_url();
  REQUIRE(url);
  {
    auto s = open(*url);
    std::vector<IngestEvent> ev;
    for (int k = 0; k < 200; ++k) ev.push_back(alert("p" + std::to_string(k), kNow - k * 1000, 1 + k % 5));
    IngestResult r;
    ingest(*s, "ag-1", 1, ev, &r);
    ingest(*s, "ag-2", 1, {alert("q1", kNow - 5, 9)}, &r);
  }
  Raw raw(*url);
  // As an older database can be: no per-agent rollup, and every alert still
  // pending (not folded into the rollups yet).
  raw.exec("DROP TABLE alert_rollup_agent");
  raw.exec("DELETE FROM schema_migrations WHERE version = 4");
  raw.exec("DELETE FROM alert_rollup_min");
  raw.exec("DELETE FROM alert_rollup_hour");
  raw.exec(
      "INSERT INTO alert_rollup_pending(ts, agent_id, severity, sid, src_ip, dest_ip, n) SELECT ts, "
      "agent_id, "
      "severity, sid, src_ip, dest_ip, 1 FROM alerts");
  auto s = open(*url);
  REQUIRE(raw.pending_drained());
  CHECK(raw.num("SELECT SUM(n) FROM alert_rollup_agent WHERE dim = 11") == 201);
  CHECK(raw.rollup_mismatch() == 0);
}

TEST_CASE("PostgreSQL: a bad URL or an unreachable server is a clear error", "[.pg]") {
  std::string err;
  CHECK_FALSE(open_pg_store("postgresql://vigil@/nosuchdb?host=/nonexistent-dir&port=1", &err, 1));
  CHECK(err.find("cannot connect to PostgreSQL") != std::string::npos);
}

TEST_CASE("PostgreSQL: two stores on one database store every alert once while batches are resent to both",
          "[.pg]") {
  auto url = test::fresh_pg_url();
  REQUIRE(url);
  auto a = open(*url), b = open(*url);
  Store* both[] = {a.get(), b.get()};
  constexpr int kAgents = 4, kBatches = 30, kPerBatch = 50;
  std::atomic<uint64_t> stored{0}, dup_batches{0}, errors{0};
  std::vector<std::thread> th;
  // Each agent's batches go to both collectors at once (a failover resend
  // racing the first delivery), and every third batch repeats the previous
  // batch's uids under a new number (a renumbered resend).
  for (int ag = 0; ag < kAgents; ++ag) {
    for (int side = 0; side < 2; ++side) {
      th.emplace_back([&, ag, side] {
        std::string agent = "ag-" + std::to_string(ag);
        for (int bn = 1; bn <= kBatches; ++bn) {
          int content = bn % 3 == 0 ? bn - 1 : bn;
          std::vector<IngestEvent> ev;
          for (int k = 0; k < kPerBatch; ++k)
            ev.push_back(alert(agent + "-" + std::to_string(content) + "-" + std::to_string(k),
                               kNow - (content % 3) * kDay + k));
          IngestResult r;
          StoreStatus st = both[side]->ingest_batch(agent, bn, ev, kNow, &r);
          if (!st.ok) {
            ++errors;
            continue;
          }
          stored += r.stored;
          if (r.duplicate_batch) ++dup_batches;
          if (r.conflict) ++errors;
        }
      });
    }
  }
  for (auto& t : th) t.join();
  CHECK(errors == 0);
  // Every batch number was answered once as new and once as a resend.
  CHECK(dup_batches == kAgents * kBatches);
  int unique_batches = kBatches - kBatches / 3;
  uint64_t expected = uint64_t{kAgents} * unique_batches * kPerBatch;
  CHECK(stored == expected);
  Raw raw(*url);
  CHECK(raw.num("SELECT COUNT(*) FROM alerts") == static_cast<int64_t>(expected));
  CHECK(raw.num("SELECT COUNT(*) FROM (SELECT agent_id, event_uid FROM alerts GROUP BY 1, 2 HAVING COUNT(*) "
                "> 1) d") == 0);
  CHECK(raw.num("SELECT COUNT(DISTINCT id) FROM alerts") == static_cast<int64_t>(expected));
  CHECK(raw.num("SELECT COUNT(*) FROM alert_uids") == static_cast<int64_t>(expected));
  CHECK(a->count_events("alert") == static_cast<int64_t>(expected));
  CHECK(b->highest_batch_seq("ag-0") == kBatches);
  // The rollups counted each stored alert once too, the pending rows folded in by the stores.
  CHECK(raw.rollup_mismatch() == 0);
  REQUIRE(raw.pending_drained());
  CHECK(raw.num("SELECT SUM(n) FROM alert_rollup_min") == static_cast<int64_t>(expected));
  CHECK(raw.rollup_mismatch() == 0);
}

TEST_CASE("PostgreSQL: alerts go to day partitions made at ingest, and retention drops whole days", "[.pg]") {
  auto url = test::fresh_pg_url();
  REQUIRE(url);
  auto s = open(*url);
  // Five days of alerts, 100 a day, and two with an event time before 1970 (the DEFAULT partition).
  std::vector<IngestEvent> ev;
  for (int d = 0; d < 5; ++d)
    for (int k = 0; k < 100; ++k)
      ev.push_back(alert("d" + std::to_string(d) + "-" + std::to_string(k), kNow - d * kDay - 3600 + k));
  ev.push_back(alert("old-1", -1000));
  ev.push_back(alert("old-2", -2000));
  json dns = {{"timestamp", test::eve_time_us((kNow - 4 * kDay) * 1'000'000)}, {"event_type", "dns"}};
  ev.push_back({"dns-1", dns});
  IngestResult r;
  ingest(*s, "ag-1", 1, ev, &r);
  CHECK(r.stored == ev.size());
  CHECK(r.stored_alerts == 502);
  Raw raw(*url);
  CHECK(raw.num("SELECT COUNT(*) FROM pg_inherits WHERE inhparent = 'alerts'::regclass") == 6);
  CHECK(raw.num("SELECT COUNT(*) FROM alerts_default") == 2);
  CHECK(raw.num("SELECT COUNT(*) FROM alerts_p20251231") == 100);
  // Ids are unique across partitions and follow the batch order.
  CHECK(raw.num("SELECT COUNT(DISTINCT id) FROM alerts") == 502);
  CHECK(raw.rollup_mismatch() == 0);
  // Triage rows on some alerts of the oldest two days and of the newest.
  raw.exec(
      "INSERT INTO alert_triage(alert_id, status, updated_at, updated_by) SELECT id, 'acknowledged', 1, 't' "
      "FROM alerts WHERE id % 10 = 0");
  raw.exec(
      "INSERT INTO alert_comments(alert_id, ts, actor, text) SELECT id, 1, 't', 'seen' FROM alerts WHERE id "
      "% 10 "
      "= 0");

  // Keep three days (the horizon at a day boundary: the two oldest days go whole).
  RetentionPolicy p;
  p.max_age_s = 3 * kDay;
  RetentionResult rr;
  REQUIRE(s->enforce_retention(p, kNow, &rr).ok);
  CHECK(rr.alerts == 2 * 100 + 2);
  CHECK(rr.events == 1);
  CHECK(raw.num("SELECT COUNT(*) FROM alerts") == 300);
  CHECK(raw.num("SELECT COUNT(*) FROM pg_inherits WHERE inhparent = 'alerts'::regclass") == 4);
  CHECK(raw.num("SELECT (to_regclass('alerts_p20251228') IS NULL)::int") == 1);
  CHECK(raw.num("SELECT COUNT(*) FROM alert_triage WHERE alert_id NOT IN (SELECT id FROM alerts)") == 0);
  CHECK(raw.num("SELECT COUNT(*) FROM alert_comments WHERE alert_id NOT IN (SELECT id FROM alerts)") == 0);
  CHECK(raw.num("SELECT COUNT(*) FROM alert_triage") > 0);
  CHECK(raw.num("SELECT COUNT(*) FROM alert_uids") == 300);
  // Dropped days took their rollup rows, deleted rows (the DEFAULT partition's) theirs.
  CHECK(raw.rollup_mismatch() == 0);
  REQUIRE(raw.pending_drained());
  CHECK(raw.rollup_mismatch() == 0);
  CHECK(raw.num("SELECT SUM(n) FROM alert_rollup_min") == 300);
  // A resend of a dropped day's alert after retention is stored again (its uid went with it),
  // into a partition made again.
  IngestResult again;
  ingest(*s, "ag-1", 2, {alert("d4-0", kNow - 4 * kDay - 3600)}, &again);
  CHECK(again.stored == 1);
  REQUIRE(s->enforce_retention(p, kNow, &rr).ok);
  CHECK(rr.alerts == 1);

  // By size: a limit under what is in use drops the oldest whole days first.
  RetentionPolicy bytes;
  bytes.max_bytes = rr.bytes_in_use - 1;
  REQUIRE(s->enforce_retention(bytes, kNow, &rr).ok);
  CHECK(rr.alerts >= 100);
  CHECK(rr.bytes_in_use <= bytes.max_bytes);
  CHECK(raw.num("SELECT COUNT(*) FROM alerts") < 300);
  CHECK(raw.num("SELECT MIN(ts) FROM alerts") >= (kNow - 1 * kDay - 3600) * 1'000'000);
  CHECK(raw.rollup_mismatch() == 0);
}

TEST_CASE("PostgreSQL: retention by count keeps the newest while ingest goes on", "[.pg]") {
  auto url = test::fresh_pg_url();
  REQUIRE(url);
  auto s = open(*url);
  int64_t n = 0;
  for (uint64_t seq = 1; seq <= 6; ++seq) {
    std::vector<IngestEvent> b;
    for (int k = 0; k < 1000; ++k, ++n) b.push_back(alert("a" + std::to_string(n), kNow - 100000 + n));
    IngestResult r;
    ingest(*s, "ag-1", seq, b, &r);
    REQUIRE(r.stored == 1000);
  }
  std::atomic<bool> stop{false};
  std::atomic<int64_t> next{n};
  std::atomic<int> failures{0};
  std::thread writer([&] {
    for (uint64_t seq = 1; !stop; ++seq) {
      std::vector<IngestEvent> b;
      for (int k = 0; k < 100; ++k) {
        int64_t m = next++;
        b.push_back(alert("b" + std::to_string(m), kNow - 100000 + m));
      }
      IngestResult r;
      if (!s->ingest_batch("ag-2", seq, b, kNow, &r).ok || r.stored != 100) ++failures;
    }
  });
  RetentionPolicy p;
  p.max_alerts = 2500;
  RetentionResult r;
  for (int i = 0; i < 3; ++i) REQUIRE(s->enforce_retention(p, kNow, &r).ok);
  stop = true;
  writer.join();
  CHECK(failures == 0);
  REQUIRE(s->enforce_retention(p, kNow, &r).ok);
  Raw raw(*url);
  CHECK(raw.num("SELECT COUNT(*) FROM alerts") == 2500);
  CHECK(raw.num("SELECT MIN(ts) FROM alerts") == (kNow - 100000 + next - 2500) * 1'000'000);
  CHECK(raw.num("SELECT COUNT(*) FROM alert_uids") == 2500);
  // Rows deleted by count came off the rollups in the same transactions, with ingest going on.
  CHECK(raw.rollup_mismatch() == 0);
}

TEST_CASE("PostgreSQL: a suppression added through one collector is in force at the other within seconds",
          "[.pg]") {
  auto url = test::fresh_pg_url();
  REQUIRE(url);
  auto a = open(*url), b = open(*url);
  SuppressionCache at_b(*b);
  CHECK(at_b.current(kNow)->match(1, 7, "10.0.0.1", "192.0.2.1") == 0);
  Suppression s;
  s.sid = 7;
  s.reason = "noisy";
  s.author = "alice";
  s.created_at = kNow;
  AuditEntry audit;
  audit.ts = kNow;
  audit.actor = "alice";
  audit.action = "suppression.add";
  REQUIRE(a->add_suppression(&s, audit).ok);
  // B's cache was read before: within the refresh interval it may still answer from it,
  // after it B reads the store again and drops the alert too.
  CHECK(at_b.current(kNow + SuppressionCache::kRefreshS)->match(1, 7, "10.0.0.1", "192.0.2.1") == s.id);
}

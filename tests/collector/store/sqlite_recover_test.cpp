// `vigil-collector recover` (collector/store/sqlite_recover.h): an undamaged
// store comes back row for row with the same rollups and search index; with
// damaged leaf pages, exactly the rows on other pages come back; the damaged
// file is kept byte for byte; a store open elsewhere and a file that is not a
// database are refused and left as they were.
#include "collector/store/sqlite_recover.h"

#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "../store_test_util.h"
#include "collector/store/store.h"

using namespace vigil::collector;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::string temp_dir(const char* name) {
  return test::fresh_temp_dir("vigil-recover-", name);
}

// 2026-01-01T00:00:00Z
constexpr int64_t kBase = 1767225600LL * 1'000'000;

// K alerts (and an event per ten) from three agents, a token, a key, an
// audit row and some triage: every kind of row the copy must carry.
void fill(Store& s, int k) {
  const char* agents[] = {"ag-a", "ag-b", "ag-c"};
  for (const char* a : agents) REQUIRE(s.add_agent(a, std::string("hash-") + a, a, 1000, "127.0.0.1").ok);
  REQUIRE(s.create_token("tokhash", 1000, 999999, 3).ok);
  REQUIRE(s.create_api_key("keyhash", Role::kAnalyst, 1000).ok);
  std::map<std::string, std::vector<IngestEvent>> per;
  for (int i = 0; i < k; ++i) {
    json eve = {{"timestamp", test::eve_time_us(kBase + int64_t{i} * 7'000'000)},
                {"event_type", "alert"},
                {"src_ip", "10.0.0." + std::to_string(i % 50)},
                {"dest_ip", "192.0.2." + std::to_string(i % 9)},
                {"http", {{"hostname", "host" + std::to_string(i % 13) + ".example"}}},
                {"alert",
                 {{"signature", "sig number " + std::to_string(i % 17)},
                  {"signature_id", 1000 + i % 17},
                  {"severity", 1 + i % 3}}}};
    per[agents[i % 3]].push_back({"uid-" + std::to_string(i), eve});
    if (i % 10 == 0) {
      json ev = {{"timestamp", test::eve_time_us(kBase + int64_t{i} * 7'000'000)},
                 {"event_type", "dns"},
                 {"dns", {{"rrname", "q" + std::to_string(i) + ".example"}}}};
      per[agents[i % 3]].push_back({"ev-" + std::to_string(i), ev});
    }
  }
  for (auto& [agent, evs] : per) REQUIRE(test::ingest_in_batches(s, agent, evs));
  uint64_t matched = 0;
  TriageChange ch;
  ch.status = "investigating";
  ch.comment = "looking";
  REQUIRE(s.triage_alerts({1, 2, 3}, ch, "ana", 2000, nullptr, &matched).ok);
  CHECK(matched == 3);
}

// Every row of TABLE, as text, in a canonical order.
std::vector<std::string> rows(const std::string& db_path, const std::string& table) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  std::vector<std::string> out;
  REQUIRE(sqlite3_prepare_v2(db, ("SELECT * FROM \"" + table + "\"").c_str(), -1, &st, nullptr) == SQLITE_OK);
  while (sqlite3_step(st) == SQLITE_ROW) {
    std::string row;
    for (int i = 0; i < sqlite3_column_count(st); ++i) {
      const unsigned char* t = sqlite3_column_text(st, i);
      row += (t ? std::string(reinterpret_cast<const char*>(t), sqlite3_column_bytes(st, i)) : "NULL") + "|";
    }
    out.push_back(row);
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> tables(const std::string& db_path) {
  std::vector<std::string> out;
  for (const auto& r : rows(db_path, "sqlite_schema"))
    if (r.rfind("table|", 0) == 0) {
      std::string name = r.substr(6, r.find('|', 6) - 6);
      if (name.rfind("sqlite_", 0) != 0 && name.rfind("alerts_fts_", 0) != 0) out.push_back(name);
    }
  return out;
}

// The first column of the first row of SQL (the store's free-text index
// file attached, as its reads have it).
std::string value(const std::string& db_path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  const std::string text = alert_text_index_path(db_path);
  if (fs::exists(text))
    REQUIRE(sqlite3_exec(db, ("ATTACH DATABASE '" + text + "' AS text").c_str(), nullptr, nullptr, nullptr) ==
            SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(st) == SQLITE_ROW);
  const unsigned char* t = sqlite3_column_text(st, 0);
  std::string v = t ? reinterpret_cast<const char*>(t) : "NULL";
  sqlite3_finalize(st);
  sqlite3_close(db);
  return v;
}

int64_t count(const std::string& db_path, const std::string& sql) {
  return std::stoll(value(db_path, sql));
}

std::string file_bytes(const std::string& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string make_store(const std::string& dir, int k) {
  std::string path = dir + "/collector.db", err;
  auto s = open_sqlite_store(path, &err);
  INFO(err);
  REQUIRE(s);
  fill(*s, k);
  return path;
}

}  // namespace

TEST_CASE("recover: an undamaged store comes back row for row, rollups and search index included",
          "[sqlite]") {
  const std::string dir = temp_dir("whole"), path = make_store(dir, 1200);
  const std::string before = dir + "/before.db";
  fs::copy_file(path, before);
  fs::copy_file(alert_text_index_path(path), alert_text_index_path(before));
  RecoverReport rep;
  std::string err;
  REQUIRE(recover_sqlite_store(path, &rep, &err));
  INFO(err);
  CHECK(fs::exists(rep.kept_as));
  CHECK(file_bytes(rep.kept_as) == file_bytes(before));
  for (const auto& t : rep.tables) CHECK(t.damaged_regions == 0);
  for (const auto& t : tables(before)) {
    INFO(t);
    if (t == "audit") continue;  // one row more: the recovery's
    CHECK(rows(path, t) == rows(before, t));
  }
  CHECK(count(path, "SELECT count(*) FROM audit WHERE action='store.recover'") == 1);
  CHECK(count(path, "SELECT count(*) FROM audit") == count(before, "SELECT count(*) FROM audit") + 1);
  // The search index, rebuilt: the same matches.
  for (const char* q : {"host3", "sig", "number"}) {
    const std::string sql = std::string("SELECT count(*) FROM alerts_fts WHERE alerts_fts MATCH '") + q + "'";
    CHECK(count(path, sql) == count(before, sql));
  }
  // The store opens on the result and serves it.
  auto s = open_sqlite_store(path, &err);
  REQUIRE(s);
  AlertQuery aq;
  AlertPage page;
  REQUIRE(s->query_alerts(aq, &page).ok);
  CHECK(page.total == 1200);
}

TEST_CASE("recover: damaged leaf pages of the alerts lose their own rows and no more", "[sqlite]") {
  const std::string dir = temp_dir("leaves"), path = make_store(dir, 1500);
  // The alerts' leaf pages and their row counts, before the damage.
  std::vector<std::pair<int64_t, int64_t>> leaves;  // page number, cells
  int64_t page_size = count(path, "PRAGMA page_size");
  {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    REQUIRE(sqlite3_prepare_v2(db,
                               "SELECT pageno, ncell FROM dbstat WHERE name='alerts_p0' AND pagetype='leaf' "
                               "ORDER BY pageno",
                               -1, &st, nullptr) == SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW)
      leaves.emplace_back(sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1));
    sqlite3_finalize(st);
    sqlite3_close(db);
  }
  REQUIRE(leaves.size() > 20);
  // Three leaves (the first, one in the middle, the last): their header
  // becomes garbage.
  int64_t lost = 0;
  for (size_t i : {size_t{0}, leaves.size() / 2, leaves.size() - 1}) {
    REQUIRE(test::damage_sqlite_page(path, leaves[i].first, page_size, 16));
    lost += leaves[i].second;
  }
  const std::string damaged = file_bytes(path);
  RecoverReport rep;
  std::string err;
  REQUIRE(recover_sqlite_store(path, &rep, &err));
  INFO(err);
  CHECK(file_bytes(rep.kept_as) == damaged);
  for (const auto& t : rep.tables) {
    INFO(t.name);
    if (t.name == "alerts") {
      CHECK(t.copied == 1500 - lost);
      CHECK(t.damaged_regions >= 3);
    } else {
      CHECK(t.damaged_regions == 0);
    }
  }
  CHECK(value(path, "PRAGMA integrity_check") == "ok");
  CHECK(count(path, "SELECT count(*) FROM alerts") == 1500 - lost);
  CHECK(count(path, "SELECT count(*) FROM alerts_fts") == 1500 - lost);
  CHECK(count(path, "SELECT sum(n) FROM alert_rollup_min") == 1500 - lost);
  CHECK(count(path, "SELECT count(*) FROM agents") == 3);
  // The triage of alerts that survived is still theirs.
  CHECK(count(path, "SELECT count(*) FROM alert_triage t JOIN alerts a ON a.id = t.alert_id") ==
        count(path, "SELECT count(*) FROM alerts WHERE id IN (1,2,3)"));
}

TEST_CASE("recover: refused while the store is open, and for a file that is not a database", "[sqlite]") {
  const std::string dir = temp_dir("refuse"), path = make_store(dir, 50);
  std::string err;
  {
    auto running = open_sqlite_store(path, &err);
    REQUIRE(running);
    AlertQuery aq;
    AlertPage page;
    REQUIRE(running->query_alerts(aq, &page).ok);
    RecoverReport rep;
    CHECK_FALSE(recover_sqlite_store(path, &rep, &err));
    CHECK_THAT(err, Catch::Matchers::Contains("open in another process"));
    CHECK(rep.kept_as.empty());
  }
  CHECK(count(path, "SELECT count(*) FROM alerts") == 50);
  CHECK_FALSE(fs::exists(path + ".recovering"));

  {
    std::FILE* f = std::fopen(path.c_str(), "r+b");
    REQUIRE(f);
    std::fputs("this is not sqlite", f);
    std::fclose(f);
  }
  const std::string bytes = file_bytes(path);
  RecoverReport rep;
  CHECK_FALSE(recover_sqlite_store(path, &rep, &err));
  CHECK_THAT(err, Catch::Matchers::Contains("not a database"));
  CHECK(file_bytes(path) == bytes);
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.insert(e.path().filename().string());
  CHECK(names.count("collector.db") == 1);
  for (const auto& n : names) CHECK(n.find("corrupt") == std::string::npos);
}

// Small helpers shared by the store tests (tests/collector/store_test.cpp and
// tests/collector/store/*_test.cpp): an empty scratch directory per test,
// EVE timestamps as the agent writes them, and the store under test.
// Test code only; single-threaded use.
//
// The store tests run twice (tests/CMakeLists.txt): against SQLite, and as
// "collector[pg]: ..." against a PostgreSQL server the test run starts
// (tests/tools/pg_server.sh), whose URL is then in VIGIL_TEST_PG_URL.
// open_test_store() gives a fresh store of the kind under test; tests that
// look inside the SQLite file are tagged [sqlite] and run only against
// SQLite.
#pragma once

#include <postgresql/libpq-fe.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "collector/store/pg_store.h"
#include "collector/store/store.h"

namespace vigil::collector {
// collector/store/alert_fts.h (not included here: its Db would clash with
// the tests' own helpers of that name).
std::string alert_text_index_path(const std::string& db_path);
}  // namespace vigil::collector

namespace vigil::collector::test {

// True in the PostgreSQL registration (VIGIL_TEST_PG_URL set).
inline bool pg_run() {
  const char* u = std::getenv("VIGIL_TEST_PG_URL");
  return u && *u;
}

// The URL of a new, empty database on the test server (CREATE DATABASE with
// a name unique to this process and call); nullopt outside the PostgreSQL
// registration. Throws (failing the test) when the server cannot be reached.
inline std::optional<std::string> fresh_pg_url() {
  if (!pg_run()) return std::nullopt;
  std::string admin = std::getenv("VIGIL_TEST_PG_URL");
  static std::atomic<int> counter{0};
  std::string name = "vigil_t" + std::to_string(getpid()) + "_" + std::to_string(counter++) + "_" +
                     std::to_string(static_cast<long long>(time(nullptr)) % 100000);
  PGconn* c = PQconnectdb(admin.c_str());
  if (PQstatus(c) != CONNECTION_OK) {
    std::string err = PQerrorMessage(c);
    PQfinish(c);
    throw std::runtime_error("test PostgreSQL server (" + admin + "): " + err);
  }
  PGresult* r = PQexec(c, ("CREATE DATABASE " + name + " TEMPLATE template0 ENCODING 'UTF8'").c_str());
  bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
  std::string err = PQerrorMessage(c);
  PQclear(r);
  PQfinish(c);
  if (!ok) throw std::runtime_error("CREATE DATABASE " + name + ": " + err);
  // The fixture's URL names the database "postgres": the same server, another database.
  auto at = admin.find("/postgres?");
  if (at == std::string::npos) throw std::runtime_error("VIGIL_TEST_PG_URL must name /postgres?: " + admin);
  return admin.substr(0, at) + "/" + name + "?" + admin.substr(at + 10);
}

// One test database: a new PostgreSQL database in the PostgreSQL
// registration, else DIR/c.db (SQLite). open() gives a store on it, again
// after an earlier store on it was closed (what persists).
struct TestDb {
  explicit TestDb(const std::string& dir) : url(fresh_pg_url()), path(dir + "/c.db") {}
  std::optional<std::string> url;
  std::string path;
  std::unique_ptr<Store> open(std::string* error = nullptr) const {
    std::string err;
    auto s = url ? open_pg_store(*url, &err, 4) : open_sqlite_store(path, &err);
    if (error) *error = err;
    if (!s) std::fprintf(stderr, "test store: %s\n", err.c_str());
    return s;
  }
};

// A fresh, empty store of the kind under test (see TestDb).
inline std::unique_ptr<Store> open_test_store(const std::string& dir, std::string* error = nullptr) {
  return TestDb(dir).open(error);
}

// An empty directory TMP/<prefix><name>-<pid>, removed first if it exists.
inline std::string fresh_temp_dir(const std::string& prefix, const char* name) {
  auto d = std::filesystem::temp_directory_path() / (prefix + name + "-" + std::to_string(getpid()));
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d.string();
}

// EVE's timestamp form for a time in microseconds since the epoch, UTC.
inline std::string eve_time_us(int64_t us) {
  time_t s = static_cast<time_t>(us / 1'000'000);
  struct tm tm;
  gmtime_r(&s, &tm);
  char b[64];
  std::snprintf(b, sizeof b, "%04d-%02d-%02dT%02d:%02d:%02d.%06lld+0000", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<long long>(us % 1'000'000));
  return b;
}

// Stores EVS as AGENT's batches of up to 100 events, sequence numbers from 1;
// false when a batch is refused or does not store all its events.
inline bool ingest_in_batches(Store& s, const std::string& agent, const std::vector<IngestEvent>& evs) {
  uint64_t seq = 1;
  for (size_t i = 0; i < evs.size(); i += 100) {
    std::vector<IngestEvent> b(evs.begin() + static_cast<std::ptrdiff_t>(i),
                               evs.begin() + static_cast<std::ptrdiff_t>(std::min(i + 100, evs.size())));
    IngestResult r;
    if (!s.ingest_batch(agent, seq++, b, 1, &r).ok || r.stored != b.size()) return false;
  }
  return true;
}

// Damage: the first N bytes of page PAGE (from 1) of the SQLite file at PATH
// become 0xfe (a page's header and cell pointers); false when it cannot write.
// A connection to the SQLite store at `path` with its free-text index file
// attached as "text" when there is one, so that the index's tables are
// found by their names as the store's read connection finds them.
inline sqlite3* open_store_file(const std::string& path) {
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  const std::string text = alert_text_index_path(path);
  if (std::filesystem::exists(text))
    sqlite3_exec(db, ("ATTACH DATABASE '" + text + "' AS text").c_str(), nullptr, nullptr, nullptr);
  return db;
}

inline bool damage_sqlite_page(const std::string& path, int64_t page, int64_t page_size, size_t n) {
  std::FILE* f = std::fopen(path.c_str(), "r+b");
  if (!f) return false;
  const std::string junk(n, '\xfe');
  bool ok = std::fseek(f, static_cast<long>((page - 1) * page_size), SEEK_SET) == 0 &&
            std::fwrite(junk.data(), 1, n, f) == n;
  return std::fclose(f) == 0 && ok;
}

}  // namespace vigil::collector::test

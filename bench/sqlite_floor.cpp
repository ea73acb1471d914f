// What SQLite itself can append on this machine, one writer on one core, as
// the collector's store writes: WAL, synchronous=FULL (every commit synced),
// transactions of --txn rows, a new table every --part rows, rows shaped like
// the alert partitions' (collector/store/sqlite_alert_parts.cpp) with EVE
// JSON as vigil-ingest-bench sends it (about 830 bytes). Three layouts, each
// on a fresh file, so that the cost of each part of the store's schema shows:
//   rows       the columns, no key but the row id
//   dedup      + UNIQUE(agent_id, event_uid), the uid a 16-byte content hash
//   partition  + the indexes the newest partition keeps at ingest
// Prints rows/s and the bytes written (WAL and database, from
// /proc/self/io) per row. Nothing of the HTTP path, rollups or free-text
// index: a ceiling for the store, not a measurement of it (bench/RESULTS.md).
//
//   vigil-sqlite-floor --dir DIR [--rows N] [--txn N] [--part N]

#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

namespace {

int64_t written_bytes() {
  std::ifstream io("/proc/self/io");
  std::string key;
  int64_t v = 0;
  while (io >> key >> v)
    if (key == "write_bytes:") return v;
  return 0;
}

void check(int rc, sqlite3* db, const char* what) {
  if (rc == SQLITE_OK || rc == SQLITE_DONE || rc == SQLITE_ROW) return;
  std::fprintf(stderr, "%s: %s\n", what, sqlite3_errmsg(db));
  std::exit(1);
}

void exec(sqlite3* db, const std::string& sql) {
  char* msg = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &msg) != SQLITE_OK) {
    std::fprintf(stderr, "%s: %s\n", sql.c_str(), msg ? msg : "?");
    std::exit(1);
  }
}

std::string table_ddl(const std::string& t, int layout) {
  std::string sql =
      "CREATE TABLE " + t +
      "(id INTEGER PRIMARY KEY, agent_id TEXT NOT NULL, event_uid BLOB NOT NULL, ts INT NOT NULL, "
      "sid INT, gid INT, rev INT, signature TEXT, category TEXT, severity INT, src_ip TEXT, "
      "src_port INT, dest_ip TEXT, dest_port INT, proto TEXT, app_proto TEXT, flow_id INT, "
      "received_at INT NOT NULL, json TEXT NOT NULL, src_ip16 BLOB, dest_ip16 BLOB" +
      std::string(layout >= 1 ? ", UNIQUE(agent_id, event_uid));" : ");");
  if (layout >= 2) {
    const char* idx[][2] = {{"_ts", "(ts, id)"},          {"_severity", "(severity, ts)"},
                            {"_sid", "(sid, ts)"},        {"_agent", "(agent_id, ts)"},
                            {"_src16", "(src_ip16, ts)"}, {"_dest16", "(dest_ip16, ts)"}};
    for (auto& i : idx) sql += "CREATE INDEX " + t + i[0] + " ON " + t + i[1] + ";";
  }
  return sql;
}

// splitmix64: the uid hash and the values, deterministic.
uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

void run(const std::string& dir, int layout, int64_t rows, int64_t txn, int64_t part) {
  static const char* kNames[] = {"rows", "dedup", "partition"};
  const std::string path = dir + "/floor-" + kNames[layout] + ".db";
  for (const char* ext : {"", "-wal", "-shm"}) std::filesystem::remove(path + ext);
  sqlite3* db = nullptr;
  check(sqlite3_open(path.c_str(), &db), db, "open");
  exec(db,
       "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA cache_size=-65536; "
       "PRAGMA wal_autocheckpoint=16384;");
  sqlite3_stmt* ins = nullptr;
  const int64_t w0 = written_bytes();
  const auto t0 = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < rows; ++i) {
    if (i % part == 0) {
      if (ins) sqlite3_finalize(ins);
      const std::string t = "alerts_p" + std::to_string(i + 1);
      exec(db, table_ddl(t, layout));
      check(sqlite3_prepare_v2(
                db,
                ("INSERT INTO " + t +
                 " VALUES(?1,?2,?3,?4,?5,1,3,?6,?7,?8,?9,?10,?11,80,'TCP','http',?12,?13,?14,?15,?16)")
                    .c_str(),
                -1, &ins, nullptr),
            db, "prepare");
    }
    if (i % txn == 0) exec(db, "BEGIN IMMEDIATE");
    const int agent = static_cast<int>(i % 10);
    const int64_t n = i / 10;
    char agent_id[40], src[32], dest[32], json[1100];
    std::snprintf(agent_id, sizeof agent_id, "3f6c2a1e-5b7d-4c19-9e8a-%012d", agent);
    std::snprintf(src, sizeof src, "10.1.%d.%d", agent, static_cast<int>(n % 250));
    std::snprintf(dest, sizeof dest, "203.0.113.%d", static_cast<int>(n % 200));
    const int64_t ts = 1795996800000000LL + n * 1000000;
    const int sid = 2000000 + static_cast<int>(n % 500), sev = 1 + static_cast<int>(n % 3);
    const int jn = std::snprintf(
        json, sizeof json,
        "{\"timestamp\":\"2026-11-26T%02d:%02d:%02d.%06d+0000\",\"flow_id\":%lld,\"pcap_cnt\":%lld,"
        "\"event_type\":\"alert\",\"src_ip\":\"%s\",\"src_port\":%d,\"dest_ip\":\"%s\",\"dest_port\":80,"
        "\"proto\":\"TCP\",\"direction\":\"to_server\",\"alert\":{\"action\":\"allowed\",\"gid\":1,"
        "\"signature_id\":%d,\"rev\":3,\"signature\":\"ET WEB_SERVER Possible SQL Injection Attempt UNION "
        "SELECT\",\"category\":\"Web Application Attack\",\"severity\":%d},\"app_proto\":\"http\",\"http\":{"
        "\"hostname\":\"portal.example.gov\",\"url\":\"/search?q=1%%20UNION%%20SELECT%%20password%%20FROM%%"
        "20users--%lld\",\"http_user_agent\":\"Mozilla/5.0 (X11; Linux x86_64) sqlmap/1.7\",\"http_method\":"
        "\"GET\",\"protocol\":\"HTTP/1.1\",\"status\":200,\"length\":5123},\"payload_printable\":\"GET "
        "/search?q=1 UNION SELECT password FROM users-- HTTP/1.1\"}",
        static_cast<int>(n / 3600 % 24), static_cast<int>(n / 60 % 60), static_cast<int>(n % 60),
        static_cast<int>(n % 1000000), static_cast<long long>(1000000 + n), static_cast<long long>(n), src,
        40000 + static_cast<int>(n % 20000), dest, sid, sev, static_cast<long long>(n));
    uint64_t uid[2] = {mix(2 * static_cast<uint64_t>(i)), mix(2 * static_cast<uint64_t>(i) + 1)};
    unsigned char src16[16] = {0,
                               0,
                               0,
                               0,
                               0,
                               0,
                               0,
                               0,
                               0,
                               0,
                               0xff,
                               0xff,
                               10,
                               1,
                               static_cast<unsigned char>(agent),
                               static_cast<unsigned char>(n % 250)};
    unsigned char dest16[16] = {0, 0, 0,    0,    0,   0, 0,   0,
                                0, 0, 0xff, 0xff, 203, 0, 113, static_cast<unsigned char>(n % 200)};
    sqlite3_reset(ins);
    sqlite3_bind_int64(ins, 1, i + 1);
    sqlite3_bind_text(ins, 2, agent_id, -1, SQLITE_STATIC);
    sqlite3_bind_blob(ins, 3, uid, sizeof uid, SQLITE_STATIC);
    sqlite3_bind_int64(ins, 4, ts);
    sqlite3_bind_int(ins, 5, sid);
    sqlite3_bind_text(ins, 6, "ET WEB_SERVER Possible SQL Injection Attempt UNION SELECT", -1, SQLITE_STATIC);
    sqlite3_bind_text(ins, 7, "Web Application Attack", -1, SQLITE_STATIC);
    sqlite3_bind_int(ins, 8, sev);
    sqlite3_bind_text(ins, 9, src, -1, SQLITE_STATIC);
    sqlite3_bind_int(ins, 10, 40000 + static_cast<int>(n % 20000));
    sqlite3_bind_text(ins, 11, dest, -1, SQLITE_STATIC);
    sqlite3_bind_int64(ins, 12, 1000000 + n);
    sqlite3_bind_int64(ins, 13, 1796000000);
    sqlite3_bind_text(ins, 14, json, jn, SQLITE_STATIC);
    sqlite3_bind_blob(ins, 15, src16, 16, SQLITE_STATIC);
    sqlite3_bind_blob(ins, 16, dest16, 16, SQLITE_STATIC);
    check(sqlite3_step(ins), db, "insert");
    if (i % txn == txn - 1 || i == rows - 1) exec(db, "COMMIT");
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const int64_t w = written_bytes() - w0;
  sqlite3_finalize(ins);
  sqlite3_close(db);
  std::printf("layout=%s rows=%lld txn=%lld part=%lld seconds=%.2f rows/s=%.0f written_bytes/row=%.0f\n",
              kNames[layout], static_cast<long long>(rows), static_cast<long long>(txn),
              static_cast<long long>(part), s, rows / s, static_cast<double>(w) / rows);
  for (const char* ext : {"", "-wal", "-shm"}) std::filesystem::remove(path + ext);
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir;
  int64_t rows = 500000, txn = 5000, part = 131072;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    if (k == "--dir")
      dir = argv[i + 1];
    else if (k == "--rows")
      rows = std::atoll(argv[i + 1]);
    else if (k == "--txn")
      txn = std::atoll(argv[i + 1]);
    else if (k == "--part")
      part = std::atoll(argv[i + 1]);
  }
  if (dir.empty() || rows < 1 || txn < 1 || part < 1) {
    std::fprintf(stderr, "usage: vigil-sqlite-floor --dir DIR [--rows N] [--txn N] [--part N]\n");
    return 2;
  }
  std::filesystem::create_directories(dir);
  for (int layout = 0; layout < 3; ++layout) run(dir, layout, rows, txn, part);
  return 0;
}

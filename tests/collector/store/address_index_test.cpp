// Address filters through the 16-byte address columns (src_ip16, dest_ip16):
// random IPv4 and IPv6 alerts with the first and last address of each tested
// block and one outside on each side; every block size from /8 to /128
// listed and compared with a check done here over all inserted alerts (its
// own prefix arithmetic, not the filter parser's); the stored BLOBs and
// indexes checked in the file; an old-schema database (TEXT indexes, no
// BLOB columns) migrated on open, answering the same, once.

#include <arpa/inet.h>
#include <sqlite3.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <random>
#include <set>

#include "../store_test_util.h"
#include "collector/api/alert_filter.h"
#include "collector/store/store.h"
#include "common/time.h"

using namespace vigil::collector;
using nlohmann::json;

namespace {

constexpr int64_t kBaseUs = 1764547200LL * 1000000;

struct Row {
  int64_t id = 0, ts_us = 0;
  std::string src, dest;
};

// 16 bytes, IPv4 mapped; written here with inet_pton, apart from ip16().
std::array<uint8_t, 16> bytes(const std::string& ip) {
  std::array<uint8_t, 16> b{};
  in_addr v4;
  in6_addr v6;
  if (inet_pton(AF_INET, ip.c_str(), &v4) == 1) {
    b[10] = b[11] = 0xff;
    std::memcpy(b.data() + 12, &v4, 4);
  } else {
    REQUIRE(inet_pton(AF_INET6, ip.c_str(), &v6) == 1);
    std::memcpy(b.data(), &v6, 16);
  }
  return b;
}

// Whether `ip` lies in `block` ("a.b.c.d/n", "x::/n", or one address).
bool in_block(const std::string& ip, const std::string& block) {
  size_t slash = block.find('/');
  std::string base = block.substr(0, slash);
  bool v4 = base.find(':') == std::string::npos;
  int bits = slash == std::string::npos ? 128 : std::stoi(block.substr(slash + 1)) + (v4 ? 96 : 0);
  auto a = bytes(ip), b = bytes(base);
  for (int i = 0; i < bits; ++i) {
    int bit = 7 - i % 8;
    if (((a[i / 8] >> bit) & 1) != ((b[i / 8] >> bit) & 1)) return false;
  }
  return true;
}

const char* kBlocks[] = {"10.0.0.0/8",          "10.20.0.0/16",  "10.20.30.0/24",
                         "10.20.30.40/32",      "10.20.30.40",   "2001:db8:1:2::/64",
                         "2001:db8:1:2::5/128", "2001:db8::/32", "::ffff:10.20.30.0/120",
                         "::ffff:10.20.30.40",  "172.16.0.0/12", "0.0.0.0/0"};

// The edges of each block and their neighbours outside it.
const char* kEdges[] = {"10.0.0.0",
                        "10.255.255.255",
                        "9.255.255.255",
                        "11.0.0.0",
                        "10.20.0.0",
                        "10.20.255.255",
                        "10.19.255.255",
                        "10.21.0.0",
                        "10.20.30.0",
                        "10.20.30.255",
                        "10.20.29.255",
                        "10.20.31.0",
                        "10.20.30.39",
                        "10.20.30.40",
                        "10.20.30.41",
                        "2001:db8:1:2::",
                        "2001:db8:1:2:ffff:ffff:ffff:ffff",
                        "2001:db8:1:1:ffff:ffff:ffff:ffff",
                        "2001:db8:1:3::",
                        "2001:db8:1:2::4",
                        "2001:db8:1:2::5",
                        "2001:db8:1:2::6",
                        "2001:db8::",
                        "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff",
                        "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff",
                        "2001:db9::",
                        "::ffff:a14:1e28",
                        "::ffff:a00:1",
                        "::a14:1e28",
                        "0.0.0.0",
                        "255.255.255.255",
                        "::",
                        "172.16.0.0",
                        "172.31.255.255",
                        "172.32.0.0",
                        "172.15.255.255"};

std::string random_ip(std::mt19937_64& r) {
  switch (r() % 6) {
    case 0:
      return kEdges[r() % std::size(kEdges)];
    case 1:
      return "10.20." + std::to_string(r() % 3 + 29) + "." + std::to_string(r() % 256);
    case 2:
      return std::to_string(r() % 256) + "." + std::to_string(r() % 256) + "." + std::to_string(r() % 256) +
             "." + std::to_string(r() % 256);
    case 3:
      return "2001:db8:1:" + std::to_string(r() % 3 + 1) + "::" + std::to_string(r() % 8);
    case 4: {
      char buf[64];
      std::snprintf(buf, sizeof buf, "2001:db%x:%x::%x", static_cast<unsigned>(r() % 16),
                    static_cast<unsigned>(r() % 65536), static_cast<unsigned>(r() % 65536));
      return buf;
    }
    default:
      return "10." + std::to_string(r() % 256) + "." + std::to_string(r() % 256) + "." +
             std::to_string(r() % 256);
  }
}

std::string temp_dir(const char* name) {
  return test::fresh_temp_dir("vigil-addr-", name);
}

std::string eve_text(const Row& x) {
  return json{
      {"timestamp", vigil::format_eve_time({x.ts_us / 1000000, static_cast<int32_t>(x.ts_us % 1000000)})},
      {"event_type", "alert"},
      {"src_ip", x.src},
      {"dest_ip", x.dest},
      {"proto", "TCP"},
      {"alert", {{"gid", 1}, {"signature_id", 2000001}, {"rev", 1}, {"signature", "s"}, {"severity", 2}}}}
      .dump();
}

std::vector<Row> make_rows(size_t n, uint64_t seed) {
  std::mt19937_64 r(seed);
  std::vector<Row> rows(n);
  for (size_t i = 0; i < n; ++i) {
    rows[i].id = static_cast<int64_t>(i) + 1;
    rows[i].ts_us = kBaseUs + static_cast<int64_t>(r() % (n / 2)) * 1000000;  // ties in time too
    rows[i].src = random_ip(r);
    rows[i].dest = random_ip(r);
  }
  return rows;
}

void ingest(Store& store, const std::vector<Row>& rows) {
  std::vector<IngestEvent> evs;
  for (size_t j = 0; j < rows.size(); ++j) {
    IngestEvent e;
    e.event_uid = "u" + std::to_string(j);
    e.text = eve_text(rows[j]);
    e.fields = vigil::wire::eve_fields_from_json(json::parse(e.text));
    evs.push_back(std::move(e));
  }
  IngestResult res;
  REQUIRE(store.ingest_batch("ag-1", 1, evs, 1, &res).ok);
  REQUIRE(res.stored == rows.size());
}

// Every id the store lists for `name=block`, paged with `limit`, in order.
std::vector<int64_t> listed(Store& store, const std::string& name, const std::string& block, int limit) {
  std::vector<int64_t> ids;
  std::string cursor;
  for (;;) {
    std::vector<std::pair<std::string, std::string>> p = {{name, block}, {"limit", std::to_string(limit)}};
    if (!cursor.empty()) p.emplace_back("cursor", cursor);
    AlertListQuery q;
    REQUIRE_FALSE(parse_alert_query(p, &q));
    AlertListPage page;
    REQUIRE(store.list_alerts(q, &page).ok);
    for (const auto& a : page.alerts) ids.push_back(a["id"].get<int64_t>());
    if (!page.next_cursor) break;
    cursor = encode_cursor(*page.next_cursor);
  }
  return ids;
}

std::vector<int64_t> expected(const std::vector<Row>& rows, bool src, const std::string& block) {
  std::vector<const Row*> m;
  for (const auto& x : rows)
    if (in_block(src ? x.src : x.dest, block)) m.push_back(&x);
  std::sort(m.begin(), m.end(), [](const Row* a, const Row* b) {
    return a->ts_us != b->ts_us ? a->ts_us > b->ts_us : a->id > b->id;
  });
  std::vector<int64_t> ids;
  for (const Row* x : m) ids.push_back(x->id);
  return ids;
}

// Each block, as source and as destination, with a small page (the
// newest-first walk for a wide block) and a large one (through the index).
void check_all_blocks(Store& store, const std::vector<Row>& rows) {
  for (const char* block : kBlocks) {
    for (bool src : {true, false}) {
      auto want = expected(rows, src, block);
      for (int limit : {37, 1000}) {
        INFO(block << (src ? " as src_ip" : " as dest_ip") << ", limit " << limit);
        CHECK(listed(store, src ? "src_ip" : "dest_ip", block, limit) == want);
      }
    }
  }
}

sqlite3* open_raw(const std::string& path) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  sqlite3_busy_timeout(db, 5000);
  return db;
}

int64_t scalar(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* st = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK);
  int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
  sqlite3_finalize(st);
  return v;
}

// The file holds, for every row, the 16-byte form of both addresses; the
// BLOB indexes exist and the TEXT ones do not.
void check_file(const std::string& path, const std::vector<Row>& rows) {
  sqlite3* db = open_raw(path);
  sqlite3_stmt* st = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "SELECT id, src_ip16, dest_ip16 FROM alerts ORDER BY id", -1, &st,
                             nullptr) == SQLITE_OK);
  size_t n = 0;
  while (sqlite3_step(st) == SQLITE_ROW) {
    REQUIRE(n < rows.size());
    const Row& x = rows[n++];
    REQUIRE(sqlite3_column_int64(st, 0) == x.id);
    for (int c : {1, 2}) {
      REQUIRE(sqlite3_column_bytes(st, c) == 16);
      auto want = bytes(c == 1 ? x.src : x.dest);
      CHECK(std::memcmp(sqlite3_column_blob(st, c), want.data(), 16) == 0);
    }
  }
  sqlite3_finalize(st);
  CHECK(n == rows.size());
  auto has = [&](const char* idx) {
    return scalar(
        db, std::string("SELECT COUNT(*) FROM sqlite_master WHERE type='index' AND name='") + idx + "'");
  };
  // Every partition has both indexes: a converted table keeps the names it
  // had, a new partition's are named after it (sqlite_alert_parts.h).
  auto on_every_part = [&](const char* suffix) {
    return scalar(db, std::string("SELECT COUNT(*) FROM alert_parts p WHERE NOT EXISTS (SELECT 1 FROM "
                                  "sqlite_master i WHERE i.type='index' AND i.tbl_name=p.name AND i.name IN "
                                  "('alerts_") +
                          suffix + "', p.name || '_" + suffix + "'))") == 0;
  };
  CHECK(on_every_part("src16"));
  CHECK(on_every_part("dest16"));
  CHECK(has("alerts_src") == 0);
  CHECK(has("alerts_dest") == 0);
  sqlite3_close(db);
}

// The alerts table and its indexes as the store created them before the
// address columns.
constexpr const char* kOldAlerts = R"sql(
CREATE TABLE alerts(id INTEGER PRIMARY KEY, agent_id TEXT NOT NULL, event_uid TEXT NOT NULL,
  ts INT NOT NULL, sid INT, gid INT, rev INT, signature TEXT, category TEXT, severity INT, src_ip TEXT,
  src_port INT, dest_ip TEXT, dest_port INT, proto TEXT, app_proto TEXT, flow_id INT, received_at INT NOT NULL,
  json TEXT NOT NULL, UNIQUE(agent_id, event_uid));
CREATE INDEX alerts_ts ON alerts(ts, id);
CREATE INDEX alerts_src ON alerts(src_ip, ts);
CREATE INDEX alerts_dest ON alerts(dest_ip, ts);
)sql";

void insert_old(sqlite3* db, const std::vector<Row>& rows) {
  REQUIRE(sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  REQUIRE(sqlite3_prepare_v2(
              db,
              "INSERT INTO alerts(id,agent_id,event_uid,ts,sid,gid,rev,signature,severity,src_ip,"
              "dest_ip,proto,received_at,json) VALUES(?,'ag-1',?,?,2000001,1,1,'s',2,?,?,'TCP',1,?)",
              -1, &st, nullptr) == SQLITE_OK);
  for (const auto& x : rows) {
    std::string uid = "u" + std::to_string(x.id), text = eve_text(x);
    sqlite3_bind_int64(st, 1, x.id);
    sqlite3_bind_text(st, 2, uid.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, x.ts_us);
    sqlite3_bind_text(st, 4, x.src.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 5, x.dest.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 6, text.c_str(), -1, SQLITE_TRANSIENT);
    REQUIRE(sqlite3_step(st) == SQLITE_DONE);
    sqlite3_reset(st);
  }
  sqlite3_finalize(st);
  REQUIRE(sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr) == SQLITE_OK);
}

}  // namespace

TEST_CASE("address blocks from /0 to /128 list exactly the alerts inside them") {
  // 0.0.0.0/0 then holds over 10000 alerts, listed by the newest-first walk
  // rather than the index (sqlite_alert_query.cpp, block_is_dense); the
  // smaller blocks go through the index.
  auto rows = make_rows(20000, 11);
  REQUIRE(expected(rows, true, "0.0.0.0/0").size() > 10000);
  std::string dir = temp_dir("new");
  std::string err;
  auto store = test::open_test_store(dir, &err);
  INFO(err);
  REQUIRE(store);
  ingest(*store, rows);
  if (!test::pg_run()) check_file(dir + "/c.db", rows);  // the SQLite file's BLOB columns
  check_all_blocks(*store, rows);
  // The IPv4 blocks hold IPv4 alerts only; the mapped form of an IPv4
  // address is the same address.
  // (::ffff:a00:1 is 10.0.0.1; ::a14:1e28, IPv4-compatible, is not 10.20.30.40.)
  auto v4 = listed(*store, "src_ip", "10.0.0.0/8", 100);
  CHECK(v4.size() > 100);
  for (int64_t id : v4) {
    auto b = bytes(rows[static_cast<size_t>(id - 1)].src);
    CHECK(std::all_of(b.begin(), b.begin() + 10, [](uint8_t c) { return c == 0; }));
    CHECK((b[10] == 0xff && b[11] == 0xff));
  }
  for (int64_t id : listed(*store, "src_ip", "10.20.30.40", 100))
    CHECK(rows[static_cast<size_t>(id - 1)].src != "::a14:1e28");
  CHECK(expected(rows, true, "::ffff:10.20.30.40") == expected(rows, true, "10.20.30.40"));
  // The legacy exact query (AlertQuery) goes through the same column.
  AlertQuery q;
  q.src_ip = "::ffff:10.20.30.40";
  q.limit = 10000;
  AlertPage page;
  REQUIRE(store->query_alerts(q, &page).ok);
  CHECK(page.total == static_cast<int64_t>(expected(rows, true, "10.20.30.40").size()));
  store.reset();
  std::filesystem::remove_all(dir);
}

TEST_CASE("an old-schema database gets the address columns on open and answers the same, once", "[sqlite]") {
  auto rows = make_rows(3000, 12);
  std::string dir = temp_dir("old");
  std::string path = dir + "/c.db";
  sqlite3* db = open_raw(path);
  REQUIRE(sqlite3_exec(db, kOldAlerts, nullptr, nullptr, nullptr) == SQLITE_OK);
  insert_old(db, rows);
  sqlite3_close(db);

  std::string err;
  auto store = open_sqlite_store(path, &err);
  REQUIRE(store);
  store.reset();
  check_file(path, rows);
  db = open_raw(path);
  int64_t schema = scalar(db, "PRAGMA schema_version");
  sqlite3_close(db);

  // A second open finds nothing to do: the schema is not touched.
  store = open_sqlite_store(path, &err);
  REQUIRE(store);
  check_all_blocks(*store, rows);
  store.reset();
  db = open_raw(path);
  CHECK(scalar(db, "PRAGMA schema_version") == schema);

  // The table became the first partition: a version from before
  // partitions cannot write to the view, so no older version adds rows
  // without BLOBs after this (it refuses ingest; see sqlite_alert_parts.h).
  CHECK(scalar(db, "SELECT COUNT(*) FROM sqlite_master WHERE type='view' AND name='alerts'") == 1);
  CHECK(scalar(db, "SELECT COUNT(*) FROM alert_parts") == 1);
  sqlite3_close(db);
  store = open_sqlite_store(path, &err);
  REQUIRE(store);
  CHECK(listed(*store, "src_ip", "10.20.30.40", 100) == expected(rows, true, "10.20.30.40"));
  store.reset();
  std::filesystem::remove_all(dir);
}

TEST_CASE("a malformed address or prefix is still refused by the filter") {
  for (const char* bad : {"10.0.0.300", "10.0.0.0/33", "2001:db8::/129", "::ffff:10.0.0.1/129", "10.0.0.0/",
                          "10.0.0.0/-1", "10.0.0.0/8/8", "abc", "10.0.0", "2001:db8:::1"}) {
    INFO(bad);
    for (const char* name : {"src_ip", "dest_ip"}) {
      AlertListQuery q;
      auto e = parse_alert_query({{name, bad}}, &q);
      REQUIRE(e);
      CHECK(e->param == name);
    }
  }
}

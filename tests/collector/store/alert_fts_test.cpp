// Free text (q) over alerts through SQLite FTS5: what is found (signature and
// app-layer words, accents dropped, prefixes) and what is not (JSON key
// names, fields not indexed); the index kept in step with the alerts through
// retention (blocks dropped whole) and duplicate resends; an older database indexed at open; q text
// never read as FTS5 syntax. The same expectations hold for the PostgreSQL
// store's free text (collector[pg] registration).
#include "collector/store/alert_fts.h"

#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <set>
#include <thread>

#include "../store_test_util.h"
#include "collector/api/alert_filter.h"
#include "collector/store/store.h"

using namespace vigil::collector;
using nlohmann::json;

namespace {

constexpr int64_t kBaseS = 1764547200;  // 2025-12-01T00:00:00Z

std::string temp_dir(const char* name) {
  return test::fresh_temp_dir("vigil-fts-", name);
}

std::string eve_time(int64_t s) {
  return test::eve_time_us(s * 1'000'000);
}

json alert(int64_t ts_s, const char* signature, int severity) {
  return {{"timestamp", eve_time(ts_s)},
          {"event_type", "alert"},
          {"src_ip", "10.0.0.1"},
          {"dest_ip", "192.0.2.1"},
          {"proto", "TCP"},
          {"alert", {{"signature_id", 2000001}, {"signature", signature}, {"severity", severity}}}};
}

// Three alerts: an HTTP one, a DNS one with a Vietnamese signature, a TLS one.
std::vector<IngestEvent> sample() {
  json a = alert(kBaseS + 1, "ET WEB_SERVER Possible SQL Injection Attempt", 1);
  a["app_proto"] = "http";
  a["http"] = {{"hostname", "www.evil.example.com"},
               {"url", "/site/admin.php?id=1"},
               {"http_user_agent", "sqlmap/1.7"},
               {"status", 200}};
  a["payload_printable"] = "zebrapayload";  // not app-layer: not indexed
  json b = alert(kBaseS + 2, "ET POLICY Đăng nhập trái phép", 2);
  b["app_proto"] = "dns";
  b["dns"] = {{"query", json::array({{{"rrname", "cdn.test"}, {"rrtype", "A"}}})}};
  json c = alert(kBaseS + 3, "ET INFO TLS handshake", 3);
  c["app_proto"] = "tls";
  c["tls"] = {{"sni", "good.example.org"}, {"ja3", {{"hash", "e7d705a3286e19ea42f587b344ee6865"}}}};
  c["metadata"] = {{"flowbits", json::array({"walrusbit"})}};  // not app-layer: not indexed
  return {{"u1", a}, {"u2", b}, {"u3", c}};
}

// The first column of the first row of `sql` on the SQLite file at `path`.
int64_t sqlite_num(const std::string& path, const std::string& sql) {
  sqlite3* db = test::open_store_file(path);
  REQUIRE(db);
  sqlite3_stmt* st = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK);
  int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
  sqlite3_finalize(st);
  sqlite3_close(db);
  return v;
}

struct Fixture {
  std::string dir;
  test::TestDb db;
  std::string path;
  bool pg;  // PostgreSQL (the collector[pg] registration): no SQLite file to look into
  std::unique_ptr<Store> store;
  explicit Fixture(const char* name) : dir(temp_dir(name)), db(dir), path(db.path), pg(db.url.has_value()) {
    reopen();
  }
  ~Fixture() {
    store.reset();
    std::filesystem::remove_all(dir);
  }
  void reopen() {
    store.reset();
    std::string err;
    store = db.open(&err);
    INFO(err);
    REQUIRE(store);
  }
  IngestResult ingest(uint64_t seq, const std::vector<IngestEvent>& evs) {
    IngestResult r;
    REQUIRE(store->ingest_batch("ag", seq, evs, kBaseS + 10, &r).ok);
    return r;
  }
  // Ids the list answers for these parameters (all pages of 2).
  std::vector<int64_t> ids(std::vector<std::pair<std::string, std::string>> params) {
    AlertListQuery q;
    REQUIRE_FALSE(parse_alert_query(params, &q));
    q.limit = 2;
    std::vector<int64_t> out;
    for (int page = 0; page < 100; ++page) {
      AlertListPage p;
      REQUIRE(store->list_alerts(q, &p).ok);
      for (const auto& a : p.alerts) out.push_back(a["id"].get<int64_t>());
      if (!p.next_cursor) break;
      q.cursor = p.next_cursor;
    }
    return out;
  }
  std::vector<int64_t> q(const std::string& text) { return ids({{"q", text}}); }
  // SQL on the SQLite file (not in the PostgreSQL run), after a list
  // request with free text: it waits for the index thread to commit what
  // ingest handed it.
  int64_t num(const std::string& sql) {
    REQUIRE_FALSE(pg);
    if (store) {
      AlertListQuery q;
      q.limit = 1;
      q.filter.q = "x";
      AlertListPage p;
      REQUIRE(store->list_alerts(q, &p).ok);
    }
    return sqlite_num(path, sql);
  }
  void exec(const std::string& sql) {
    REQUIRE_FALSE(pg);
    sqlite3* db = test::open_store_file(path);
    REQUIRE(db);
    REQUIRE(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
  }
};

using Ids = std::vector<int64_t>;

}  // namespace

TEST_CASE("fts_match_expression quotes every term and ANDs them") {
  CHECK(fts_match_expression("evil.example.com") == "\"evil.example.com\"");
  CHECK(fts_match_expression("  sql   injection ") == "\"sql\" AND \"injection\"");
  CHECK(fts_match_expression("inj*") == "\"inj\"*");
  CHECK(fts_match_expression("a* b") == "\"a*\" AND \"b\"");  // only the last term is a prefix
  CHECK(fts_match_expression("say \"hi\"") == "\"say\" AND \"\"\"hi\"\"\"");
  CHECK(fts_match_expression("x OR y") == "\"x\" AND \"OR\" AND \"y\"");
  CHECK(fts_match_expression("NEAR(a b)") == "\"NEAR(a\" AND \"b)\"");
  CHECK(fts_match_expression("Đăng") == "\"dăng\"");
  CHECK(fts_match_expression("- ^ * \"") == std::nullopt);  // punctuation only: nothing to search
  CHECK(fts_match_expression("") == std::nullopt);
  CHECK(fts_match_expression("-evil") == "\"-evil\"");
}

TEST_CASE("alert_app_text takes the string values of the app-layer objects only") {
  json e = {{"app_proto", "smb"},
            {"http", {{"hostname", "a.example"}, {"status", 200}, {"xs", {"u", {{"k", "v"}}}}}},
            {"smb", {{"filename", "Đường.doc"}}},
            {"alert", {{"signature", "not here"}}},
            {"payload_printable", "nor here"},
            {"krb5", {{"cname", "only when app_proto"}}}};
  CHECK(alert_app_text(e.dump(), "smb") == "a.example u v Dường.doc");  // accents: the tokenizer
  CHECK(alert_app_text(e.dump(), "") == "a.example u v");
  CHECK(alert_app_text("not json", "http").empty());
  CHECK(alert_app_text("[1,2]", "http").empty());
  json big = {{"http", {{"url", std::string(20000, 'x')}}}};
  CHECK(alert_app_text(big.dump(), "http").size() == 8192);
}

TEST_CASE("q finds alerts by signature and app-layer words, not by key names or other fields") {
  Fixture f("find");
  REQUIRE(f.ingest(1, sample()).stored == 3);
  CHECK(f.q("injection") == Ids{1});
  CHECK(f.q("SQL injection") == Ids{1});
  CHECK(f.q("evil.example.com") == Ids{1});                  // http hostname
  CHECK(f.q("example.com") == Ids{1});                       // a phrase inside the host name
  CHECK(f.q("/site/admin.php") == Ids{1});                   // url path
  CHECK(f.q("sqlmap") == Ids{1});                            // user agent
  CHECK(f.q("cdn.test") == Ids{2});                          // dns rrname inside an array
  CHECK(f.q("dang nhap trai phep") == Ids{2});               // Vietnamese without its accents
  CHECK(f.q("Đăng nhập") == Ids{2});                         // and with them
  CHECK(f.q("inject*") == Ids{1});                           // prefix
  CHECK(f.q("exam*") == Ids{3, 1});                          // prefix over host names, newest first
  CHECK(f.q("e7d705a3286e19ea42f587b344ee6865") == Ids{3});  // tls ja3 hash, nested
  CHECK(f.q("example") == Ids{3, 1});
  CHECK(f.q("example injection") == Ids{1});  // terms ANDed
  CHECK(f.q("inject").empty());               // a word, not a substring, unless a prefix
  CHECK(f.q("hostname").empty());             // a JSON key name
  CHECK(f.q("rrname").empty());
  CHECK(f.q("zebrapayload").empty());  // payload: not indexed
  CHECK(f.q("walrusbit").empty());     // metadata: not indexed
  CHECK(f.q("192.0.2.1").empty());     // addresses: their own filters
  // With the other filters.
  CHECK(f.ids({{"q", "example"}, {"severity", "3"}}) == Ids{3});
  CHECK(f.ids({{"q", "example"}, {"app_proto", "http"}}) == Ids{1});
}

// The HTTP path gives the store each event's received text and parsed
// fields (the store then reads the app-layer text before its write lock);
// the index must be the one a DOM-only caller gets.
TEST_CASE("q finds the same alerts when ingest gives the received text and fields") {
  Fixture f("received");
  std::vector<IngestEvent> evs = sample();
  for (auto& e : evs) {
    e.text = e.eve.dump();
    e.fields = eve_fields_from_json(e.eve);
  }
  evs[2].text.clear();  // one without its text: the store writes the DOM
  REQUIRE(f.ingest(1, evs).stored == 3);
  CHECK(f.q("evil.example.com") == Ids{1});
  CHECK(f.q("sqlmap") == Ids{1});
  CHECK(f.q("cdn.test") == Ids{2});
  CHECK(f.q("dang nhap trai phep") == Ids{2});
  CHECK(f.q("e7d705a3286e19ea42f587b344ee6865") == Ids{3});
  CHECK(f.q("exam*") == Ids{3, 1});
  CHECK(f.q("zebrapayload").empty());
  CHECK(f.q("hostname").empty());
}

TEST_CASE("q with severity and paging gives the ids a scan in C++ gives") {
  Fixture f("paging");
  // 300 alerts over five host names and four severities, several batches.
  const char* hosts[] = {"alpha.example", "beta.example", "gamma.test", "delta.test", "alpha.test"};
  struct Row {
    int64_t id, ts;
    int severity;
    std::string host;
  };
  std::vector<Row> rows;
  for (uint64_t batch = 1; batch <= 3; ++batch) {
    std::vector<IngestEvent> evs;
    for (int k = 0; k < 100; ++k) {
      int64_t n = static_cast<int64_t>(rows.size());
      Row r{n + 1, kBaseS + (n * 7919) % 500, static_cast<int>(1 + n % 4), hosts[(n * 31) % 5]};
      json a = alert(r.ts, "ET TEST paging rule", r.severity);
      a["app_proto"] = "http";
      a["http"] = {{"hostname", r.host}, {"url", "/"}};
      evs.push_back({"p" + std::to_string(n), a});
      rows.push_back(r);
    }
    REQUIRE(f.ingest(batch, evs).stored == 100);
  }
  for (const char* text : {"alpha", "example", "alpha.test", "alp*"}) {
    for (const char* sev : {"1", "2,4"}) {
      std::string s = text;
      std::string word = s.back() == '*' ? s.substr(0, s.size() - 1) : s;
      std::vector<const Row*> m;
      for (const auto& r : rows) {
        bool sev_ok = std::string(sev).find(std::to_string(r.severity)) != std::string::npos;
        // Host names here are two words; a term matches a word, a phrase of them, or a prefix.
        bool text_ok =
            s.back() == '*'
                ? r.host.rfind(word, 0) == 0
                : (r.host == word || r.host.rfind(word + ".", 0) == 0 ||
                   r.host.size() > word.size() &&
                       r.host.compare(r.host.size() - word.size() - 1, word.size() + 1, "." + word) == 0);
        if (sev_ok && text_ok) m.push_back(&r);
      }
      std::sort(m.begin(), m.end(),
                [](const Row* a, const Row* b) { return a->ts != b->ts ? a->ts > b->ts : a->id > b->id; });
      Ids want;
      for (auto* r : m) want.push_back(r->id);
      INFO("q=" << text << " severity=" << sev);
      REQUIRE_FALSE(want.empty());
      CHECK(f.ids({{"q", text}, {"severity", sev}}) == want);
    }
  }
}

TEST_CASE("a q found in more alerts than the index drives pages the same") {
  // Past 5000 matches the rows are walked in time order and probed against
  // the match set (sqlite_alert_query.cpp); the answer must not change.
  Fixture f("common");
  struct Row {
    int64_t id, ts;
    int severity;
    bool word;
  };
  std::vector<Row> rows;
  for (uint64_t batch = 1; batch <= 7; ++batch) {
    std::vector<IngestEvent> evs;
    for (int k = 0; k < 1000; ++k) {
      int64_t n = static_cast<int64_t>(rows.size());
      Row r{n + 1, kBaseS + (n * 7919) % 3000, static_cast<int>(1 + n % 3), n % 10 != 0};
      json a = alert(r.ts, "ET TEST common rule", r.severity);
      a["app_proto"] = "http";
      a["http"] = {{"hostname", r.word ? "common.example" : "rare.example"}};
      evs.push_back({"c" + std::to_string(n), a});
      rows.push_back(r);
    }
    REQUIRE(f.ingest(batch, evs).stored == 1000);
  }
  std::vector<const Row*> m;
  for (const auto& r : rows)
    if (r.word && r.severity == 2) m.push_back(&r);
  std::sort(m.begin(), m.end(),
            [](const Row* a, const Row* b) { return a->ts != b->ts ? a->ts > b->ts : a->id > b->id; });
  Ids want;
  for (auto* r : m) want.push_back(r->id);
  REQUIRE(std::count_if(rows.begin(), rows.end(), [](const Row& r) { return r.word; }) > 5000);
  AlertListQuery q;
  REQUIRE_FALSE(parse_alert_query({{"q", "common.example"}, {"severity", "2"}}, &q));
  q.limit = 500;
  Ids got;
  for (int page = 0; page < 100; ++page) {
    AlertListPage p;
    REQUIRE(f.store->list_alerts(q, &p).ok);
    if (page == 0) CHECK(p.total == static_cast<int64_t>(want.size()));
    for (const auto& a : p.alerts) got.push_back(a["id"].get<int64_t>());
    if (!p.next_cursor) break;
    q.cursor = p.next_cursor;
  }
  CHECK(got == want);
  // The index-driven side: 700 alerts, all on one page.
  AlertListQuery rare;
  REQUIRE_FALSE(parse_alert_query({{"q", "rare.example"}, {"limit", "1000"}}, &rare));
  AlertListPage p;
  REQUIRE(f.store->list_alerts(rare, &p).ok);
  CHECK(p.alerts.size() == 700);
  CHECK(p.total == 700);
}

TEST_CASE("an alert retention deleted is matched no more, nor counted") {
  Fixture f("retention");
  REQUIRE(f.ingest(1, sample()).stored == 3);
  if (!f.pg) REQUIRE(f.num("SELECT COUNT(*) FROM alerts_fts") == 3);
  RetentionPolicy p;
  p.max_alerts = 1;  // keeps the newest (the TLS alert)
  RetentionResult r;
  REQUIRE(f.store->enforce_retention(p, kBaseS + 100, &r).ok);
  REQUIRE(r.alerts == 2);
  CHECK(f.q("injection").empty());
  CHECK(f.q("dang").empty());
  CHECK(f.q("example") == Ids{3});
  for (const char* text : {"example", "injection", "et"}) {
    AlertListQuery q;
    REQUIRE_FALSE(parse_alert_query({{"q", text}}, &q));
    AlertListPage page;
    REQUIRE(f.store->list_alerts(q, &page).ok);
    INFO(text);
    CHECK(page.total == static_cast<int64_t>(page.alerts.size()));
    CHECK(page.total == (std::string(text) == "injection" ? 0 : 1));
  }
}

// The SQLite index in blocks of at least 10 ids (alert_fts.h): retention
// drops the blocks it emptied whole and leaves the rows of the others, which
// no answer shows; an id SQLite gives out again replaces the row of the
// alert that had it.
TEST_CASE("free-text blocks: retention drops emptied blocks, answers stay exact", "[sqlite]") {
  std::string dir = temp_dir("blocks"), path = dir + "/c.db", err;
  SqliteStoreOptions opts;
  opts.part_min = 10;
  auto store = open_sqlite_store(path, &err, opts);
  REQUIRE(store);
  auto num = [&](const std::string& sql) { return sqlite_num(path, sql); };
  auto ids = [&](const std::string& text, int64_t* total) {
    AlertListQuery q;
    REQUIRE_FALSE(parse_alert_query({{"q", text}, {"limit", "1000"}}, &q));
    AlertListPage page;
    REQUIRE(store->list_alerts(q, &page).ok);
    Ids out;
    for (const auto& a : page.alerts) out.push_back(a["id"].get<int64_t>());
    std::sort(out.begin(), out.end());
    if (total) *total = page.total;
    return out;
  };
  // 100 alerts in batches of 5, event time rising with the id; alert i has
  // the words "common" and "wordK" (K = i % 7).
  uint64_t seq = 1;
  auto batch = [&](int64_t first, int n, int64_t ts0, const std::string& extra) {
    std::vector<IngestEvent> b;
    for (int64_t i = first; i < first + n; ++i) {
      std::string sig = "ET TEST common word" + std::to_string(i % 7) + " " + extra;
      b.push_back({"u" + std::to_string(i) + extra, alert(ts0 + i, sig.c_str(), 2)});
    }
    IngestResult r;
    REQUIRE(store->ingest_batch("ag", seq++, b, kBaseS + 10, &r).ok);
    REQUIRE(r.stored == static_cast<uint64_t>(n));
  };
  for (int64_t i = 1; i <= 100; i += 5) batch(i, 5, kBaseS, "");
  REQUIRE(num("SELECT MAX(id) FROM alerts") == 100);
  int64_t blocks = num("SELECT COUNT(*) FROM alerts_fts_blocks");
  CHECK(blocks >= 8);
  auto expect = [](int64_t lo, int64_t hi, int k) {
    Ids out;
    for (int64_t i = lo; i <= hi; ++i)
      if (k < 0 || i % 7 == k) out.push_back(i);
    return out;
  };
  int64_t total = 0;
  CHECK(ids("common", &total) == expect(1, 100, -1));
  CHECK(total == 100);
  CHECK(ids("word3", nullptr) == expect(1, 100, 3));

  // Keep the newest 35: whole partitions go while they hold no more than
  // the alerts over the limit and an eighth of it (so up to 4 fewer may be
  // kept), then single alerts; the blocks wholly below the first id kept (k)
  // go, their rows with them.
  RetentionPolicy p;
  p.max_alerts = 35;
  RetentionResult r;
  REQUIRE(store->enforce_retention(p, kBaseS + 1000, &r).ok);
  REQUIRE(r.alerts >= 65);
  REQUIRE(r.alerts <= 65 + 35 / 8);
  const int64_t k = static_cast<int64_t>(r.alerts) + 1;
  CHECK(num("SELECT COUNT(*) FROM alerts_fts_blocks") < blocks);
  // Every block but the newest still holds an alert; what is left of the
  // deleted ones is in the oldest block alone.
  CHECK(num("SELECT COUNT(*) FROM alerts_fts_blocks b WHERE first_id < (SELECT MAX(first_id) FROM "
            "alerts_fts_blocks) AND NOT EXISTS (SELECT 1 FROM alerts WHERE id >= b.first_id AND id < (SELECT "
            "MIN(first_id) FROM alerts_fts_blocks n WHERE n.first_id > b.first_id))") == 0);
  CHECK(num("SELECT MIN(first_id) FROM alerts_fts_blocks") > 50);
  CHECK(ids("common", &total) == expect(k, 100, -1));
  CHECK(total == 101 - k);
  CHECK(ids("word3", &total) == expect(k, 100, 3));
  CHECK(total == static_cast<int64_t>(expect(k, 100, 3).size()));

  // Five late alerts (event time a year back) take ids 101-105; retention by
  // age deletes them, so SQLite gives 101-105 out again to the next alerts.
  batch(101, 5, kBaseS - 365 * 86400 - 200, "stale");
  CHECK(ids("stale", nullptr) == expect(101, 105, -1));
  RetentionPolicy age;
  age.max_age_s = 30 * 86400;
  REQUIRE(store->enforce_retention(age, kBaseS + 1000, &r).ok);
  REQUIRE(r.alerts == 5);
  REQUIRE(num("SELECT MAX(id) FROM alerts") == 100);
  batch(101, 5, kBaseS, "fresh");
  REQUIRE(num("SELECT MAX(id) FROM alerts") == 105);
  CHECK(ids("stale", &total).empty());
  CHECK(total == 0);
  CHECK(ids("fresh", nullptr) == expect(101, 105, -1));
  CHECK(ids("common", &total) == expect(k, 105, -1));
  CHECK(total == 106 - k);

  // The blocks are the database's: the same answers after a reopen, and new
  // alerts still indexed.
  store.reset();
  store = open_sqlite_store(path, &err, opts);
  REQUIRE(store);
  CHECK(ids("common", &total) == expect(k, 105, -1));
  batch(106, 5, kBaseS, "again");
  CHECK(ids("again", nullptr) == expect(106, 110, -1));
  CHECK(ids("common", &total) == expect(k, 110, -1));
  CHECK(total == 111 - k);

  // Everything past its age: all but the newest block go, and with no
  // alert left the ids go on from the newest partition's first.
  REQUIRE(store->enforce_retention(age, kBaseS + 400 * 86400, &r).ok);
  REQUIRE(r.alerts == static_cast<uint64_t>(111 - k));
  CHECK(num("SELECT COUNT(*) FROM alerts_fts_blocks") == 1);
  CHECK(ids("common", &total).empty());
  CHECK(total == 0);
  const int64_t first = num("SELECT MAX(first_id) FROM alert_parts");
  REQUIRE(first > 100);
  batch(1, 5, kBaseS + 400 * 86400, "reborn");
  REQUIRE(num("SELECT MIN(id) FROM alerts") == first);
  REQUIRE(num("SELECT MAX(id) FROM alerts") == first + 4);
  CHECK(ids("reborn", nullptr) == expect(first, first + 4, -1));
  CHECK(ids("common", &total) == expect(first, first + 4, -1));
  CHECK(total == 5);
  CHECK(ids("again", nullptr).empty());
  store.reset();
  std::filesystem::remove_all(dir);
}

TEST_CASE("a resent batch or event adds no index rows") {
  Fixture f("dup");
  REQUIRE(f.ingest(1, sample()).stored == 3);
  CHECK(f.ingest(1, sample()).duplicate_batch);        // the same batch again
  CHECK(f.ingest(2, sample()).duplicate_events == 3);  // the same events in a new batch
  if (!f.pg) CHECK(f.num("SELECT COUNT(*) FROM alerts_fts") == 3);
  CHECK(f.q("injection") == Ids{1});
}

TEST_CASE("a database without the index gets it, with its alerts, at open", "[sqlite]") {
  Fixture f("migrate");
  REQUIRE(f.ingest(1, sample()).stored == 3);
  f.store.reset();
  // What a database from before the index looks like: no index file.
  const std::string text = alert_text_index_path(f.path);
  REQUIRE(std::filesystem::exists(text));
  for (const char* sfx : {"", "-wal", "-shm"}) std::filesystem::remove(text + sfx);
  f.reopen();
  CHECK(f.num("SELECT COUNT(*) FROM alerts_fts") == 3);
  CHECK(f.q("injection") == Ids{1});
  CHECK(f.q("dang nhap") == Ids{2});
  // Opening again indexes nothing twice; new alerts are indexed.
  f.reopen();
  json d = alert(kBaseS + 5, "ET SCAN late arrival", 2);
  REQUIRE(f.ingest(2, {{"u9", d}}).stored == 1);
  CHECK(f.num("SELECT COUNT(*) FROM alerts_fts") == 4);
  CHECK(f.q("arrival") == Ids{4});
}

// Before the index had a file of its own it was in the store's database:
// those tables (blocks, catalog, the delete trigger of an older layout) are
// dropped at open and the index is built in its file from the alerts.
TEST_CASE("a store with the index in its own database gets it moved to the index file", "[sqlite]") {
  Fixture f("move");
  REQUIRE(f.ingest(1, sample()).stored == 3);
  f.store.reset();
  const std::string text = alert_text_index_path(f.path);
  for (const char* sfx : {"", "-wal", "-shm"}) std::filesystem::remove(text + sfx);
  f.exec(
      "CREATE VIRTUAL TABLE alerts_fts USING fts5(signature, app);"
      "CREATE VIRTUAL TABLE alerts_fts_b50 USING fts5(signature, app);"
      "CREATE TABLE alerts_fts_blocks(first_id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);"
      "INSERT INTO alerts_fts_blocks VALUES(0, 'alerts_fts'), (50, 'alerts_fts_b50');"
      "INSERT INTO alerts_fts(rowid, signature, app) VALUES(1, 'stale', 'stale');");
  f.reopen();
  CHECK(sqlite_num(f.path, "SELECT COUNT(*) FROM main.sqlite_master WHERE name LIKE 'alerts_fts%'") == 0);
  CHECK(f.num("SELECT COUNT(*) FROM alerts_fts") == 3);
  CHECK(f.q("stale").empty());
  CHECK(f.q("injection") == Ids{1});
  CHECK(f.q("dang nhap") == Ids{2});
  json d = alert(kBaseS + 5, "ET SCAN late arrival", 2);
  REQUIRE(f.ingest(2, {{"u9", d}}).stored == 1);
  CHECK(f.q("arrival") == Ids{4});
}

// The index holds nothing the alerts do not: a damaged file is kept aside
// and built again at open, and ingest goes on.
TEST_CASE("a damaged index file is set aside and built again from the alerts", "[sqlite]") {
  Fixture f("damaged");
  REQUIRE(f.ingest(1, sample()).stored == 3);
  f.store.reset();
  const std::string text = alert_text_index_path(f.path);
  {
    std::FILE* out = std::fopen(text.c_str(), "r+b");
    REQUIRE(out);
    const std::string junk(8192, '\xfe');
    REQUIRE(std::fwrite(junk.data(), 1, junk.size(), out) == junk.size());
    std::fclose(out);
  }
  f.reopen();
  bool kept = false;
  for (const auto& e : std::filesystem::directory_iterator(f.dir))
    kept = kept || e.path().filename().string().find("-text.db.damaged-") != std::string::npos;
  CHECK(kept);
  CHECK(f.q("injection") == Ids{1});
  CHECK(f.q("example") == Ids{3, 1});
  json d = alert(kBaseS + 5, "ET SCAN late arrival", 2);
  REQUIRE(f.ingest(2, {{"u9", d}}).stored == 1);
  CHECK(f.q("arrival") == Ids{4});
}

// A commit of the index (asked for by a reader) while a group's alerts are
// not yet committed, then a crash, leaves rows for ids no alert has. They
// are deleted at open, and the alerts that then take those ids are indexed
// (a plain insert would find the old row).
TEST_CASE("index rows above the highest alert id are deleted at open", "[sqlite]") {
  Fixture f("phantom");
  REQUIRE(f.ingest(1, sample()).stored == 3);
  f.store.reset();
  f.exec("INSERT INTO alerts_fts(rowid, signature, app) VALUES(4, 'ghost', ''), (5, 'ghost', '')");
  f.reopen();
  CHECK(f.num("SELECT COUNT(*) FROM alerts_fts") == 3);
  CHECK(f.q("ghost").empty());
  json d = alert(kBaseS + 5, "ET SCAN kiwi", 2);
  json e = alert(kBaseS + 6, "ET SCAN mango", 2);
  REQUIRE(f.ingest(2, {{"u9", d}, {"u10", e}}).stored == 2);
  CHECK(f.q("kiwi") == Ids{4});
  CHECK(f.q("mango") == Ids{5});
  CHECK(f.q("ghost").empty());
}

// Batches from several agents at once go through the group commit, with the
// index written on its own thread; every stored alert is found once.
TEST_CASE("q finds every alert of concurrent ingest") {
  Fixture f("concurrent");
  std::vector<std::thread> ts;
  std::atomic<int> failed{0};
  for (int a = 0; a < 4; ++a)
    ts.emplace_back([&, a] {
      for (int b = 0; b < 10; ++b) {
        std::vector<IngestEvent> evs;
        for (int i = 0; i < 50; ++i) {
          json x =
              alert(kBaseS + b * 50 + i, ("ET TEST agent" + std::to_string(a) + " zulu").c_str(), 1 + i % 3);
          x["app_proto"] = "http";
          x["http"] = {{"hostname", "h" + std::to_string(i % 5) + ".example"}};
          evs.push_back({"u" + std::to_string(b * 50 + i), x});
        }
        IngestResult r;
        if (!f.store
                 ->ingest_batch("ag" + std::to_string(a), static_cast<uint64_t>(b + 1), evs, kBaseS + 10, &r)
                 .ok ||
            r.stored != 50)
          ++failed;
      }
    });
  for (auto& t : ts) t.join();
  REQUIRE(failed == 0);
  AlertListQuery q;
  REQUIRE_FALSE(parse_alert_query({{"q", "zulu"}, {"limit", "1000"}}, &q));
  std::set<int64_t> seen;
  for (int pages = 0; pages < 10; ++pages) {
    AlertListPage page;
    REQUIRE(f.store->list_alerts(q, &page).ok);
    if (pages == 0) CHECK(page.total == 2000);
    for (const auto& a : page.alerts) seen.insert(a["id"].get<int64_t>());
    if (!page.next_cursor) break;
    q.cursor = page.next_cursor;
  }
  CHECK(seen.size() == 2000);
  CHECK(f.ids({{"q", "agent2 h3.example"}}).size() == 100);
  if (!f.pg) CHECK(f.num("SELECT COUNT(*) FROM alerts_fts") == 2000);
}

TEST_CASE("hostile q is refused or searched as text, never an error") {
  Fixture f("hostile");
  REQUIRE(f.ingest(1, sample()).stored == 3);
  std::vector<std::string> texts = {"\"",
                                    "*",
                                    "NEAR(",
                                    "NEAR(a b, 1)",
                                    "OR",
                                    "a OR b",
                                    "-",
                                    "-injection",
                                    "^",
                                    "^sql",
                                    "sig:inject",
                                    "signature:sql",
                                    "(",
                                    ")",
                                    "\"\"\"",
                                    "x\"y",
                                    "**",
                                    "inj**",
                                    "{app} : sql",
                                    "sql NOT",
                                    "AND",
                                    "\xC3",
                                    "\xff\xfe",
                                    "— –",
                                    std::string(10240, 'a'),
                                    std::string("a\0b", 3)};
  for (const auto& t : texts) {
    INFO("q=" << t.substr(0, 40));
    AlertListQuery q;
    auto e = parse_alert_query({{"q", t}}, &q);
    if (e) continue;  // refused with a reason: a 400
    AlertListPage p;
    CHECK(f.store->list_alerts(q, &p).ok);
  }
  // Operators are words: "OR" alone finds nothing, never everything.
  CHECK(f.q("OR").empty());
  CHECK(f.q("-injection") == Ids{1});
  CHECK(f.q("signature:sql").empty());
  AlertListQuery q;
  CHECK(parse_alert_query({{"q", "- ^ \" *"}}, &q));
  CHECK(parse_alert_query({{"q", std::string(10240, 'a')}}, &q));
  CHECK(parse_alert_query({{"q", std::string("a\0b", 3)}}, &q));
}

TEST_CASE(
    "the free text's match bits over an id range are the same read whole, in two parts or from the cache",
    "[sqlite]") {
  if (test::pg_run()) return;  // the SQLite store's index file
  const std::string path = temp_dir("bits") + "/c.db";
  {
    SqliteStoreOptions opts;
    opts.part_min = 300;  // several blocks of the index
    std::string err;
    auto store = open_sqlite_store(path, &err, opts);
    INFO(err);
    REQUIRE(store);
    const char* hosts[] = {"portal.example.gov", "mail.example.vn", "example.org"};
    std::vector<IngestEvent> evs;
    for (int i = 0; i < 2000; ++i) {
      json a = alert(kBaseS + i, i % 7 ? "ET POLICY rule" : "ET TROJAN beacon", 1 + i % 3);
      a["app_proto"] = "http";
      a["http"] = {{"hostname", hosts[(i * 7 + i / 3) % 3]}};
      evs.emplace_back("b" + std::to_string(i), a);
    }
    REQUIRE(test::ingest_in_batches(*store, "ag", evs));
  }
  Db db;
  std::string err;
  REQUIRE(db.open(path, &err));
  REQUIRE(db.exec("ATTACH DATABASE '" + alert_text_index_path(path) + "' AS text", &err));
  FtsMatchCache cache;
  for (const char* q : {"portal.example.gov", "example", "trojan", "nothing"}) {
    const std::string m = *fts_match_expression(q);
    // The expected bits: each block asked for every id it holds.
    std::vector<int64_t> want;
    Stmt blocks = db.prepare("SELECT name FROM alerts_fts_blocks");
    std::vector<std::string> names;
    while (blocks.step() == SQLITE_ROW) names.push_back(blocks.col_text(0));
    CHECK(names.size() > 3);
    for (const auto& n : names) {
      Stmt st = db.prepare("SELECT rowid FROM \"" + n + "\" WHERE \"" + n + "\" MATCH ?");
      st.bind(1, m);
      while (st.step() == SQLITE_ROW) want.push_back(st.col_int(0));
    }
    std::sort(want.begin(), want.end());
    for (auto [lo, hi] : {std::pair<int64_t, int64_t>{1, 2000}, {5, 1999}, {130, 1400}, {700, 701}}) {
      INFO(q << " " << lo << ".." << hi);
      std::vector<uint64_t> one(static_cast<size_t>((hi - lo) / 64 + 1)), two(one.size()), cold(one.size()),
          warm(one.size());
      FtsBitsOptions whole, halves, cached;
      whole.split_min = INT64_MAX;
      halves.split_min = 128;
      cached.cache = &cache;
      cached.complete_through = 2000;
      REQUIRE(fts_match_bits(db, m, lo, hi, &one, &err, whole));
      REQUIRE(fts_match_bits(db, m, lo, hi, &two, &err, halves));
      CHECK(one == two);
      // Closed blocks read whole and kept, then taken from the cache.
      REQUIRE(fts_match_bits(db, m, lo, hi, &cold, &err, cached));
      REQUIRE(fts_match_bits(db, m, lo, hi, &warm, &err, cached));
      CHECK(one == cold);
      CHECK(one == warm);
      std::vector<int64_t> got;
      for (int64_t id = lo; id <= hi; ++id)
        if ((one[static_cast<size_t>((id - lo) / 64)] >> ((id - lo) % 64)) & 1) got.push_back(id);
      std::vector<int64_t> expect;
      for (int64_t id : want)
        if (id >= lo && id <= hi) expect.push_back(id);
      CHECK(got == expect);
      if (std::string(q) != "nothing" && hi - lo > 100) CHECK_FALSE(got.empty());
    }
  }
  CHECK(cache.bytes() > 0);
  // A cleared cache keeps nothing a read that began before the clear puts.
  const uint64_t gen = cache.generation();
  cache.clear();
  cache.put("alerts_fts", "x", std::make_shared<std::vector<uint64_t>>(4), gen);
  CHECK(cache.bytes() == 0);
  CHECK(cache.get("alerts_fts", "x") == nullptr);
}

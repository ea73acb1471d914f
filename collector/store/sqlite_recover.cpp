#include "collector/store/sqlite_recover.h"

#include <sqlite3.h>

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <limits>
#include <memory>

#include "collector/store/alert_fts.h"
#include "collector/store/store.h"

namespace vigil::collector {
namespace {

namespace fs = std::filesystem;

// The damaged file is read through the raw API, not Stmt: its errors are what
// this is about, not damage to count and log as the server does.
struct Conn {
  sqlite3* db = nullptr;
  Conn() = default;
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;
  ~Conn() { sqlite3_close_v2(db); }
};

struct Query {
  sqlite3_stmt* st = nullptr;
  Query(sqlite3* db, const std::string& sql) {
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) st = nullptr;
  }
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;
  ~Query() { sqlite3_finalize(st); }
  int run(int64_t arg) {
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, arg);
    return sqlite3_step(st);
  }
};

bool exec(sqlite3* db, const std::string& sql, std::string* error) {
  char* msg = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &msg) == SQLITE_OK) return true;
  *error = msg ? msg : sqlite3_errmsg(db);
  sqlite3_free(msg);
  return false;
}

std::string sql_name(const std::string& name) {
  std::string out = "\"";
  for (char c : name) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

struct Column {
  std::string name, type;
  int pk = 0;
};

std::vector<Column> table_columns(sqlite3* db, const std::string& table) {
  std::vector<Column> out;
  Query q(db, "SELECT name, upper(type), pk FROM pragma_table_info(?1)");
  if (!q.st) return out;
  sqlite3_bind_text(q.st, 1, table.c_str(), -1, SQLITE_TRANSIENT);
  while (sqlite3_step(q.st) == SQLITE_ROW)
    out.push_back({reinterpret_cast<const char*>(sqlite3_column_text(q.st, 0)),
                   reinterpret_cast<const char*>(sqlite3_column_text(q.st, 1)), sqlite3_column_int(q.st, 2)});
  return out;
}

// A key column's value as bytes that order as SQLite orders the column's
// values of one type (BINARY collation): integers big-endian with the sign
// bit flipped, text and blobs as they are.
std::string key_bytes(sqlite3_stmt* st, int col) {
  if (sqlite3_column_type(st, col) == SQLITE_INTEGER) {
    auto v = static_cast<uint64_t>(sqlite3_column_int64(st, col)) ^ (uint64_t{1} << 63);
    std::string b(8, '\0');
    for (int i = 7; i >= 0; --i, v >>= 8) b[static_cast<size_t>(i)] = static_cast<char>(v & 0xff);
    return b;
  }
  const void* p = sqlite3_column_blob(st, col);
  return p ? std::string(static_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(st, col)))
           : "";
}

// Row ids tried one at a time after a damaged region, at most.
constexpr int64_t kPointSpan = int64_t{1} << 20;

class TableCopy {
 public:
  // WITH_ROWID: the rowid is written as well (a rowid table whose key is
  // not an INTEGER PRIMARY KEY column, which would carry it).
  // From SRC_TABLE (in src) into TABLE (in dst).
  TableCopy(sqlite3* src, sqlite3* dst, std::string table, std::vector<std::string> cols, bool with_rowid,
            RecoveredTable* out, std::string src_table = {})
      : src_(src),
        dst_(dst),
        table_(std::move(table)),
        src_table_(src_table.empty() ? table_ : std::move(src_table)),
        cols_(std::move(cols)),
        out_(out),
        with_rowid_(with_rowid),
        ins_(dst, insert_sql()) {}

  bool ok() const { return ins_.st != nullptr; }

  // A rowid table: a scan in rowid order; where it fails, the next row a
  // seek reaches past the damage, and the row ids in between one by one.
  // Where it met damage, the same from the other end: a seek into a damaged
  // interior page can also end early as if no row followed.
  void copy_by_rowid() {
    // A first page that cannot be read: the probes start at row id 1, where
    // SQLite's own row ids start. A last one: at the highest row id read.
    if (rowid_pass(false, 1) == 0 || highest_ == std::numeric_limits<int64_t>::min()) return;
    rowid_pass(true, highest_);
    sweep();
  }

  // A WITHOUT ROWID table: in key order up to the damage, then in reverse
  // key order from the other end up to it.
  void copy_by_key(const std::vector<std::string>& key) {
    std::string asc, desc;
    for (const auto& k : key) {
      asc += (asc.empty() ? "" : ", ") + sql_name(k);
      desc += (desc.empty() ? "" : ", ") + sql_name(k) + " DESC";
    }
    std::vector<int> key_at;  // the key's columns in the row
    for (const auto& k : key)
      key_at.push_back(static_cast<int>(std::find(cols_.begin(), cols_.end(), k) - cols_.begin()));
    for (const bool down : {false, true}) {
      Query scan(src_, "SELECT " + column_list() + " FROM " + sql_name(src_table_) + " ORDER BY " +
                           (down ? desc : asc));
      int rc = scan.st ? sqlite3_step(scan.st) : SQLITE_ERROR;
      std::vector<std::string> prev, cur;
      for (; rc == SQLITE_ROW; rc = sqlite3_step(scan.st)) {
        // As in rowid_pass: keys out of order are damage (a scan in a cycle).
        cur.clear();
        for (int c : key_at) cur.push_back(key_bytes(scan.st, c));
        if (!prev.empty() && (down ? cur >= prev : cur <= prev)) {
          rc = SQLITE_CORRUPT;
          break;
        }
        prev.swap(cur);
        put(scan.st, 0);
      }
      if (rc == SQLITE_DONE) return;
      ++out_->damaged_regions;
    }
  }

 private:
  // After damage: every row id in the range the passes saw (from 1 at the
  // least, over a bounded span) that the copy lacks, looked up on its own. A
  // damaged interior page can send a scan that reports no error to another
  // page, skipping rows in order (one layout in the end-to-end test: 734 rows
  // copied of 1,768 that lookups find).
  void sweep() {
    const int64_t lo = std::max<int64_t>(lowest_, 1);
    if (highest_ < lo) return;
    const int64_t budget = std::max<int64_t>(kPointSpan, 8 * out_->copied);
    const int64_t hi = highest_ - lo > budget ? lo + budget : highest_;
    Query have(dst_, "SELECT 1 FROM " + sql_name(table_) + " WHERE rowid = ?1");
    Query point(src_,
                "SELECT rowid, " + column_list() + " FROM " + sql_name(src_table_) + " WHERE rowid = ?1");
    if (!have.st || !point.st) return;
    for (int64_t id = lo; id <= hi; ++id)
      if (have.run(id) != SQLITE_ROW && point.run(id) == SQLITE_ROW) put(point.st, with_rowid_ ? 0 : 1);
  }

  // X moved by DELTA (>= 0) in the pass's direction; false past the end.
  static bool move(int64_t x, int64_t delta, bool down, int64_t* out) {
    constexpr int64_t lo = std::numeric_limits<int64_t>::min(), hi = std::numeric_limits<int64_t>::max();
    if (down ? x < lo + delta : x > hi - delta) return false;
    *out = down ? x - delta : x + delta;
    return true;
  }

  // One pass up (or down) the row ids; returns the damaged regions it met.
  // START: where the probes begin when the first row cannot be read.
  int64_t rowid_pass(bool down, int64_t start) {
    const std::string list = column_list(), t = sql_name(src_table_);
    const std::string cmp = down ? " <= ?1" : " >= ?1", dir = down ? " DESC" : "";
    Query scan(src_, "SELECT rowid, " + list + " FROM " + t + " WHERE rowid" + cmp + " ORDER BY rowid" + dir);
    Query seek(src_, "SELECT rowid FROM " + t + " WHERE rowid" + cmp + " ORDER BY rowid" + dir + " LIMIT 1");
    Query point(src_, "SELECT rowid, " + list + " FROM " + t + " WHERE rowid = ?1");
    const int first = with_rowid_ ? 0 : 1;
    if (!scan.st || !seek.st || !point.st) {
      ++out_->damaged_regions;
      return 1;
    }
    int64_t regions = 0;
    int64_t from = down ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
    bool any = false;
    for (;;) {
      int rc = scan.run(from);
      bool end = false;
      int64_t prev = 0;
      for (bool began = false; rc == SQLITE_ROW; rc = sqlite3_step(scan.st), began = true) {
        const int64_t id = sqlite3_column_int64(scan.st, 0);
        // Damaged child pointers can lead a scan back over pages it read
        // (for ever, in a cycle): row ids out of order are damage too.
        if (began && (down ? id >= prev : id <= prev)) {
          rc = SQLITE_CORRUPT;
          break;
        }
        prev = id;
        put(scan.st, first);
        any = true;
        highest_ = std::max(highest_, id);
        lowest_ = std::min(lowest_, id);
        if (!move(id, 1, down, &from)) {
          end = true;
          break;
        }
      }
      sqlite3_reset(scan.st);
      if (end || rc == SQLITE_DONE) return regions;
      ++regions;
      ++out_->damaged_regions;
      if (!any) from = start;
      any = true;
      // The first row id at or past from + step that a seek reaches.
      int64_t step = 1, probe = from, next = 0;
      bool found = false;
      while (move(from, step, down, &probe)) {
        const int src = seek.run(probe);
        if (src == SQLITE_ROW) {
          next = sqlite3_column_int64(seek.st, 0);
          // A damaged page can also send a seek to a row before the probe.
          if (down ? next <= probe : next >= probe) {
            found = true;
            break;
          }
        } else if (src == SQLITE_DONE) {
          break;
        }
        if (step > (std::numeric_limits<int64_t>::max() >> 1)) break;
        step *= 2;
      }
      sqlite3_reset(seek.st);
      // The row ids from `from` up to the row found (or the last probe), each
      // on its own, in a bounded span: a seek through a damaged interior
      // page can land past rows that a lookup of their own id still finds.
      int64_t span = step;
      if (found) {
        const int64_t gap = down ? from - next : next - from;  // >= step
        span = gap >= 0 ? gap : kPointSpan;
      }
      span = std::min(span, kPointSpan);
      for (int64_t i = 0; i < span; ++i) {
        int64_t id = 0;
        if (!move(from, i, down, &id)) break;
        if (point.run(id) == SQLITE_ROW) {
          put(point.st, first);
          highest_ = std::max(highest_, id);
          lowest_ = std::min(lowest_, id);
        }
      }
      sqlite3_reset(point.st);
      if (!found) return regions;
      from = next;
    }
  }

  std::string column_list() const {
    std::string s;
    for (const auto& c : cols_) s += (s.empty() ? "" : ", ") + sql_name(c);
    return s;
  }

  std::string insert_sql() const {
    std::string names = with_rowid_ ? "rowid" : "", marks = with_rowid_ ? "?" : "";
    for (const auto& c : cols_) {
      names += (names.empty() ? "" : ", ") + sql_name(c);
      marks += marks.empty() ? "?" : ", ?";
    }
    return "INSERT OR IGNORE INTO " + sql_name(table_) + "(" + names + ") VALUES(" + marks + ")";
  }

  // The row at the statement's columns from FIRST on (the rowid first when
  // it is written).
  void put(sqlite3_stmt* from, int first) {
    sqlite3_reset(ins_.st);
    const int n = static_cast<int>(cols_.size()) + (with_rowid_ ? 1 : 0);
    for (int i = 0; i < n; ++i) sqlite3_bind_value(ins_.st, i + 1, sqlite3_column_value(from, first + i));
    if (sqlite3_step(ins_.st) == SQLITE_DONE && sqlite3_changes(sqlite3_db_handle(ins_.st)) > 0)
      ++out_->copied;
  }

  sqlite3* src_;
  sqlite3* dst_;
  std::string table_, src_table_;
  std::vector<std::string> cols_;
  RecoveredTable* out_;
  bool with_rowid_;
  int64_t highest_ = std::numeric_limits<int64_t>::min();  // the row ids read: highest, lowest
  int64_t lowest_ = std::numeric_limits<int64_t>::max();
  Query ins_;
};

std::string utc_stamp() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%S", &tm);
  return buf;
}

void remove_db_files(const std::string& p) {
  std::error_code ec;
  for (const char* s : {"", "-wal", "-shm", "-journal"}) fs::remove(p + s, ec);
}

bool copy_table(sqlite3* src, sqlite3* dst, const std::string& name, const std::string& from,
                bool without_rowid, RecoveredTable* rt, std::string* error);

bool copy_tables(sqlite3* src, const std::string& tmp, RecoverReport* report, std::string* error) {
  Conn dst;
  if (sqlite3_open_v2(tmp.c_str(), &dst.db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    *error = "cannot open " + tmp + ": " + sqlite3_errmsg(dst.db);
    return false;
  }
  // The free-text index (in its own file, alert_fts.h) is derived from the
  // alerts: the caller deletes the new store's, and it is built again from
  // the recovered rows when the store opens the file.
  if (!exec(dst.db, "PRAGMA foreign_keys=OFF; BEGIN", error)) return false;
  std::vector<std::pair<std::string, bool>> tables;  // name, WITHOUT ROWID
  {
    Query q(dst.db,
            "SELECT name, sql LIKE '%WITHOUT ROWID%' FROM sqlite_schema WHERE type='table' AND name NOT LIKE "
            "'sqlite_%' AND name NOT LIKE 'alert_rollup_%' AND name NOT LIKE 'alerts_fts%' AND name != "
            "'alert_parts' "
            "ORDER BY rootpage");
    while (q.st && sqlite3_step(q.st) == SQLITE_ROW)
      tables.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(q.st, 0)),
                          sqlite3_column_int(q.st, 1) != 0);
  }
  // The alerts of every partition (or of the one table of a store from
  // before partitions) go into the new store's one partition, reported as
  // "alerts".
  auto is_part = [](const std::string& n) {
    return n.size() > 8 && n.rfind("alerts_p", 0) == 0 &&
           n.find_first_not_of("0123456789", 8) == std::string::npos;
  };
  std::vector<std::string> alert_sources;
  {
    Query q(src,
            "SELECT name FROM sqlite_schema WHERE type='table' AND (name='alerts' OR name GLOB "
            "'alerts_p[0-9]*')");
    while (q.st && sqlite3_step(q.st) == SQLITE_ROW) {
      std::string n = reinterpret_cast<const char*>(sqlite3_column_text(q.st, 0));
      if (n == "alerts" || is_part(n)) alert_sources.push_back(n);
    }
  }
  for (const auto& [name, without_rowid] : tables) {
    if (is_part(name)) {
      RecoveredTable rt;
      rt.name = "alerts";
      for (const auto& from : alert_sources)
        if (!copy_table(src, dst.db, name, from, without_rowid, &rt, error)) return false;
      report->tables.push_back(rt);
      continue;
    }
    RecoveredTable rt;
    rt.name = name;
    if (!copy_table(src, dst.db, name, name, without_rowid, &rt, error)) return false;
    report->tables.push_back(rt);
  }
  return exec(dst.db, "COMMIT; PRAGMA wal_checkpoint(TRUNCATE)", error);
}

// Copies the rows of FROM (in src) that the columns of NAME (in dst) can
// hold, adding to *rt.
bool copy_table(sqlite3* src, sqlite3* dst, const std::string& name, const std::string& from,
                bool without_rowid, RecoveredTable* rt, std::string* error) {
  {
    std::vector<Column> have = table_columns(src, from), want = table_columns(dst, name);
    std::vector<std::string> cols, key;
    int pks = 0;
    bool rowid_col = false;
    for (const auto& w : want) {
      if (w.pk > 0) ++pks;
      for (const auto& h : have)
        if (h.name == w.name) {
          cols.push_back(w.name);
          if (w.pk > 0) key.push_back(w.name);
          if (w.pk == 1 && w.type == "INTEGER") rowid_col = true;
        }
    }
    rowid_col = rowid_col && pks == 1 && !without_rowid;
    if (!cols.empty()) {
      TableCopy copy(src, dst, name, cols, !rowid_col && !without_rowid, rt, from);
      if (!copy.ok()) {
        *error = "cannot write " + name + ": " + sqlite3_errmsg(dst);
        return false;
      }
      if (without_rowid)
        copy.copy_by_key(key);
      else
        copy.copy_by_rowid();
    }
  }
  return true;
}

}  // namespace

bool recover_sqlite_store(const std::string& path, RecoverReport* report, std::string* error) {
  *report = {};
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    *error = path + ": no such file";
    return false;
  }
  const std::string tmp = path + ".recovering";
  {
    Conn src;
    if (sqlite3_open_v2(path.c_str(), &src.db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
      *error = "cannot open " + path + ": " + sqlite3_errmsg(src.db);
      return false;
    }
    // Closing must not checkpoint the damaged file's log into it: both are
    // kept as they are.
    sqlite3_db_config(src.db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
    std::string err;
    if (!exec(src.db, "PRAGMA locking_mode=EXCLUSIVE; BEGIN EXCLUSIVE", &err)) {
      const int rc = sqlite3_errcode(src.db) & 0xff;
      *error = rc == SQLITE_BUSY || rc == SQLITE_LOCKED
                   ? path + " is open in another process (a running collector?): stop it, then recover"
               : rc == SQLITE_NOTADB
                   ? path + " is not a database SQLite can read (" + err +
                         "): nothing can be recovered from it; move it aside and the collector starts an "
                         "empty store"
                   : "cannot read " + path + ": " + err;
      return false;
    }
    if (Query q(src.db, "SELECT count(*) FROM sqlite_schema"); !q.st || sqlite3_step(q.st) != SQLITE_ROW) {
      *error = "cannot read the schema of " + path + " (" + sqlite3_errmsg(src.db) +
               "): nothing can be recovered from it; move it aside and the collector starts an empty store";
      return false;
    }
    remove_db_files(tmp);
    remove_db_files(alert_text_index_path(tmp));
    {
      std::string open_err;
      if (!open_sqlite_store(tmp, &open_err)) {
        *error = "cannot create " + tmp + ": " + open_err;
        remove_db_files(tmp);
        remove_db_files(alert_text_index_path(tmp));
        return false;
      }
    }
    if (!copy_tables(src.db, tmp, report, error)) {
      remove_db_files(tmp);
      remove_db_files(alert_text_index_path(tmp));
      return false;
    }
    // Opening the store rebuilds the rollups and the free-text index.
    remove_db_files(alert_text_index_path(tmp));
    std::string open_err;
    auto store = open_sqlite_store(tmp, &open_err);
    if (!store) {
      *error = "the recovered file does not open: " + open_err;
      remove_db_files(tmp);
      remove_db_files(alert_text_index_path(tmp));
      return false;
    }
    report->kept_as = path + ".corrupt-" + utc_stamp();
    nlohmann::json detail = {{"kept_as", report->kept_as}};
    for (const auto& t : report->tables)
      detail["tables"][t.name] = {{"copied", t.copied}, {"damaged_regions", t.damaged_regions}};
    store->append_audit(
        {0, static_cast<int64_t>(std::time(nullptr)), "cli", "store.recover", path, "", detail});
  }
  // Both connections closed: the damaged file and its log move aside
  // together (a log belongs to its file by name), the new one takes its place.
  fs::rename(path, report->kept_as, ec);
  if (ec) {
    *error = "cannot rename " + path + ": " + ec.message();
    return false;
  }
  if (fs::exists(path + "-wal")) fs::rename(path + "-wal", report->kept_as + "-wal", ec);
  fs::remove(path + "-shm", ec);
  fs::rename(tmp, path, ec);
  if (ec) {
    *error = "cannot rename " + tmp + " to " + path + ": " + ec.message();
    return false;
  }
  remove_db_files(tmp);
  // The old file's index goes (it indexed the damaged file), the new one's
  // takes its place.
  const std::string text = alert_text_index_path(path), tmp_text = alert_text_index_path(tmp);
  remove_db_files(text);
  fs::rename(tmp_text, text, ec);
  if (ec) {
    *error = "cannot rename " + tmp_text + " to " + text + ": " + ec.message();
    return false;
  }
  remove_db_files(tmp_text);
  return true;
}

}  // namespace vigil::collector

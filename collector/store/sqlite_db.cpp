#include "collector/store/sqlite_db.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <filesystem>

namespace vigil::collector {
namespace {

std::atomic<uint64_t> g_corrupt{0};
std::atomic<int64_t> g_corrupt_logged_s{INT64_MIN / 2};

// After every step and exec: a damaged file is counted and, once a minute,
// logged with what to do. The request that met it fails as any store error does.
void note_result(sqlite3* db, int rc) {
  int primary = rc & 0xff;
  if (primary != SQLITE_CORRUPT && primary != SQLITE_NOTADB) return;
  g_corrupt.fetch_add(1, std::memory_order_relaxed);
  int64_t now =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now().time_since_epoch())
          .count();
  int64_t last = g_corrupt_logged_s.load();
  if (now - last < 60 || !g_corrupt_logged_s.compare_exchange_strong(last, now)) return;
  const char* file = db ? sqlite3_db_filename(db, "main") : nullptr;
  std::string path = file && *file ? file : "the database";
  spdlog::error("store: {} ({}). {}", sqlite3_errstr(rc), path, damaged_store_advice(path));
}

}  // namespace

uint64_t store_corrupt_errors() {
  return g_corrupt.load(std::memory_order_relaxed);
}

std::string damaged_store_advice(const std::string& path) {
  // The free-text index beside a store (alert_fts.h: collector.db ->
  // collector-text.db) is derived from the alerts.
  const std::string text_suffix = "-text.db";
  if (path.size() > text_suffix.size() &&
      path.compare(path.size() - text_suffix.size(), text_suffix.size(), text_suffix) == 0 &&
      std::filesystem::exists(path.substr(0, path.size() - text_suffix.size()) + ".db"))
    return "This is the free-text index, which holds nothing the alerts do not; alert batches are refused "
           "(the agents keep them) while it is damaged. Stop the collector, delete " +
           path + " (with its -wal and -shm) and start it again: the index is built again from the alerts.";
  const std::string dir = std::filesystem::path(path).parent_path().string();
  return "The database file is damaged; the collector does not change or replace it (it holds the agents' "
         "credentials and the accounts as well as the alerts). To recover what SQLite can still read: stop "
         "the collector, run `vigil-collector recover --data-dir " +
         (dir.empty() ? std::string(".") : dir) +
         "` (with -c if the store's path is configured), and start the collector again. The damaged file "
         "is kept beside the new one (" +
         path + ".corrupt-TIME)";
}

Stmt::Stmt(sqlite3* db, std::string_view sql) {
  // A statement on a damaged FTS5 table fails here, when its module reads
  // the table's structure: counted as a damaged read like a failing step.
  if (int rc = sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &st_, nullptr);
      rc != SQLITE_OK) {
    st_ = nullptr;
    note_result(db, rc);
  }
}

Stmt& Stmt::operator=(Stmt&& o) noexcept {
  if (this != &o) {
    sqlite3_finalize(st_);
    st_ = o.st_;
    o.st_ = nullptr;
  }
  return *this;
}

Stmt::~Stmt() {
  sqlite3_finalize(st_);
}

Stmt& Stmt::bind(int i, int64_t v) {
  sqlite3_bind_int64(st_, i, v);
  return *this;
}
Stmt& Stmt::bind(int i, std::string_view v) {
  sqlite3_bind_text(st_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  return *this;
}
Stmt& Stmt::bind(int i, double v) {
  sqlite3_bind_double(st_, i, v);
  return *this;
}
Stmt& Stmt::bind_blob(int i, const void* data, int size) {
  sqlite3_bind_blob(st_, i, data, size, SQLITE_TRANSIENT);
  return *this;
}
Stmt& Stmt::bind_null(int i) {
  sqlite3_bind_null(st_, i);
  return *this;
}
int Stmt::step() {
  if (!st_) return SQLITE_MISUSE;
  int rc = sqlite3_step(st_);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) note_result(sqlite3_db_handle(st_), rc);
  return rc;
}
void Stmt::reset() {
  if (!st_) return;
  sqlite3_reset(st_);
  sqlite3_clear_bindings(st_);
}
int64_t Stmt::col_int(int i) const {
  return sqlite3_column_int64(st_, i);
}
std::string Stmt::col_text(int i) const {
  const unsigned char* p = sqlite3_column_text(st_, i);
  return p ? std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(st_, i)))
           : std::string();
}
std::string_view Stmt::col_view(int i) const {
  const unsigned char* p = sqlite3_column_text(st_, i);
  return p ? std::string_view(reinterpret_cast<const char*>(p),
                              static_cast<size_t>(sqlite3_column_bytes(st_, i)))
           : std::string_view();
}
std::optional<int64_t> Stmt::col_opt_int(int i) const {
  return col_null(i) ? std::nullopt : std::optional<int64_t>(col_int(i));
}
std::optional<std::string> Stmt::col_opt_text(int i) const {
  return col_null(i) ? std::nullopt : std::optional<std::string>(col_text(i));
}
bool Stmt::col_null(int i) const {
  return sqlite3_column_type(st_, i) == SQLITE_NULL;
}

Db::~Db() {
  sqlite3_close_v2(db_);
}

void Db::close() {
  sqlite3_close_v2(db_);
  db_ = nullptr;
}

bool Db::open(const std::string& path, std::string* error) {
  if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                      nullptr) != SQLITE_OK) {
    if (error) *error = "cannot open " + path + ": " + errmsg();
    return false;
  }
  sqlite3_busy_timeout(db_, 10000);
  return true;
}

bool Db::exec(std::string_view sql, std::string* error) {
  char* msg = nullptr;
  std::string s(sql);
  if (int rc = sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &msg); rc != SQLITE_OK) {
    note_result(db_, rc);
    if (error) *error = msg ? msg : "sqlite error";
    sqlite3_free(msg);
    return false;
  }
  return true;
}

}  // namespace vigil::collector

#include "collector/store/sqlite_db.h"

namespace vigil::collector {

Stmt::Stmt(sqlite3* db, std::string_view sql) {
  if (sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &st_, nullptr) != SQLITE_OK) {
    st_ = nullptr;
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
  return st_ ? sqlite3_step(st_) : SQLITE_MISUSE;
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
bool Stmt::col_null(int i) const {
  return sqlite3_column_type(st_, i) == SQLITE_NULL;
}

Db::~Db() {
  sqlite3_close_v2(db_);
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
  if (sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &msg) != SQLITE_OK) {
    if (error) *error = msg ? msg : "sqlite error";
    sqlite3_free(msg);
    return false;
  }
  return true;
}

}  // namespace vigil::collector

// Thin RAII wrappers over the SQLite C API for the collector store: a
// connection and a prepared statement with typed binds. Not thread-safe by
// themselves; SqliteStore serialises access per connection.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vigil::collector {

class Stmt {
 public:
  Stmt() = default;
  Stmt(sqlite3* db, std::string_view sql);
  Stmt(Stmt&& o) noexcept : st_(o.st_) { o.st_ = nullptr; }
  Stmt& operator=(Stmt&& o) noexcept;
  ~Stmt();
  bool valid() const { return st_ != nullptr; }

  Stmt& bind(int i, int64_t v);
  Stmt& bind(int i, std::string_view v);
  Stmt& bind(int i, double v);
  Stmt& bind_null(int i);
  Stmt& bind_blob(int i, const void* data, int size);
  template <class T>
  Stmt& bind(int i, const std::optional<T>& v) {
    return v ? bind(i, *v) : bind_null(i);
  }
  // SQLITE_ROW, SQLITE_DONE or an error code.
  int step();
  void reset();
  int64_t col_int(int i) const;
  std::string col_text(int i) const;
  // The text of column i, valid until the next step, reset or column call.
  std::string_view col_view(int i) const;
  bool col_null(int i) const;
  // Column i, or nullopt when it is NULL.
  std::optional<int64_t> col_opt_int(int i) const;
  std::optional<std::string> col_opt_text(int i) const;

 private:
  sqlite3_stmt* st_ = nullptr;
};

// Statements that found the database file damaged (SQLITE_CORRUPT,
// SQLITE_NOTADB), counted process-wide (store.corrupt_errors in the server's
// stats); the first of each minute is logged with damaged_store_advice().
uint64_t store_corrupt_errors();
// What an operator does about a damaged database file at PATH.
std::string damaged_store_advice(const std::string& path);

class Db {
 public:
  Db() = default;
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;
  bool open(const std::string& path, std::string* error);
  // Closes the connection (once its statements are finalized) and leaves
  // it as before open().
  void close();
  // Runs one or more statements without results; false + error message on failure.
  bool exec(std::string_view sql, std::string* error = nullptr);
  std::string errmsg() const { return db_ ? sqlite3_errmsg(db_) : "not open"; }
  sqlite3* get() const { return db_; }
  Stmt prepare(std::string_view sql) const { return Stmt(db_, sql); }

 private:
  sqlite3* db_ = nullptr;
};

}  // namespace vigil::collector

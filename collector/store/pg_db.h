// Thin wrappers over libpq for the PostgreSQL store: a result with typed
// accessors, a connection that runs statements with text parameters, a
// fixed-size pool of connections (checked out with an RAII lease, reconnected
// when the server dropped them) and transactions retried on serialization
// failures and deadlocks. Errors are values carrying the server's message;
// nothing here throws.
//
// Parameters are text (libpq's text format): std::nullopt is SQL NULL, an
// int64 is its decimal text (pg::arg), bytes for a BYTEA column are passed
// through pg::bytea() (hex escape). Placeholders are $1, $2, ...
#pragma once

#include <postgresql/libpq-fe.h>

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "collector/store/store.h"

namespace vigil::collector::pg {

using Param = std::optional<std::string>;
using Params = std::vector<Param>;

inline Param arg(int64_t v) {
  return std::to_string(v);
}
inline Param arg(uint64_t v) {
  return std::to_string(v);
}
inline Param arg(int v) {
  return std::to_string(v);
}
inline Param arg(std::string_view v) {
  return std::string(v);
}
inline Param arg(const std::string& v) {
  return v;
}
inline Param arg(const char* v) {
  return std::string(v);
}
inline Param arg(const std::optional<int64_t>& v) {
  return v ? arg(*v) : std::nullopt;
}
inline Param arg(const std::optional<std::string>& v) {
  return v;
}
// Raw bytes as the text form of a BYTEA parameter ("\x0a1b...").
std::string bytea(const void* data, size_t size);
// The bytes of a BYTEA column read in text form ("\x..."): empty when not hex.
std::string unbytea(std::string_view text);

// SQLSTATEs the store looks at.
inline constexpr const char* kUniqueViolation = "23505";
inline constexpr const char* kSerializationFailure = "40001";
inline constexpr const char* kDeadlockDetected = "40P01";
inline constexpr const char* kDuplicateTable = "42P07";
inline constexpr const char* kDuplicateObject = "42710";

class Result {
 public:
  Result() = default;
  // Takes ownership of r (may be null: no result, e.g. a lost connection;
  // `conn_error` then says why).
  Result(PGresult* r, std::string conn_error);
  Result(Result&& o) noexcept;
  Result& operator=(Result&& o) noexcept;
  Result(const Result&) = delete;
  Result& operator=(const Result&) = delete;
  ~Result();

  // The statement ran (PGRES_COMMAND_OK or PGRES_TUPLES_OK).
  bool ok() const;
  explicit operator bool() const { return ok(); }
  // The server's message (primary message, with detail when given); empty when ok.
  const std::string& error() const { return error_; }
  // Five-character SQLSTATE of the error; empty when ok or no server answer.
  const std::string& sqlstate() const { return sqlstate_; }

  int rows() const;
  int cols() const;
  bool null(int row, int col) const;
  std::string_view view(int row, int col) const;  // "" when null
  std::string text(int row, int col) const { return std::string(view(row, col)); }
  int64_t int64(int row, int col) const;  // 0 when null or not a number
  std::optional<int64_t> opt_int64(int row, int col) const;
  std::optional<std::string> opt_text(int row, int col) const;
  // Rows inserted / updated / deleted by the statement (PQcmdTuples).
  int64_t affected() const;
  PGresult* get() const { return r_; }

 private:
  PGresult* r_ = nullptr;
  std::string error_, sqlstate_;
};

class Conn {
 public:
  Conn() = default;
  ~Conn();
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  // Connects to `url` (any libpq connection string or URI).
  bool connect(const std::string& url, std::string* error);
  // Reconnects when the server dropped the connection; false when it still cannot.
  bool ensure(std::string* error);
  bool good() const;

  // One statement with $n text parameters (an extended-protocol round trip).
  Result exec(std::string_view sql, const Params& params = {});
  // One or more statements without parameters (simple protocol); on failure
  // *error gets the server's message.
  bool exec_script(std::string_view sql, std::string* error = nullptr);
  // Whether the connection is inside a transaction block (open or aborted).
  bool in_transaction() const;
  // The SQLSTATE of the first statement that failed since the last
  // clear_first_error() (with_tx clears it at BEGIN): what decides a retry.
  const std::string& first_error() const { return first_error_; }
  void clear_first_error() { first_error_.clear(); }
  PGconn* raw() const { return c_; }

 private:
  void note(const Result& r);
  PGconn* c_ = nullptr;
  std::string url_, first_error_;
};

// A fixed number of connections, each used by one caller at a time.
class Pool {
 public:
  class Lease {
   public:
    Lease(Pool* p, Conn* c) : p_(p), c_(c) {}
    Lease(Lease&& o) noexcept : p_(o.p_), c_(o.c_) { o.c_ = nullptr; }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    Conn& operator*() const { return *c_; }
    Conn* operator->() const { return c_; }

   private:
    Pool* p_;
    Conn* c_;
  };

  // Connects `size` connections (at least one) to `url`; null + *error when
  // the first cannot connect.
  static std::unique_ptr<Pool> open(const std::string& url, int size, std::string* error);

  // Waits for a free connection, reconnected if the server had dropped it (a
  // connection that still cannot reach the server is handed out anyway: its
  // statements fail with the reason).
  Lease acquire();
  const std::string& url() const { return url_; }
  int size() const { return static_cast<int>(conns_.size()); }

 private:
  void release(Conn* c);
  std::string url_;
  std::vector<std::unique_ptr<Conn>> conns_;
  std::vector<Conn*> free_;
  std::mutex mu_;
  std::condition_variable cv_;
};

// Runs `body` in a transaction on a pooled connection: BEGIN (or `begin`,
// e.g. "BEGIN ISOLATION LEVEL SERIALIZABLE"), body, COMMIT; ROLLBACK when
// body returns an error. A body or COMMIT that failed with a serialization
// failure or a deadlock (40001, 40P01) is run again, up to `attempts`
// times, so the body must be re-runnable (only touch its outputs after the
// last statement, or reset them at its start). The error message names
// `what`.
StoreStatus with_tx(Pool& pool, const char* what, const std::function<StoreStatus(Conn&)>& body,
                    const char* begin = "BEGIN", int attempts = 8);
// The same on a connection already checked out.
StoreStatus with_tx(Conn& c, const char* what, const std::function<StoreStatus(Conn&)>& body,
                    const char* begin = "BEGIN", int attempts = 8);

// A StoreStatus from a failed result: "<what>: <server message>".
StoreStatus fail(std::string_view what, const Result& r);

}  // namespace vigil::collector::pg

#include "collector/store/pg_db.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <thread>

namespace vigil::collector::pg {

std::string bytea(const void* data, size_t size) {
  static const char kHex[] = "0123456789abcdef";
  const auto* p = static_cast<const unsigned char*>(data);
  std::string out = "\\x";
  out.reserve(2 + size * 2);
  for (size_t i = 0; i < size; ++i) {
    out.push_back(kHex[p[i] >> 4]);
    out.push_back(kHex[p[i] & 15]);
  }
  return out;
}

std::string unbytea(std::string_view t) {
  if (t.size() < 2 || t[0] != '\\' || t[1] != 'x' || t.size() % 2 != 0) return {};
  auto nib = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve((t.size() - 2) / 2);
  for (size_t i = 2; i < t.size(); i += 2) {
    int hi = nib(t[i]), lo = nib(t[i + 1]);
    if (hi < 0 || lo < 0) return {};
    out.push_back(static_cast<char>(hi << 4 | lo));
  }
  return out;
}

// ---- Result ----

Result::Result(PGresult* r, std::string conn_error) : r_(r) {
  if (ok()) return;
  if (!r_) {
    error_ = conn_error.empty() ? "no answer from the server" : std::move(conn_error);
    while (!error_.empty() && (error_.back() == '\n' || error_.back() == ' ')) error_.pop_back();
    return;
  }
  const char* primary = PQresultErrorField(r_, PG_DIAG_MESSAGE_PRIMARY);
  const char* detail = PQresultErrorField(r_, PG_DIAG_MESSAGE_DETAIL);
  const char* state = PQresultErrorField(r_, PG_DIAG_SQLSTATE);
  if (primary) {
    error_ = primary;
    if (detail) error_ += std::string(" (") + detail + ")";
  } else {
    error_ = PQresultErrorMessage(r_);
    while (!error_.empty() && (error_.back() == '\n' || error_.back() == ' ')) error_.pop_back();
    if (error_.empty()) error_ = PQresStatus(PQresultStatus(r_));
  }
  if (state) sqlstate_ = state;
}

Result::Result(Result&& o) noexcept
    : r_(o.r_), error_(std::move(o.error_)), sqlstate_(std::move(o.sqlstate_)) {
  o.r_ = nullptr;
}

Result& Result::operator=(Result&& o) noexcept {
  if (this != &o) {
    if (r_) PQclear(r_);
    r_ = o.r_;
    o.r_ = nullptr;
    error_ = std::move(o.error_);
    sqlstate_ = std::move(o.sqlstate_);
  }
  return *this;
}

Result::~Result() {
  if (r_) PQclear(r_);
}

bool Result::ok() const {
  if (!r_) return false;
  auto s = PQresultStatus(r_);
  return s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK;
}

int Result::rows() const {
  return ok() ? PQntuples(r_) : 0;
}
int Result::cols() const {
  return ok() ? PQnfields(r_) : 0;
}

bool Result::null(int row, int col) const {
  if (!r_ || row >= PQntuples(r_) || col >= PQnfields(r_)) return true;
  return PQgetisnull(r_, row, col) != 0;
}

std::string_view Result::view(int row, int col) const {
  if (null(row, col)) return {};
  return std::string_view(PQgetvalue(r_, row, col), static_cast<size_t>(PQgetlength(r_, row, col)));
}

int64_t Result::int64(int row, int col) const {
  return opt_int64(row, col).value_or(0);
}

std::optional<int64_t> Result::opt_int64(int row, int col) const {
  if (null(row, col)) return std::nullopt;
  std::string_view v = view(row, col);
  int64_t out = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc()) return std::nullopt;
  (void)p;
  return out;
}

std::optional<std::string> Result::opt_text(int row, int col) const {
  if (null(row, col)) return std::nullopt;
  return text(row, col);
}

int64_t Result::affected() const {
  if (!r_) return 0;
  const char* n = PQcmdTuples(r_);
  if (!n || !*n) return 0;
  return std::strtoll(n, nullptr, 10);
}

// ---- Conn ----

namespace {
void quiet_notices(void*, const char*) {}
}  // namespace

Conn::~Conn() {
  if (c_) PQfinish(c_);
}

bool Conn::connect(const std::string& url, std::string* error) {
  url_ = url;
  if (c_) PQfinish(c_);
  c_ = PQconnectdb(url.c_str());
  if (!c_ || PQstatus(c_) != CONNECTION_OK) {
    if (error) {
      *error = c_ ? PQerrorMessage(c_) : "out of memory";
      while (!error->empty() && (error->back() == '\n' || error->back() == ' ')) error->pop_back();
    }
    return false;
  }
  // NOTICEs (e.g. "relation already exists, skipping") are not errors.
  PQsetNoticeProcessor(c_, quiet_notices, nullptr);
  // UTC for every timestamp the server formats; text parameters read as UTF-8.
  Result r(PQexec(c_, "SET TIME ZONE 'UTC'; SET client_encoding TO 'UTF8'"), PQerrorMessage(c_));
  if (!r.ok()) {
    if (error) *error = r.error();
    return false;
  }
  return true;
}

bool Conn::good() const {
  return c_ && PQstatus(c_) == CONNECTION_OK;
}

bool Conn::ensure(std::string* error) {
  if (good()) return true;
  if (!c_) return connect(url_, error);
  PQreset(c_);
  if (PQstatus(c_) == CONNECTION_OK) {
    PQsetNoticeProcessor(c_, quiet_notices, nullptr);
    Result r(PQexec(c_, "SET TIME ZONE 'UTC'; SET client_encoding TO 'UTF8'"), PQerrorMessage(c_));
    return r.ok();
  }
  if (error) {
    *error = PQerrorMessage(c_);
    while (!error->empty() && (error->back() == '\n' || error->back() == ' ')) error->pop_back();
  }
  return false;
}

void Conn::note(const Result& r) {
  if (!r.ok() && first_error_.empty()) first_error_ = r.sqlstate().empty() ? "connection" : r.sqlstate();
}

Result Conn::exec(std::string_view sql, const Params& params) {
  if (!c_) return Result(nullptr, "not connected");
  if (PQstatus(c_) != CONNECTION_OK && !in_transaction()) ensure(nullptr);
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  std::string q(sql);
  Result r(PQexecParams(c_, q.c_str(), static_cast<int>(params.size()), nullptr, values.data(), nullptr,
                        nullptr, 0),
           PQerrorMessage(c_));
  note(r);
  return r;
}

bool Conn::exec_script(std::string_view sql, std::string* error) {
  if (!c_) {
    if (error) *error = "not connected";
    return false;
  }
  if (PQstatus(c_) != CONNECTION_OK && !in_transaction()) ensure(nullptr);
  std::string q(sql);
  Result r(PQexec(c_, q.c_str()), PQerrorMessage(c_));
  note(r);
  if (!r.ok() && error) *error = r.error();
  return r.ok();
}

bool Conn::in_transaction() const {
  if (!c_) return false;
  auto s = PQtransactionStatus(c_);
  return s == PQTRANS_INTRANS || s == PQTRANS_INERROR || s == PQTRANS_ACTIVE;
}

// ---- Pool ----

Pool::Lease::~Lease() {
  if (c_) p_->release(c_);
}

std::unique_ptr<Pool> Pool::open(const std::string& url, int size, std::string* error) {
  auto p = std::make_unique<Pool>();
  p->url_ = url;
  size = std::max(size, 1);
  for (int i = 0; i < size; ++i) {
    auto c = std::make_unique<Conn>();
    std::string err;
    if (!c->connect(url, &err)) {
      if (i == 0) {
        if (error) *error = "cannot connect to PostgreSQL: " + err;
        return nullptr;
      }
      // The server may limit connections; a smaller pool still works.
      break;
    }
    p->free_.push_back(c.get());
    p->conns_.push_back(std::move(c));
  }
  return p;
}

Pool::Lease Pool::acquire() {
  std::unique_lock lk(mu_);
  cv_.wait(lk, [&] { return !free_.empty(); });
  Conn* c = free_.back();
  free_.pop_back();
  lk.unlock();
  if (!c->good()) c->ensure(nullptr);
  return Lease(this, c);
}

void Pool::release(Conn* c) {
  // A caller that returned inside a transaction (an early return) leaves it
  // rolled back, so the next user starts clean.
  if (c->in_transaction()) c->exec_script("ROLLBACK");
  {
    std::lock_guard lk(mu_);
    free_.push_back(c);
  }
  cv_.notify_one();
}

// ---- transactions ----

StoreStatus fail(std::string_view what, const Result& r) {
  return StoreStatus::error(std::string(what) + ": " + r.error());
}

StoreStatus with_tx(Conn& c, const char* what, const std::function<StoreStatus(Conn&)>& body,
                    const char* begin, int attempts) {
  StoreStatus st;
  for (int attempt = 0; attempt < std::max(attempts, 1); ++attempt) {
    if (attempt > 0) {
      // A short, growing pause so that the transactions that collided do not
      // meet again at once.
      std::this_thread::sleep_for(std::chrono::milliseconds(2 * attempt * attempt));
    }
    c.clear_first_error();
    std::string err;
    if (!c.exec_script(begin, &err)) return StoreStatus::error(std::string(what) + ": begin: " + err);
    st = body(c);
    if (st.ok && PQtransactionStatus(c.raw()) == PQTRANS_INERROR) {
      // A statement failed and the body went on: COMMIT would roll back quietly.
      st = StoreStatus::error(std::string(what) + ": a statement failed inside the transaction");
    }
    if (st.ok) {
      if (c.exec_script("COMMIT", &err)) return st;
      st = StoreStatus::error(std::string(what) + ": commit: " + err);
    } else {
      c.exec_script("ROLLBACK");
    }
    if (c.in_transaction()) c.exec_script("ROLLBACK");
    const std::string& state = c.first_error();
    if (state != kSerializationFailure && state != kDeadlockDetected) return st;
  }
  return st;
}

StoreStatus with_tx(Pool& pool, const char* what, const std::function<StoreStatus(Conn&)>& body,
                    const char* begin, int attempts) {
  auto lease = pool.acquire();
  return with_tx(*lease, what, body, begin, attempts);
}

}  // namespace vigil::collector::pg

#include "agent/uplink/spool.h"

#include <pthread.h>
#include <spdlog/spdlog.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <ctime>
#include <filesystem>

#include "common/private_files.h"

namespace vigil {
namespace {

constexpr const char* kSchema = R"sql(
PRAGMA journal_mode=WAL;
CREATE TABLE IF NOT EXISTS events(id INTEGER PRIMARY KEY, uid TEXT NOT NULL, type TEXT NOT NULL,
  json TEXT NOT NULL, size INT NOT NULL, created_ms INT NOT NULL, batch_seq INT);
CREATE INDEX IF NOT EXISTS events_batch ON events(batch_seq, id);
CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v INT NOT NULL);
)sql";

// Wall-clock milliseconds: stored in the database, so it must mean the same after a restart.
int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct Stmt {
  sqlite3_stmt* s = nullptr;
  Stmt(sqlite3* db, const char* sql) { sqlite3_prepare_v2(db, sql, -1, &s, nullptr); }
  ~Stmt() { sqlite3_finalize(s); }
  // Before the connection may be closed (the error stays on the connection).
  void finalize() {
    sqlite3_finalize(s);
    s = nullptr;
  }
  Stmt& i64(int i, int64_t v) {
    sqlite3_bind_int64(s, i, v);
    return *this;
  }
  Stmt& text(int i, std::string_view v) {
    sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
    return *this;
  }
  int step() { return s ? sqlite3_step(s) : SQLITE_MISUSE; }
  int64_t col(int i) const { return sqlite3_column_int64(s, i); }
  bool null(int i) const { return sqlite3_column_type(s, i) == SQLITE_NULL; }
  std::string str(int i) const {
    auto p = sqlite3_column_text(s, i);
    return p ? std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(s, i)))
             : std::string();
  }
};

// The file is not a database or is damaged (as opposed to full, locked, read-only).
bool is_damaged(int rc) {
  rc &= 0xff;
  return rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB;
}

uint64_t row_size(std::string_view uid, std::string_view type, std::string_view json) {
  return uid.size() + type.size() + json.size() + 16;
}

}  // namespace

std::unique_ptr<Spool> Spool::open(const SpoolOptions& opt, std::string* error) {
  std::unique_ptr<Spool> sp(new Spool());
  sp->opt_ = opt;
  bool corrupt = false;
  if (!sp->open_db(error, &corrupt)) {
    if (!corrupt || !sp->quarantine(*error, error)) return nullptr;
  }
  // The writer takes no signals: the agent's signal thread handles them.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &old);
  sp->writer_ = std::thread([p = sp.get()] { p->writer_loop(); });
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  return sp;
}

bool Spool::open_db(std::string* error, bool* corrupt) {
  *corrupt = false;
  const std::string& path = opt_.path;
  auto fail = [&](const std::string& what) {
    int rc = db_ ? sqlite3_errcode(db_) : SQLITE_NOMEM;
    *corrupt = is_damaged(rc);
    *error = what + " " + path + ": " + (db_ ? sqlite3_errmsg(db_) : "out of memory");
    sqlite3_close_v2(db_);
    db_ = nullptr;
    return false;
  };
  // Spooled events are the agent's alerts and payloads: 0600 from the first byte.
  if (std::string err = private_sqlite_files(path); !err.empty()) {
    *error = "cannot open spool " + path + ": " + err;
    return false;
  }
  if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                      nullptr) != SQLITE_OK) {
    return fail("cannot open spool");
  }
  sqlite3_busy_timeout(db_, 10000);
  if (!exec(kSchema) || !exec(opt_.sync_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL") ||
      !exec("PRAGMA wal_autocheckpoint=256"))
    return fail("cannot initialise spool");
  {
    // Reads every page of the file: damage found now is handled before any
    // event is written into it.
    Stmt qc(db_, "PRAGMA quick_check(5)");
    std::string problems;
    int rc;
    while ((rc = qc.step()) == SQLITE_ROW) {
      std::string r = qc.str(0);
      if (r != "ok") problems += (problems.empty() ? "" : "; ") + r;
    }
    qc.finalize();
    if (rc != SQLITE_DONE) return fail("cannot check spool");
    if (!problems.empty()) {
      *corrupt = true;
      *error = "spool " + path + " fails its integrity check: " + problems;
      sqlite3_close_v2(db_);
      db_ = nullptr;
      return false;
    }
  }
  {
    Stmt st(db_, "SELECT COUNT(*), COALESCE(SUM(size),0), COALESCE(SUM(batch_seq IS NULL),0) FROM events");
    if (st.step() != SQLITE_ROW) {
      st.finalize();
      return fail("cannot read spool");
    }
    depth_ = static_cast<uint64_t>(st.col(0));
    bytes_ = static_cast<uint64_t>(st.col(1));
    unbatched_ = static_cast<uint64_t>(st.col(2));
    Stmt old(db_, "SELECT created_ms FROM events WHERE batch_seq IS NULL ORDER BY id LIMIT 1");
    oldest_unbatched_ms_ = old.step() == SQLITE_ROW ? old.col(0) : 0;
  }
  dropped_ = static_cast<uint64_t>(meta_get("dropped"));
  quarantined_ = static_cast<uint64_t>(meta_get("quarantined"));
  return true;
}

bool Spool::quarantine(const std::string& why, std::string* error) {
  sqlite3_close_v2(db_);
  db_ = nullptr;
  char stamp[32];
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
  std::string dest = opt_.path + ".corrupt-" + stamp;
  for (int i = 1; std::filesystem::exists(dest); ++i)
    dest = opt_.path + ".corrupt-" + stamp + "." + std::to_string(i);
  // The -wal and -shm travel with it, renamed so that SQLite finds them next
  // to the moved file (and a fresh spool does not replay a stale log).
  for (const char* sfx : {"", "-wal", "-shm"}) {
    std::error_code ec;
    std::string from = opt_.path + sfx;
    if (!std::filesystem::exists(from, ec)) continue;
    std::filesystem::rename(from, dest + sfx, ec);
    if (ec) {
      *error = why + "; and it cannot be moved aside to " + dest + sfx + ": " + ec.message();
      return false;
    }
  }
  // What the damaged file still says about numbering and losses, if anything.
  int64_t next_seq = 0, dropped = static_cast<int64_t>(dropped_.load());
  int64_t quarantined = static_cast<int64_t>(quarantined_.load());
  sqlite3* old = nullptr;
  if (sqlite3_open_v2(dest.c_str(), &old, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    Stmt st(old, "SELECT k, v FROM meta WHERE k IN ('next_seq','dropped','quarantined')");
    while (st.step() == SQLITE_ROW) {
      std::string k = st.str(0);
      int64_t v = st.col(1);
      if (k == "next_seq") next_seq = v;
      if (k == "dropped") dropped = std::max(dropped, v);
      if (k == "quarantined") quarantined = std::max(quarantined, v);
    }
  }
  sqlite3_close_v2(old);
  spdlog::error(
      "spool: {}; moved it aside to {} and started an empty spool. Events still in it are not sent: "
      "salvage what can be read with `sqlite3 {} .dump` if they matter",
      why, dest, dest);
  bool corrupt = false;
  if (!open_db(error, &corrupt)) {
    *error = "after moving a damaged spool to " + dest + ": " + *error;
    return false;
  }
  quarantined_ = static_cast<uint64_t>(quarantined + 1);
  dropped_ = static_cast<uint64_t>(dropped);
  meta_set("quarantined", quarantined + 1);
  meta_set("dropped", dropped);
  if (next_seq > 1) {
    meta_set("next_seq", next_seq);
    spdlog::info("spool: batch numbers continue at {}, as recorded in the damaged file", next_seq);
  }
  return true;
}

bool Spool::quarantine_if_damaged(int rc, const char* where) {
  if (!db_ || !is_damaged(rc)) return false;
  std::string why =
      std::string("spool ") + opt_.path + " is damaged (" + where + ": " + sqlite3_errmsg(db_) + ")";
  std::string err;
  if (!quarantine(why, &err)) {
    spdlog::critical("spool: {}; events cannot be spooled until the agent is restarted", err);
    return false;
  }
  return true;
}

Spool::~Spool() {
  {
    std::lock_guard lk(mu_);
    stop_ = true;
  }
  // The writer commits what is still queued before it exits.
  cv_work_.notify_all();
  cv_space_.notify_all();
  if (writer_.joinable()) writer_.join();
  sqlite3_close_v2(db_);
}

bool Spool::exec(const char* sql) {
  return sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) == SQLITE_OK;
}

int64_t Spool::meta_get(const char* key) {
  Stmt st(db_, "SELECT v FROM meta WHERE k=?");
  st.text(1, key);
  return st.step() == SQLITE_ROW ? st.col(0) : 0;
}

void Spool::meta_set(const char* key, int64_t v) {
  Stmt st(db_, "INSERT INTO meta(k,v) VALUES(?,?) ON CONFLICT(k) DO UPDATE SET v=excluded.v");
  st.text(1, key).i64(2, v).step();
}

bool Spool::append(std::string_view uid, std::string_view type, std::string_view json) {
  std::unique_lock lk(mu_);
  if (!stop_ && pending_.size() >= opt_.queue_max) {
    ++queue_full_waits_;
    cv_space_.wait(lk, [&] { return stop_ || pending_.size() < opt_.queue_max; });
  }
  if (stop_) {
    ++write_errors_;
    return false;
  }
  pending_.push_back({std::string(uid), std::string(type), std::string(json)});
  ++enqueued_;
  if (pending_.size() == 1) cv_work_.notify_one();
  return true;
}

bool Spool::flush() {
  std::unique_lock lk(mu_);
  uint64_t from = committed_, ticket = enqueued_;
  cv_work_.notify_one();
  cv_done_.wait(lk, [&] { return committed_ >= ticket; });
  return failed_hi_ <= from;
}

void Spool::writer_loop() {
  std::unique_lock lk(mu_);
  for (;;) {
    cv_work_.wait(lk, [&] { return stop_ || !pending_.empty(); });
    if (pending_.empty() && stop_) return;
    std::vector<SpoolRow> rows;
    rows.swap(pending_);
    uint64_t upto = enqueued_;
    cv_space_.notify_all();
    lk.unlock();
    bool ok = commit(rows);
    lk.lock();
    if (!ok) failed_hi_ = upto;
    committed_ = upto;
    cv_done_.notify_all();
  }
}

bool Spool::commit(std::vector<SpoolRow>& rows) {
  std::lock_guard db(db_mu_);
  if (!db_) {
    write_errors_ += rows.size();
    return false;
  }
  uint64_t want = 0;
  for (const auto& r : rows) want += row_size(r.uid, r.type, r.json);
  if (!room_for(want, rows.size())) {
    write_errors_ += rows.size();
    return false;
  }
  bool damaged = false;
  if (commit_once(rows, &damaged)) return true;
  if (!damaged) return false;
  // A damaged file is moved aside and these events go into the fresh one.
  std::string why = "spool " + opt_.path + " is damaged (found writing events)", err;
  if (!quarantine(why, &err)) {
    spdlog::critical("spool: {}; events cannot be spooled until the agent is restarted", err);
    return false;
  }
  write_errors_ -= rows.size();  // counted by the failed try; these are kept now
  return commit_once(rows, &damaged);
}

bool Spool::commit_once(std::vector<SpoolRow>& rows, bool* damaged) {
  *damaged = false;
  if (!exec("BEGIN IMMEDIATE")) {
    *damaged = is_damaged(sqlite3_errcode(db_));
    write_errors_ += rows.size();
    log_write_failure(std::string("cannot begin a transaction: ") + sqlite3_errmsg(db_), rows.size());
    return false;
  }
  int64_t now = wall_ms();
  uint64_t added = 0;
  bool ok = true;
  {
    Stmt ins(db_, "INSERT INTO events(uid,type,json,size,created_ms) VALUES(?,?,?,?,?)");
    for (const auto& r : rows) {
      uint64_t sz = row_size(r.uid, r.type, r.json);
      ins.text(1, r.uid).text(2, r.type).text(3, r.json).i64(4, static_cast<int64_t>(sz)).i64(5, now);
      if (ins.step() != SQLITE_DONE) {
        ok = false;
        break;
      }
      sqlite3_reset(ins.s);
      added += sz;
    }
  }
  // Enforce the cap in the same transaction: oldest first, counted.
  uint64_t total = bytes_.load() + added, depth = depth_.load() + rows.size();
  uint64_t unbatched = unbatched_.load() + rows.size(), dropped_now = 0;
  while (ok && total > opt_.max_bytes && depth > 0) {
    Stmt old(db_, "SELECT id, size, batch_seq IS NULL FROM events ORDER BY id LIMIT 256");
    int64_t last_id = -1;
    while (total > opt_.max_bytes && old.step() == SQLITE_ROW) {
      last_id = old.col(0);
      total -= static_cast<uint64_t>(old.col(1));
      --depth;
      ++dropped_now;
      if (old.col(2)) --unbatched;
    }
    if (last_id < 0) break;
    Stmt del(db_, "DELETE FROM events WHERE id<=?");
    ok = del.i64(1, last_id).step() == SQLITE_DONE;
  }
  if (ok && dropped_now) meta_set("dropped", static_cast<int64_t>(dropped_ + dropped_now));
  if (!ok || !exec("COMMIT")) {
    log_write_failure(std::string("write failed: ") + sqlite3_errmsg(db_), rows.size());
    *damaged = is_damaged(sqlite3_errcode(db_));
    exec("ROLLBACK");
    write_errors_ += rows.size();
    return false;
  }
  bool had_unbatched = unbatched_.load() > 0;
  bytes_ = total;
  depth_ = depth;
  unbatched_ = unbatched;
  dropped_ += dropped_now;
  written_ += rows.size();
  if (dropped_now) {
    Stmt o(db_, "SELECT created_ms FROM events WHERE batch_seq IS NULL ORDER BY id LIMIT 1");
    oldest_unbatched_ms_ = o.step() == SQLITE_ROW ? o.col(0) : 0;
  } else if (!had_unbatched) {
    oldest_unbatched_ms_ = now;
  }
  return true;
}

bool Spool::room_for(uint64_t bytes, uint64_t events) {
  struct statvfs fs {};
  std::string dir = std::filesystem::path(opt_.path).parent_path().string();
  if (statvfs(dir.empty() ? "." : dir.c_str(), &fs) != 0) return true;  // unknown: SQLite will say
  uint64_t total = static_cast<uint64_t>(fs.f_blocks) * fs.f_frsize;
  uint64_t avail = static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
  // Pages freed inside the file by delivered events are reused before it grows.
  {
    Stmt fl(db_, "SELECT freelist_count * page_size FROM pragma_freelist_count, pragma_page_size");
    if (fl.step() == SQLITE_ROW) avail += static_cast<uint64_t>(fl.col(0));
  }
  uint64_t keep = std::min<uint64_t>(opt_.min_free_bytes, total / 4);
  // Rows, index and WAL frames: about twice the events' own size.
  uint64_t need = 2 * bytes + keep;
  if (avail >= need) return true;
  log_write_failure("only " + std::to_string(avail) + " bytes free on the file system of " + opt_.path +
                        ", " + std::to_string(keep) +
                        " kept free (uplink.spool-min-free-bytes) so that delivered events can be deleted",
                    events);
  return false;
}

void Spool::log_write_failure(const std::string& what, uint64_t n) {
  unlogged_failures_ += n;
  int64_t now = wall_ms();
  if (last_fail_log_ms_ != 0 && now - last_fail_log_ms_ < 10000) return;
  spdlog::error("spool: {}; {} events not stored since the last report (counted in spool.write_errors)", what,
                unlogged_failures_);
  last_fail_log_ms_ = now;
  unlogged_failures_ = 0;
}

std::optional<SpoolBatch> Spool::next_batch(size_t max_events, uint64_t max_bytes, bool form_new) {
  std::lock_guard db(db_mu_);
  if (!db_) return std::nullopt;
  SpoolBatch b;
  int rc;
  {
    Stmt st(db_, "SELECT MIN(batch_seq) FROM events WHERE batch_seq IS NOT NULL");
    rc = st.step();
    if (rc == SQLITE_ROW && !st.null(0)) b.seq = static_cast<uint64_t>(st.col(0));
  }
  if (rc != SQLITE_ROW) {
    quarantine_if_damaged(rc, "reading batches");
    return std::nullopt;
  }
  if (b.seq == 0) {
    if (!form_new || unbatched_.load() == 0) return std::nullopt;
    if (!exec("BEGIN IMMEDIATE")) return std::nullopt;
    int64_t seq = meta_get("next_seq");
    if (seq <= 0) seq = 1;
    // The last event that fits under max_bytes (at least the first one).
    int64_t last_id = -1;
    {
      Stmt sel(db_, "SELECT id, size FROM events WHERE batch_seq IS NULL ORDER BY id LIMIT ?");
      sel.i64(1, static_cast<int64_t>(max_events));
      uint64_t total = 0;
      while (sel.step() == SQLITE_ROW) {
        uint64_t sz = static_cast<uint64_t>(sel.col(1));
        if (last_id >= 0 && total + sz > max_bytes) break;
        total += sz;
        last_id = sel.col(0);
      }
    }
    Stmt up(db_, "UPDATE events SET batch_seq=? WHERE batch_seq IS NULL AND id<=?");
    bool ok = last_id >= 0 && up.i64(1, seq).i64(2, last_id).step() == SQLITE_DONE;
    uint64_t n = static_cast<uint64_t>(sqlite3_changes(db_));
    if (ok) meta_set("next_seq", seq + 1);
    if (!ok || !exec("COMMIT")) {
      exec("ROLLBACK");
      return std::nullopt;
    }
    unbatched_ -= n;
    b.seq = static_cast<uint64_t>(seq);
    Stmt o(db_, "SELECT created_ms FROM events WHERE batch_seq IS NULL ORDER BY id LIMIT 1");
    oldest_unbatched_ms_ = o.step() == SQLITE_ROW ? o.col(0) : 0;
  }
  Stmt rows(db_, "SELECT uid, type, json FROM events WHERE batch_seq=? ORDER BY id");
  rows.i64(1, static_cast<int64_t>(b.seq));
  while (rows.step() == SQLITE_ROW) b.rows.push_back({rows.str(0), rows.str(1), rows.str(2)});
  return b;
}

void Spool::ack(uint64_t seq) {
  std::lock_guard db(db_mu_);
  if (!db_) return;
  // Statements are finalized before a quarantine closes the connection.
  uint64_t n = 0, sz = 0;
  int rc;
  {
    Stmt sum(db_, "SELECT COUNT(*), COALESCE(SUM(size),0) FROM events WHERE batch_seq=?");
    rc = sum.i64(1, static_cast<int64_t>(seq)).step();
    if (rc == SQLITE_ROW) {
      n = static_cast<uint64_t>(sum.col(0));
      sz = static_cast<uint64_t>(sum.col(1));
    }
  }
  if (rc == SQLITE_ROW) {
    Stmt del(db_, "DELETE FROM events WHERE batch_seq=?");
    rc = del.i64(1, static_cast<int64_t>(seq)).step();
  }
  if (rc != SQLITE_DONE) {
    spdlog::error("spool: cannot delete acknowledged batch {}: {}", seq, sqlite3_errmsg(db_));
    quarantine_if_damaged(rc, "deleting an acknowledged batch");
    return;
  }
  depth_ -= n;
  bytes_ -= sz;
}

bool Spool::split_batch(uint64_t seq) {
  std::lock_guard db(db_mu_);
  if (!db_) return false;
  std::vector<int64_t> ids;
  {
    Stmt st(db_, "SELECT id FROM events WHERE batch_seq=? ORDER BY id");
    st.i64(1, static_cast<int64_t>(seq));
    while (st.step() == SQLITE_ROW) ids.push_back(st.col(0));
  }
  if (ids.size() < 2) return false;
  if (!exec("BEGIN IMMEDIATE")) return false;
  int64_t next = std::max<int64_t>(meta_get("next_seq"), 1);
  Stmt up(db_, "UPDATE events SET batch_seq=? WHERE batch_seq=? AND id>=?");
  bool ok =
      up.i64(1, next).i64(2, static_cast<int64_t>(seq)).i64(3, ids[ids.size() / 2]).step() == SQLITE_DONE;
  if (ok) meta_set("next_seq", next + 1);
  if (!ok || !exec("COMMIT")) {
    exec("ROLLBACK");
    return false;
  }
  return true;
}

uint64_t Spool::renumber_above(uint64_t highest) {
  std::lock_guard db(db_mu_);
  if (!db_) return 0;
  std::vector<int64_t> seqs;
  {
    Stmt st(db_, "SELECT DISTINCT batch_seq FROM events WHERE batch_seq IS NOT NULL ORDER BY batch_seq");
    while (st.step() == SQLITE_ROW) seqs.push_back(st.col(0));
  }
  if (!exec("BEGIN IMMEDIATE")) return 0;
  // Through negative numbers, so that a new number never meets an old one
  // that has not moved yet.
  bool ok = exec("UPDATE events SET batch_seq=-batch_seq WHERE batch_seq IS NOT NULL");
  int64_t next = static_cast<int64_t>(highest) + 1;
  for (int64_t old : seqs) {
    if (!ok) break;
    Stmt up(db_, "UPDATE events SET batch_seq=? WHERE batch_seq=?");
    ok = up.i64(1, next++).i64(2, -old).step() == SQLITE_DONE;
  }
  if (ok) meta_set("next_seq", std::max(next, meta_get("next_seq")));
  if (!ok || !exec("COMMIT")) {
    spdlog::error("spool: cannot renumber batches: {}", sqlite3_errmsg(db_));
    exec("ROLLBACK");
    return 0;
  }
  return seqs.size();
}

void Spool::raise_next_seq(uint64_t min_next) {
  std::lock_guard db(db_mu_);
  if (!db_) return;
  if (meta_get("next_seq") < static_cast<int64_t>(min_next))
    meta_set("next_seq", static_cast<int64_t>(min_next));
}

uint64_t Spool::next_seq() {
  std::lock_guard db(db_mu_);
  if (!db_) return 1;
  return static_cast<uint64_t>(std::max<int64_t>(meta_get("next_seq"), 1));
}

int64_t Spool::oldest_unbatched_age_ms() const {
  int64_t t = oldest_unbatched_ms_.load();
  if (t == 0 || unbatched_.load() == 0) return 0;
  int64_t age = wall_ms() - t;
  // The wall clock was stepped back (NTP, an admin) since the event was
  // written: its age is unknown, so it counts as due now rather than waiting
  // for the clock to catch up (a day's step would hold a quiet agent's alerts
  // for a day). A step forward makes events due early: a smaller batch, no harm.
  return age < 0 ? kAgeUnknownMs : age;
}

void Spool::visit_counters(const CounterVisitor& v) const {
  v("spool.depth", depth_.load());
  v("spool.bytes", bytes_.load());
  v("spool.dropped", dropped_.load());
  v("spool.written", written_.load());
  v("spool.write_errors", write_errors_.load());
  v("spool.queue_full_waits", queue_full_waits_.load());
  v("spool.quarantined", quarantined_.load());
}

}  // namespace vigil

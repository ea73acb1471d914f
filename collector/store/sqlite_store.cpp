// SQLite implementation of the collector Store.
//
// One write connection (serialised by a mutex: SQLite has one writer anyway)
// with cached prepared statements, and one read connection for queries so
// that API reads never wait behind an ingest commit (WAL readers do not block
// the writer). Concurrent ingest_batch() calls are group-committed (see
// there). synchronous=FULL: the WAL is synced at every commit, so a batch
// the collector acknowledged survives power loss, which the agent relies on
// when it deletes the batch from its spool.

#include <pthread.h>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "collector/store/alert_facts.h"
#include "collector/store/alert_fts.h"
#include "collector/store/alert_rollups.h"
#include "collector/store/sqlite_address_index.h"
#include "collector/store/sqlite_alert_parts.h"
#include "collector/store/sqlite_alert_query.h"
#include "collector/store/sqlite_db.h"
#include "collector/store/sqlite_rulesets.h"
#include "collector/store/sqlite_triage.h"
#include "collector/store/store.h"
#include "common/digest.h"
#include "common/private_files.h"

namespace vigil::collector {
namespace {

using nlohmann::json;

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS tokens(hash TEXT PRIMARY KEY, created_at INT NOT NULL, expires_at INT NOT NULL,
  uses_left INT NOT NULL, revoked INT NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS agents(id TEXT PRIMARY KEY, key_hash TEXT NOT NULL, hostname TEXT NOT NULL DEFAULT '',
  version TEXT NOT NULL DEFAULT '', ruleset_version TEXT NOT NULL DEFAULT '', enrolled_at INT NOT NULL,
  last_seen INT NOT NULL DEFAULT 0, revoked INT NOT NULL DEFAULT 0, last_heartbeat TEXT);
CREATE TABLE IF NOT EXISTS api_keys(hash TEXT PRIMARY KEY, role INT NOT NULL, created_at INT NOT NULL,
  expires_at INT NOT NULL DEFAULT 0, revoked INT NOT NULL DEFAULT 0, last_used INT NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS batches(agent_id TEXT NOT NULL, batch_seq INT NOT NULL, received_at INT NOT NULL,
  events INT NOT NULL, digest TEXT, PRIMARY KEY(agent_id, batch_seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS events(id INTEGER PRIMARY KEY, agent_id TEXT NOT NULL, event_uid TEXT NOT NULL,
  ts INT NOT NULL, event_type TEXT NOT NULL, received_at INT NOT NULL, json TEXT NOT NULL,
  UNIQUE(agent_id, event_uid));
CREATE INDEX IF NOT EXISTS events_type_ts ON events(event_type, ts);
CREATE TABLE IF NOT EXISTS heartbeats(id INTEGER PRIMARY KEY, agent_id TEXT NOT NULL, ts INT NOT NULL,
  json TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS heartbeats_agent ON heartbeats(agent_id, ts);
CREATE TABLE IF NOT EXISTS audit(id INTEGER PRIMARY KEY, ts INT NOT NULL, actor TEXT NOT NULL,
  action TEXT NOT NULL, target TEXT NOT NULL DEFAULT '', peer TEXT NOT NULL DEFAULT '', detail TEXT);
CREATE INDEX IF NOT EXISTS audit_ts ON audit(ts, id);
CREATE TABLE IF NOT EXISTS alert_triage(alert_id INTEGER PRIMARY KEY, status TEXT NOT NULL DEFAULT 'new',
  assignee TEXT, updated_at INT NOT NULL, updated_by TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS rulesets(seq INTEGER PRIMARY KEY, version TEXT NOT NULL UNIQUE, text TEXT NOT NULL,
  report TEXT NOT NULL, created_at INT NOT NULL);
)sql";

// Columns added after the first release: a database created before them gets
// them on open (ALTER TABLE ... ADD COLUMN with the same default).
struct AddedColumn {
  const char *table, *column, *decl;
};
constexpr AddedColumn kAddedColumns[] = {
    {"tokens", "revoked", "INT NOT NULL DEFAULT 0"},
    {"api_keys", "expires_at", "INT NOT NULL DEFAULT 0"},
    {"api_keys", "revoked", "INT NOT NULL DEFAULT 0"},
    {"api_keys", "last_used", "INT NOT NULL DEFAULT 0"},
    {"batches", "digest", "TEXT"},   // NULL: stored before digests, acknowledged as a resend
    {"events", "flow_id", "INT"},    // NULL: no flow (stats), or not yet backfilled (see index_flows)
    {"alerts", "src_ip16", "BLOB"},  // indexed addresses: collector/store/sqlite_address_index.h
    {"alerts", "dest_ip16", "BLOB"},
    {"rulesets", "author", "TEXT NOT NULL DEFAULT ''"},  // collector/store/sqlite_rulesets.h
    {"rulesets", "base", "TEXT"},                        // NULL: the same as text
    {"agents", "address", "TEXT NOT NULL DEFAULT ''"},   // peer of the last heartbeat, else of the enrolment
};

// API keys record their last use at most this often (seconds): the check on
// every request then writes about once a minute per key, not per request.
constexpr int64_t kLastUsedResolution = 60;

// Heartbeat pruning deletes this many rows per transaction.
constexpr int64_t kPruneChunk = 5000;

// Retention deletes this many alerts or events per transaction: about 130
// ms of write lock on a 2-vCPU machine, which an ingest commit may wait.
// Against 2,000 a deleted alert costs a quarter less CPU (bench/RESULTS.md:
// the commit and the rollup work are shared by more rows).
constexpr int64_t kRetentionChunk = 5000;
// Ingest adds its rollup counts to the tables when the oldest pending ones
// are SqliteStoreOptions::rollup_fold_interval old (a second), or when this
// many keys are pending (about 120 bytes of memory each): a key seen in
// many commits is then written once (bench/RESULTS.md, "Rollups folded
// across commits").
constexpr size_t kRollupFoldKeys = 100'000;
// Over max_bytes, rows go in smaller steps, checking the size between them
// (a row's bytes are not known before it is deleted).
constexpr int64_t kRetentionBytesChunk = 2000;

// The most alert ids a partition (and its free-text block) spans: retention
// drops a partition in one transaction, about 4.5 us per alert here
// (bench/RESULTS.md), so a partition of at most 131,072 holds the write lock
// for about 0.6 s at most, in stores of a million alerts and more.
constexpr int64_t kPartMax = 131072;

std::optional<std::string> get_str(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

// One caller's write waiting in the group-commit queue: an event batch, or
// a heartbeat (events null, heartbeat set).
struct PendingBatch {
  const std::string* agent_id;
  uint64_t seq;
  std::string digest;
  const std::vector<IngestEvent>* events;
  int64_t now;
  IngestResult* out;
  StoreStatus status;
  bool done;
  struct Heartbeat {
    std::string text;
    std::optional<std::string> version, ruleset_version;
    std::string address;  // empty: unchanged
  };
  const Heartbeat* heartbeat = nullptr;
  // Per event (null for other callers): the alert's app-layer text for the
  // free-text index, computed before the write lock (alert_app_text); the
  // writer moves each stored alert's to the index thread.
  std::vector<std::string>* app_text = nullptr;
};

// The rollup dimensions of one batch's stored alerts, copied out of a
// committed transaction so that their counts are added to the pending
// rollups (RollupDelta::add) after the write lock is released.
struct RollupRows {
  struct Row {
    int64_t ts;
    std::optional<int64_t> severity, sid;
    std::optional<std::string> src_ip, dest_ip;
  };
  std::string agent_id;
  std::vector<Row> rows;
};

// One stored alert's free-text row, handed to the index thread, which may
// index it after the batch's caller has returned: everything it needs is
// held here.
struct FtsRow {
  int64_t id;
  std::optional<std::string> signature, app_proto;
  bool have_app = false;  // app is the alert_app_text() the caller computed
  std::string app;
  std::string text;  // without have_app: the EVE JSON text to compute it from
};

// A refusal to start that met a damaged file says what to do about it.
std::string damaged_advice(const std::string& path, const std::string& err) {
  if (err.find("malformed") == std::string::npos && err.find("not a database") == std::string::npos)
    return err;
  return err + ". " + damaged_store_advice(path);
}

// A thread of the store's, started with every signal blocked: the process
// takes SIGTERM and the others on the thread that waits for them
// (collector/main.cpp), which may block them only after the store is open.
template <class F>
std::thread quiet_thread(F&& f) {
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &old);
  std::thread t(std::forward<F>(f));
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  return t;
}

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(const SqliteStoreOptions& opts)
      : part_min_(std::max<int64_t>(1, opts.part_min)), fold_interval_(opts.rollup_fold_interval) {
    if (opts.stats_cache) facts_ = std::make_unique<AlertFacts>();
    std::random_device rd;
    char name[32];
    std::snprintf(name, sizeof name, "%08x%08x%08x", rd(), rd(), rd());
    owner_ = name;
  }

  bool open(const std::string& path, std::string* error) {
    if (!w_.open(path, error) || !r_.open(path, error)) return false;
    std::string err;
    // A 64 MiB page cache and memory-mapped reads: with SQLite's 2 MiB default
    // the index pages of a growing alerts table were re-read with pread() for
    // every batch, and the kernel copies were half of the ingest CPU.
    // Incremental auto-vacuum takes effect only in a database without tables
    // (a new one): retention then gives freed pages back to the file system.
    // A 16384-page (64 MiB) WAL before each automatic checkpoint: hot index
    // pages are copied back to the database once per 64 MiB, not per 4 MiB.
    // secure_delete=FAST (Debian builds SQLite with it ON): deleted content is
    // zeroed in pages written anyway, but a dropped partition's pages are not
    // each rewritten with zeros (through the WAL and its checkpoint), which
    // was a third of retention's CPU (bench/RESULTS.md). They stay free pages
    // of the file, readable only as the file is, until reused or given back.
    if (!w_.exec("PRAGMA auto_vacuum=INCREMENTAL; PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
                 "PRAGMA foreign_keys=ON; PRAGMA cache_size=-65536; PRAGMA mmap_size=1073741824; "
                 "PRAGMA wal_autocheckpoint=16384; PRAGMA secure_delete=FAST;",
                 &err) ||
        !w_.exec(kSchema, &err) || !w_.exec(sqlite_triage::kSchema, &err) ||
        !w_.exec(sqlite_rulesets::kSchema, &err) || !w_.exec(kRollupSchema, &err) || !migrate(&err) ||
        !migrate_addresses(&err) || !make_parts(&err) || !choose_uid_format(&err) ||
        !r_.exec("PRAGMA synchronous=FULL;", &err) || !register_alert_query_functions(r_, &err)) {
      *error = "cannot initialise " + path + ": " + damaged_advice(path, err);
      return false;
    }
    if (StoreStatus rb = rebuild_rollups_if_empty(w_); !rb.ok) {
      *error = "cannot initialise " + path + ": " + damaged_advice(path, rb.message);
      return false;
    }
    if (!open_text_index(path, error)) return false;
    if (!load_parts()) {
      *error = "cannot read the alert partitions of " + path + ": " + w_.errmsg();
      return false;
    }
    ins_event_ = w_.prepare(
        "INSERT OR IGNORE INTO events(agent_id,event_uid,ts,event_type,received_at,json,flow_id) "
        "VALUES(?,?,?,?,?,?,?)");
    ins_batch_ = w_.prepare(
        "INSERT OR IGNORE INTO batches(agent_id,batch_seq,received_at,events,digest) VALUES(?,?,?,?,?)");
    sel_batch_ = w_.prepare("SELECT digest FROM batches WHERE agent_id=? AND batch_seq=?");
    sel_highest_ = w_.prepare("SELECT COALESCE(MAX(batch_seq),0) FROM batches WHERE agent_id=?");
    up_agent_hb_ = w_.prepare(
        "UPDATE agents SET last_seen=?, last_heartbeat=?, "
        "version=COALESCE(?, version), ruleset_version=COALESCE(?, ruleset_version), "
        "address=COALESCE(NULLIF(?, ''), address) WHERE id=?");
    ins_hb_ = w_.prepare("INSERT INTO heartbeats(agent_id, ts, json) VALUES(?,?,?)");
    ins_pending_ = w_.prepare("INSERT INTO alert_rollup_pending(owner, first_id, last_id) VALUES(?,?,?)");
    // The index commits after the alerts: a stop in between leaves the
    // newest alerts out of it (indexed now), and rows of a transaction that
    // then failed (deleted).
    // (Only with the highest alert id read: a damaged file is left as it is.)
    if (int64_t top = 0; max_alert_id(&top)) {
      delete_text_rows_from(top + 1);
      const int64_t indexed = text_top();
      if (indexed != INT64_MAX && indexed < top) {
        if (StoreStatus st = index_alerts_from(indexed + 1); !st.ok)
          spdlog::error("store: the newest alerts could not be added to the free-text index ({})",
                        st.message);
      }
    }
    if (!ins_alert_.valid() || !ins_event_.valid() || !ins_batch_.valid() || !sel_batch_.valid() ||
        !sel_highest_.valid() || !up_agent_hb_.valid() || !ins_hb_.valid() || !ins_pending_.valid()) {
      *error = "cannot prepare statements: " + w_.errmsg();
      return false;
    }
    opened_ = true;
    fts_thread_ = quiet_thread([this] { fts_loop(); });
    // Counts left pending by a store that stopped without folding them.
    if (StoreStatus st = flush_rollups(); !st.ok)
      spdlog::warn("store: the alert rollups could not take the pending alerts in ({})", st.message);
    if (facts_) {
      // Before the loader's read transaction: what is deleted from here on
      // is not loaded again.
      facts_->begin_load();
      facts_thread_ = quiet_thread([this, path] { load_facts(path); });
    }
    return true;
  }

  // The stats cache's load (alert_facts.h): every stored alert, read in one
  // read transaction on a connection of its own, handed over 4096 at a time.
  void load_facts(const std::string& path) {
    const auto t0 = std::chrono::steady_clock::now();
    Db db;
    std::string err;
    bool ok = db.open(path, &err) && db.exec("PRAGMA mmap_size=1073741824; BEGIN", &err);
    Stmt st;
    if (ok) {
      st = db.prepare(
          "SELECT id, ts, severity, sid, src_ip, dest_ip, agent_id, proto, app_proto, category, src_port, "
          "dest_port FROM alerts");
      if (!(ok = st.valid())) err = db.errmsg();
    }
    constexpr size_t kBatch = 4096;
    std::vector<EveFields> fields(kBatch);
    std::vector<std::string> agents(kBatch);
    std::vector<AlertFactInput> in;
    in.reserve(kBatch);
    int rc = SQLITE_DONE;
    while (ok && !facts_stop_.load(std::memory_order_relaxed) && (rc = st.step()) == SQLITE_ROW) {
      const size_t i = in.size();
      EveFields& f = fields[i];
      f.ts_us = st.col_int(1);
      f.severity = st.col_opt_int(2);
      f.sid = st.col_opt_int(3);
      f.src_ip = st.col_opt_text(4);
      f.dest_ip = st.col_opt_text(5);
      agents[i] = st.col_text(6);
      f.proto = st.col_opt_text(7);
      f.app_proto = st.col_opt_text(8);
      f.category = st.col_opt_text(9);
      f.src_port = st.col_opt_int(10);
      f.dest_port = st.col_opt_int(11);
      in.push_back({st.col_int(0), &agents[i], &f});
      if (in.size() == kBatch) {
        facts_->load(in);
        in.clear();
      }
    }
    facts_->load(in);
    if (ok && rc != SQLITE_DONE) {
      ok = false;
      err = db.errmsg();
    }
    const bool stopped = facts_stop_.load();
    st = Stmt();
    db.exec("COMMIT");
    facts_->end_load(ok && !stopped);
    if (stopped) return;
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (ok)
      spdlog::info("store: stats cache: {} alerts in {:.1f} s, {} MB", facts_->size(), s,
                   facts_->bytes() >> 20);
    else
      spdlog::warn("store: stats cache not loaded ({}); filtered dashboard counts read the alerts", err);
  }

  // A clean stop adds this store's pending counts. Nothing else: a CLI
  // command that opened the store ingested nothing, and its output ends
  // with what it printed.
  ~SqliteStore() override {
    if (facts_thread_.joinable()) {
      facts_stop_ = true;
      facts_thread_.join();
    }
    if (opened_ && pending_ranges_ > 0) {
      if (StoreStatus st = flush_rollups(); !st.ok)
        spdlog::warn("store: the alert rollups were left pending ({}); the next start counts them",
                     st.message);
    }
    if (fts_thread_.joinable()) {
      fts_post({FtsJob::kFlush, 0, {}}, true);
      {
        std::lock_guard fk(fmu_);
        fts_stop_ = true;
      }
      fcv_.notify_all();
      fts_thread_.join();
    }
  }

  // The free-text index file (alert_fts.h) beside the store at `path`: its
  // connection, the index made whole (built from the alerts when the file
  // is new), the index tables of a store from before the file dropped, and
  // the file attached to the read connection. A file SQLite finds damaged is
  // moved aside and built again: it holds nothing the alerts do not.
  bool open_text_index(const std::string& path, std::string* error) {
    text_path_ = alert_text_index_path(path);
    for (int attempt = 0; attempt < 2; ++attempt) {
      std::string err = private_sqlite_files(text_path_);
      int64_t indexed = 0;
      StoreStatus st;
      if (err.empty() && x_.open(text_path_, &err) &&
          x_.exec("PRAGMA auto_vacuum=INCREMENTAL; PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
                  "PRAGMA cache_size=-16384; PRAGMA secure_delete=FAST;",
                  &err)) {
        st = ensure_alert_fts(x_, w_, &indexed);
        if (st.ok) {
          fts_blocks_ = fts_blocks(x_);
          prepare_fts_newest();
          if (!ins_fts_.valid()) st = StoreStatus::error("free-text statements: " + x_.errmsg());
        }
        err = st.message;
      }
      if (err.empty()) {
        if (indexed > 0)
          std::fprintf(stderr, "vigil store: %s: free-text index built for %lld existing alerts\n",
                       text_path_.c_str(), static_cast<long long>(indexed));
        break;
      }
      const int rc = x_.get() ? sqlite3_errcode(x_.get()) & 0xff : SQLITE_OK;
      const bool damaged = rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB ||
                           err.find("malformed") != std::string::npos ||
                           err.find("not a database") != std::string::npos;
      ins_fts_ = Stmt();
      ins_fts_plain_ = Stmt();
      sel_fts_top_ = Stmt();
      x_.close();
      if (!damaged || attempt > 0) {
        *error = "cannot initialise " + text_path_ + ": " + err;
        return false;
      }
      const std::string aside = text_path_ + ".damaged-" + std::to_string(std::time(nullptr));
      spdlog::error("store: the free-text index {} is damaged ({}): kept as {}, built again from the alerts",
                    text_path_, err, aside);
      std::error_code ec;
      for (const char* sfx : {"", "-wal", "-shm"}) {
        std::filesystem::rename(text_path_ + sfx, aside + sfx, ec);
        if (ec && std::string(sfx).empty() && std::filesystem::exists(text_path_)) {
          *error = "cannot move the damaged " + text_path_ + " aside: " + ec.message();
          return false;
        }
      }
    }
    int dropped = 0;
    if (StoreStatus st = drop_main_fts(w_, &dropped); !st.ok) {
      *error = "cannot initialise " + path + ": " + damaged_advice(path, st.message);
      return false;
    }
    if (dropped > 0)
      std::fprintf(stderr, "vigil store: %s: the free-text index moved to %s (%d old tables dropped)\n",
                   path.c_str(), text_path_.c_str(), dropped);
    Stmt attach = r_.prepare("ATTACH DATABASE ? AS text");
    if (!attach.valid() || (attach.bind(1, text_path_), attach.step()) != SQLITE_DONE) {
      *error = "cannot attach " + text_path_ + ": " + r_.errmsg();
      return false;
    }
    // Read as the store is (memory-mapped): a free-text count over many
    // alerts reads much of it.
    r_.exec("PRAGMA text.mmap_size=1073741824");
    return true;
  }

  // Adds the columns of kAddedColumns a database lacks, in one write
  // transaction (a CLI and the server may open the same database at once),
  // then the steps that fill them (index_flows).
  bool migrate(std::string* err) {
    if (!w_.exec("BEGIN IMMEDIATE", err)) return false;
    for (const auto& c : kAddedColumns) {
      // alerts: a table only in a database from before partitions, whose
      // partitions have every column (sqlite_alert_parts.h).
      auto is_table = w_.prepare("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?");
      is_table.bind(1, std::string_view(c.table));
      if (is_table.step() != SQLITE_ROW) continue;
      auto st = w_.prepare(std::string("SELECT 1 FROM pragma_table_info('") + c.table + "') WHERE name=?");
      st.bind(1, std::string_view(c.column));
      if (st.step() == SQLITE_ROW) continue;
      if (!w_.exec(std::string("ALTER TABLE ") + c.table + " ADD COLUMN " + c.column + " " + c.decl, err)) {
        w_.exec("ROLLBACK");
        return false;
      }
    }
    return w_.exec("COMMIT", err) && index_flows(err);
  }

  // The alert detail finds a flow's alerts and events by (agent_id, flow_id,
  // ts). events.flow_id came after the first release: a database without the
  // events_flow index has events whose flow_id column was never filled, so
  // the backfill (from the stored EVE object, as ingest fills it) and the
  // index are made together in one transaction; the index's presence says
  // it is done, so this runs once per database. Both indexes are partial:
  // rows without a flow cost nothing and never match.
  bool index_flows(std::string* err) {
    if (!w_.exec("BEGIN IMMEDIATE", err)) return false;
    auto done = w_.prepare("SELECT 1 FROM sqlite_master WHERE type='index' AND name='events_flow'");
    bool have = done.step() == SQLITE_ROW;
    done = Stmt();
    if (!have) {
      auto any = w_.prepare("SELECT EXISTS(SELECT 1 FROM events)");
      if (any.step() == SQLITE_ROW && any.col_int(0) != 0)
        spdlog::info("store: filling in the flow ids of stored events (once; the store opens after it)");
      any = Stmt();
      auto t0 = std::chrono::steady_clock::now();
      if (!w_.exec("UPDATE events SET flow_id=json_extract(json,'$.flow_id') WHERE flow_id IS NULL AND "
                   "json_valid(json) AND json_type(json,'$.flow_id')='integer'",
                   err)) {
        w_.exec("ROLLBACK");
        return false;
      }
      int64_t filled = sqlite3_changes64(w_.get());
      if (!w_.exec("CREATE INDEX events_flow ON events(agent_id, flow_id, ts) WHERE flow_id IS NOT NULL",
                   err)) {
        w_.exec("ROLLBACK");
        return false;
      }
      auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
      if (filled > 0)
        spdlog::info("store: flow ids of {} stored events filled in and indexed ({} ms)", filled, ms.count());
    }
    if (alerts_is_table(w_) &&
        !w_.exec("CREATE INDEX IF NOT EXISTS alerts_flow ON alerts(agent_id, flow_id, ts) WHERE flow_id IS "
                 "NOT NULL",
                 err)) {
      w_.exec("ROLLBACK");
      return false;
    }
    return w_.exec("COMMIT", err);
  }

  // The BLOB address columns and their indexes (sqlite_address_index.h).
  // The alerts in partitions (sqlite_alert_parts.h), made after the
  // migrations above have brought a table from before them up to date.
  bool make_parts(std::string* err) {
    StoreStatus st = ensure_alert_parts(w_);
    if (!st.ok) *err = st.message;
    return st.ok;
  }

  bool migrate_addresses(std::string* err) {
    int64_t filled = 0;
    if (!alerts_is_table(w_)) return true;  // partitions are made with them
    if (!migrate_address_index(w_, &filled, err)) return false;
    if (filled > 0)
      spdlog::info("store: src_ip16/dest_ip16 filled in {} alerts, address indexes built", filled);
    return true;
  }

  // The dedup key UNIQUE(agent_id, event_uid) is the index every insert
  // touches at a random place. A database created empty by this version
  // (user_version 1) keeps a 64-hex uid as its 32 bytes (a BLOB: half the
  // index entry, so fewer pages dirtied per batch); any other uid stays TEXT,
  // and a BLOB never equals a TEXT in SQLite, so two different uids never
  // collide. A database that already holds rows with TEXT uids keeps TEXT
  // uids (user_version 0), so a resend after an upgrade is still a duplicate.
  bool choose_uid_format(std::string* err) {
    if (!w_.exec("BEGIN IMMEDIATE", err)) return false;
    auto v = w_.prepare("PRAGMA user_version");
    int64_t version = v.step() == SQLITE_ROW ? v.col_int(0) : 0;
    v = Stmt();
    if (version == 0) {
      auto any = w_.prepare("SELECT EXISTS(SELECT 1 FROM alerts) OR EXISTS(SELECT 1 FROM events)");
      bool empty = any.step() == SQLITE_ROW && any.col_int(0) == 0;
      any = Stmt();
      if (empty && !w_.exec("PRAGMA user_version=1", err)) {
        w_.exec("ROLLBACK");
        return false;
      }
      version = empty ? 1 : 0;
    }
    uid_blob_ = version >= 1;
    return w_.exec("COMMIT", err);
  }

  // Binds an event uid as the dedup key (see choose_uid_format).
  void bind_uid(Stmt& s, int i, const std::string& uid) const {
    if (uid_blob_ && wire::valid_uid(uid)) {
      unsigned char raw[wire::kUidHexChars / 2];
      auto nib = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
      for (size_t k = 0; k < sizeof raw; ++k)
        raw[k] = static_cast<unsigned char>(nib(uid[2 * k]) << 4 | nib(uid[2 * k + 1]));
      s.bind_blob(i, raw, sizeof raw);
    } else {
      s.bind(i, std::string_view(uid));
    }
  }

  StoreStatus create_token(const std::string& hash, int64_t now, int64_t expires_at, int uses) override {
    std::lock_guard lk(wmu_);
    auto st = w_.prepare("INSERT INTO tokens(hash,created_at,expires_at,uses_left) VALUES(?,?,?,?)");
    st.bind(1, hash).bind(2, now).bind(3, expires_at).bind(4, int64_t{uses});
    return done(st.step());
  }

  TokenUse use_token(const std::string& hash, int64_t now) override {
    std::lock_guard lk(wmu_);
    w_.exec("BEGIN IMMEDIATE");
    auto st = w_.prepare("SELECT expires_at, uses_left, revoked FROM tokens WHERE hash=?");
    st.bind(1, hash);
    TokenUse r = TokenUse::kOk;
    if (st.step() != SQLITE_ROW || st.col_int(2) != 0) {
      r = TokenUse::kUnknown;
    } else if (st.col_int(0) <= now) {
      r = TokenUse::kExpired;
    } else if (st.col_int(1) <= 0) {
      r = TokenUse::kUsedUp;
    } else {
      auto up = w_.prepare("UPDATE tokens SET uses_left=uses_left-1 WHERE hash=?");
      up.bind(1, hash).step();
    }
    w_.exec("COMMIT");
    return r;
  }

  std::vector<TokenRecord> list_tokens() override {
    std::lock_guard lk(rmu_);
    std::vector<TokenRecord> out;
    auto st =
        r_.prepare("SELECT hash, created_at, expires_at, uses_left, revoked FROM tokens ORDER BY created_at");
    while (st.step() == SQLITE_ROW) {
      out.push_back({st.col_text(0).substr(0, kCredentialIdLen), st.col_int(1), st.col_int(2),
                     static_cast<int>(st.col_int(3)), st.col_int(4) != 0});
    }
    return out;
  }

  bool revoke_token(const std::string& id) override { return revoke_by_id("tokens", id); }

  StoreStatus add_agent(const std::string& id, const std::string& key_hash, const std::string& hostname,
                        int64_t now, const std::string& address = {}) override {
    std::lock_guard lk(wmu_);
    auto st = w_.prepare("INSERT INTO agents(id,key_hash,hostname,enrolled_at,address) VALUES(?,?,?,?,?)");
    st.bind(1, id).bind(2, key_hash).bind(3, hostname).bind(4, now).bind(5, address);
    return done(st.step());
  }

  AgentAuth agent_auth(const std::string& id) override {
    std::lock_guard lk(rmu_);
    auto st = r_.prepare("SELECT key_hash, revoked FROM agents WHERE id=?");
    st.bind(1, id);
    AgentAuth a;
    if (st.step() == SQLITE_ROW) {
      a.exists = true;
      a.key_hash = st.col_text(0);
      a.revoked = st.col_int(1) != 0;
    }
    return a;
  }

  bool revoke_agent(const std::string& id) override {
    std::lock_guard lk(wmu_);
    auto st = w_.prepare("UPDATE agents SET revoked=1 WHERE id=?");
    st.bind(1, id).step();
    return sqlite3_changes(w_.get()) > 0;
  }

  std::vector<AgentRecord> list_agents() override {
    std::lock_guard lk(rmu_);
    std::vector<AgentRecord> out;
    auto st = r_.prepare(
        "SELECT id,hostname,version,ruleset_version,enrolled_at,last_seen,revoked,last_heartbeat,address "
        "FROM agents "
        "ORDER BY enrolled_at, id");
    while (st.step() == SQLITE_ROW) {
      AgentRecord a;
      a.id = st.col_text(0);
      a.hostname = st.col_text(1);
      a.version = st.col_text(2);
      a.ruleset_version = st.col_text(3);
      a.enrolled_at = st.col_int(4);
      a.last_seen = st.col_int(5);
      a.revoked = st.col_int(6) != 0;
      if (!st.col_null(7)) a.last_heartbeat = json::parse(st.col_text(7), nullptr, false);
      a.address = st.col_text(8);
      out.push_back(std::move(a));
    }
    return out;
  }

  using Store::api_key_role;
  using Store::create_api_key;

  StoreStatus create_api_key(const std::string& hash, Role role, int64_t now, int64_t expires_at) override {
    std::lock_guard lk(wmu_);
    auto st = w_.prepare("INSERT INTO api_keys(hash,role,created_at,expires_at) VALUES(?,?,?,?)");
    st.bind(1, hash).bind(2, int64_t{static_cast<int>(role)}).bind(3, now).bind(4, expires_at);
    return done(st.step());
  }

  std::optional<Role> api_key_role(const std::string& hash, int64_t now) override {
    int64_t last_used;
    Role role;
    {
      std::lock_guard lk(rmu_);
      auto st = r_.prepare("SELECT role, expires_at, revoked, last_used FROM api_keys WHERE hash=?");
      st.bind(1, hash);
      if (st.step() != SQLITE_ROW) return std::nullopt;
      int64_t expires_at = st.col_int(1);
      if (st.col_int(2) != 0 || (expires_at != 0 && expires_at <= now)) return std::nullopt;
      role = static_cast<Role>(st.col_int(0));
      last_used = st.col_int(3);
    }
    // Best effort: never wait behind an ingest commit for a "last used" stamp.
    if (now - last_used >= kLastUsedResolution) {
      std::unique_lock lk(wmu_, std::try_to_lock);
      if (lk.owns_lock()) {
        auto up = w_.prepare("UPDATE api_keys SET last_used=? WHERE hash=?");
        up.bind(1, now).bind(2, hash).step();
      }
    }
    return role;
  }

  std::vector<ApiKeyRecord> list_api_keys() override {
    std::lock_guard lk(rmu_);
    std::vector<ApiKeyRecord> out;
    auto st = r_.prepare(
        "SELECT hash, role, created_at, expires_at, last_used, revoked FROM api_keys ORDER BY created_at, "
        "hash");
    while (st.step() == SQLITE_ROW) {
      ApiKeyRecord k;
      k.id = st.col_text(0).substr(0, kCredentialIdLen);
      k.role = static_cast<Role>(st.col_int(1));
      k.created_at = st.col_int(2);
      k.expires_at = st.col_int(3);
      k.last_used = st.col_int(4);
      k.revoked = st.col_int(5) != 0;
      out.push_back(std::move(k));
    }
    return out;
  }

  bool revoke_api_key(const std::string& id) override { return revoke_by_id("api_keys", id); }

  StoreStatus append_audit(const AuditEntry& e) override {
    std::lock_guard lk(wmu_);
    auto st = w_.prepare("INSERT INTO audit(ts,actor,action,target,peer,detail) VALUES(?,?,?,?,?,?)");
    st.bind(1, e.ts).bind(2, e.actor).bind(3, e.action).bind(4, e.target).bind(5, e.peer);
    if (e.detail.is_null())
      st.bind_null(6);
    else
      st.bind(6, e.detail.dump());
    return done(st.step());
  }

  std::vector<AuditEntry> list_audit(const AuditQuery& q) override {
    std::string sql = "SELECT id,ts,actor,action,target,peer,detail FROM audit WHERE 1=1";
    if (q.actor) sql += " AND actor=?";
    if (q.action) sql += " AND action=?";
    if (q.from) sql += " AND ts>=?";
    if (q.to) sql += " AND ts<?";
    if (q.before_id) sql += " AND id<?";
    sql += " ORDER BY id DESC LIMIT ?";
    std::lock_guard lk(rmu_);
    auto st = r_.prepare(sql);
    int i = 1;
    if (q.actor) st.bind(i++, *q.actor);
    if (q.action) st.bind(i++, *q.action);
    if (q.from) st.bind(i++, *q.from);
    if (q.to) st.bind(i++, *q.to);
    if (q.before_id) st.bind(i++, *q.before_id);
    st.bind(i, int64_t{std::clamp(q.limit, 1, 1000)});
    std::vector<AuditEntry> out;
    while (st.step() == SQLITE_ROW) {
      AuditEntry e;
      e.id = st.col_int(0);
      e.ts = st.col_int(1);
      e.actor = st.col_text(2);
      e.action = st.col_text(3);
      e.target = st.col_text(4);
      e.peer = st.col_text(5);
      if (!st.col_null(6)) e.detail = json::parse(st.col_text(6), nullptr, false);
      out.push_back(std::move(e));
    }
    return out;
  }

  // Triage and suppressions: collector/store/sqlite_triage.cpp.
  StoreStatus triage_alerts(const std::vector<int64_t>& ids, const TriageChange& change,
                            const std::string& actor, int64_t now, const AuditEntry* audit,
                            uint64_t* matched) override {
    std::lock_guard lk(wmu_);
    return sqlite_triage::triage_alerts(w_, ids, change, actor, now, audit, matched);
  }
  std::optional<AlertTriage> get_triage(int64_t alert_id) override {
    std::lock_guard lk(rmu_);
    return sqlite_triage::get_triage(r_, alert_id);
  }
  StoreStatus add_suppression(Suppression* s, AuditEntry audit) override {
    std::lock_guard lk(wmu_);
    return sqlite_triage::add_suppression(w_, s, std::move(audit));
  }
  std::vector<Suppression> list_suppressions(bool all, int64_t now) override {
    std::lock_guard lk(rmu_);
    return sqlite_triage::list_suppressions(r_, all, now);
  }
  StoreStatus remove_suppression(int64_t id, int64_t now, const AuditEntry& audit, bool* found) override {
    std::lock_guard lk(wmu_);
    return sqlite_triage::remove_suppression(w_, id, now, audit, found);
  }
  StoreStatus add_suppression_hits(const std::vector<std::pair<int64_t, uint64_t>>& hits) override {
    std::lock_guard lk(wmu_);
    return sqlite_triage::add_suppression_hits(w_, hits);
  }

  // Group commit: batches that arrive while a commit is running are written
  // together in the next transaction, by whichever caller finds no commit in
  // progress; each caller returns when the transaction holding its batch is
  // durable. One commit then dirties the hot index pages once for several
  // agents' batches. A failed transaction fails every batch in it (the agents
  // resend them).
  StoreStatus ingest_batch(const std::string& agent_id, uint64_t seq, const std::vector<IngestEvent>& events,
                           int64_t now, IngestResult* out) override {
    *out = {};
    PendingBatch me{&agent_id, seq, batch_digest(events), &events, now, out, {}, false};
    // The free-text index's app-layer text, read from each alert's JSON here
    // rather than by the insert under the write lock.
    std::vector<std::string> app_text(events.size());
    for (size_t i = 0; i < events.size(); ++i) {
      const IngestEvent& e = events[i];
      if (!e.suppressed && e.fields && e.fields->event_type == "alert" && !e.text.empty())
        app_text[i] = alert_app_text(e.text, e.fields->app_proto.value_or(""));
    }
    me.app_text = &app_text;
    return commit_in_group(me);
  }

  // Waits until `me` is in a durable transaction: either the one this caller
  // runs (no commit in progress) or one run by another caller.
  StoreStatus commit_in_group(PendingBatch& me) {
    std::unique_lock lk(gmu_);
    queue_.push_back(&me);
    while (!me.done) {
      if (group_running_) {
        gcv_.wait(lk);
        continue;
      }
      group_running_ = true;
      std::vector<PendingBatch*> group;
      group.swap(queue_);
      lk.unlock();
      std::vector<RollupRows> rows;
      StoreStatus st = commit_group(group, &rows);
      lk.lock();
      for (auto* p : group) {
        if (!st.ok) {
          p->status = st;
          if (p->out) *p->out = {};
        }
        p->done = true;
      }
      group_running_ = false;
      gcv_.notify_all();
      if (!rows.empty()) {
        // While the next group is written.
        lk.unlock();
        count_committed(rows);
        lk.lock();
      }
    }
    return me.status;
  }

  // rows: the rollup dimensions of the alerts it committed, for
  // count_committed, unless its transaction folded them.
  StoreStatus commit_group(const std::vector<PendingBatch*>& group, std::vector<RollupRows>* rows) {
    std::lock_guard lk(wmu_);
    StoreStatus st = write_group(group, rows);
    // The alerts of a failed transaction may be in pending_: the next fold
    // counts this store's ranges from the rows instead.
    if (!st.ok) {
      pending_exact_ = false;
      rows->clear();
      return st;
    }
    if (!rows->empty()) {
      std::lock_guard ak(amu_);
      ++counts_issued_;
    }
    return st;
  }

  // Adds the counts of a committed transaction's alerts to counted_, after
  // the write lock: on another core than the writer's next transaction.
  void count_committed(const std::vector<RollupRows>& rows) {
    std::lock_guard ak(amu_);
    try {
      for (const RollupRows& b : rows)
        for (const RollupRows::Row& r : b.rows)
          counted_.add(r.ts, r.severity, b.agent_id, r.sid, r.src_ip, r.dest_ip);
    } catch (const std::exception&) {
      counts_lost_ = true;  // the next fold counts the ranges from the rows
    }
    counted_keys_.store(counted_.keys(), std::memory_order_relaxed);
    ++counts_done_;
    acv_.notify_all();
  }

  // Under wmu_: moves what count_committed added, once every committed
  // transaction's rows are in, into pending_.
  void take_counted() {
    std::unique_lock ak(amu_);
    acv_.wait(ak, [&] { return counts_done_ == counts_issued_; });
    if (counts_lost_) {
      counts_lost_ = false;
      pending_exact_ = false;
    }
    if (pending_.empty())
      std::swap(pending_, counted_);
    else
      pending_.merge(counted_);
    counted_ = RollupDelta();
    counted_keys_.store(0, std::memory_order_relaxed);
  }

  StoreStatus write_group(const std::vector<PendingBatch*>& group, std::vector<RollupRows>* rows) {
    std::string err;
    start_part_if_full();
    if (const int64_t gap = fts_gap_.exchange(INT64_MAX); gap != INT64_MAX) {
      // The index thread lost a transaction's rows (its commit failed).
      fts_flush();
      if (StoreStatus st = index_alerts_from(gap); !st.ok) {
        fts_gap_.store(gap);
        spdlog::error("store: alerts from id {} could not be added to the free-text index ({})", gap,
                      st.message);
      }
    }
    if (!w_.exec("BEGIN IMMEDIATE", &err)) return StoreStatus::error("begin: " + err);
    const int64_t first_new = next_id_;  // the alerts written now: first_new..next_id_-1
    group_first_ = first_new;
    facts_in_.clear();
    facts_owned_.clear();
    for (auto* p : group) {
      if (p->heartbeat) {
        if (!write_heartbeat(*p)) return rollback("heartbeat");
        continue;
      }
      ins_batch_.reset();
      ins_batch_.bind(1, *p->agent_id)
          .bind(2, static_cast<int64_t>(p->seq))
          .bind(3, p->now)
          .bind(4, int64_t(p->events->size()))
          .bind(5, p->digest);
      if (ins_batch_.step() != SQLITE_DONE) return rollback("batch insert");
      if (sqlite3_changes(w_.get()) == 0) {
        // Seen before: a resend (same uids) or a reused number (other uids).
        // Rows from before digests were kept (NULL) count as resends.
        sel_batch_.reset();
        sel_batch_.bind(1, *p->agent_id).bind(2, static_cast<int64_t>(p->seq));
        if (sel_batch_.step() != SQLITE_ROW) return rollback("batch lookup");
        bool same = sel_batch_.col_null(0) || sel_batch_.col_text(0) == p->digest;
        sel_batch_.reset();
        if (same) {
          p->out->duplicate_batch = true;
          continue;
        }
        sel_highest_.reset();
        sel_highest_.bind(1, *p->agent_id);
        if (sel_highest_.step() != SQLITE_ROW) return rollback("highest batch");
        p->out->conflict = true;
        p->out->highest_seq = static_cast<uint64_t>(sel_highest_.col_int(0));
        sel_highest_.reset();
        continue;
      }
      RollupRows* batch_rows = nullptr;
      std::vector<FtsRow> text_rows;
      for (size_t idx = 0; idx < p->events->size(); ++idx) {
        const IngestEvent& e = (*p->events)[idx];
        if (e.suppressed) continue;  // in the digest above, never stored
        // The HTTP path parsed the fields and kept the received text; other
        // callers give a DOM, read here.
        EveFields derived;
        std::string dumped;
        if (!e.fields) derived = eve_fields_from_json(e.eve);
        if (e.text.empty()) dumped = e.eve.dump();
        const EveFields& f = e.fields ? *e.fields : derived;
        const std::string& text = e.text.empty() ? dumped : e.text;
        bool stored = false;
        int rc = f.event_type == "alert" ? insert_alert(*p->agent_id, e, f, text, p->now, &stored)
                                         : insert_event(*p->agent_id, e, f, text, p->now, &stored);
        if (rc != SQLITE_DONE) return rollback("event insert");
        if (stored) {
          ++p->out->stored;
          p->out->stored_index.push_back(static_cast<uint32_t>(idx));
          if (f.event_type == "alert") {
            ++p->out->stored_alerts;
            if (facts_) {
              const EveFields* kept = &f;
              if (!e.fields) kept = &facts_owned_.emplace_back(derived);
              facts_in_.push_back({next_id_ - 1, &*p->agent_id, kept});
            }
            if (!batch_rows) batch_rows = &rows->emplace_back(RollupRows{*p->agent_id, {}});
            batch_rows->rows.push_back({f.ts_us.value_or(0), f.severity, f.sid, f.src_ip, f.dest_ip});
            FtsRow& t = text_rows.emplace_back();
            t.id = next_id_ - 1;
            t.signature = f.signature;
            t.app_proto = f.app_proto;
            if (p->app_text && e.fields && !e.text.empty()) {
              t.app = std::move((*p->app_text)[idx]);
              t.have_app = true;
            } else {
              t.text = e.text.empty() ? std::move(dumped) : e.text;
            }
          }
        } else {
          ++p->out->duplicate_events;
          if (f.event_type == "alert") ++p->out->duplicate_alerts;
        }
      }
      // Indexed on the index thread while the next batch's alerts go in.
      if (!text_rows.empty()) fts_rows(first_new, std::move(text_rows));
    }
    // The rollups: this commit's ids go into alert_rollup_pending and its
    // alerts' counts into pending_ (in memory; count_committed adds them
    // after the commit, outside the write lock); about once a second (or
    // when the pending keys grow many) they are added to the tables, this
    // commit's with them.
    const bool stored_alerts = next_id_ > first_new;
    const auto now = std::chrono::steady_clock::now();
    if (stored_alerts) {
      ins_pending_.reset();
      ins_pending_.bind(1, owner_).bind(2, first_new).bind(3, next_id_ - 1);
      if (ins_pending_.step() != SQLITE_DONE) return rollback("rollup pending");
      if (pending_ranges_++ == 0) pending_since_ = now;
    }
    if ((pending_ranges_ > 0 && now - pending_since_ >= fold_interval_) ||
        pending_.keys() + counted_keys_.load(std::memory_order_relaxed) > kRollupFoldKeys) {
      take_counted();
      for (const RollupRows& b : *rows)
        for (const RollupRows::Row& r : b.rows)
          pending_.add(r.ts, r.severity, b.agent_id, r.sid, r.src_ip, r.dest_ip);
      rows->clear();
      if (StoreStatus r = fold_rollups_in_txn(); !r.ok) return rollback(r.message);
    }
    fts_open_ = false;  // the index thread commits its rows within kFtsCommitAge
    if (!w_.exec("COMMIT", &err)) return rollback("commit: " + err);
    committed();
    committed_top_.store(next_id_ - 1);
    if (facts_) facts_->add(facts_in_);
    return {};
  }

  // The free-text index thread. The writer (under wmu_) hands it each
  // batch's rows (fts_rows) and does not wait: the thread keeps one
  // transaction on x_ open across group commits and commits it once it is
  // kFtsCommitAge old, or when idle that long, or when asked (kFlush: a
  // reader with q, so that it finds every alert committed before it, and the
  // writer before it uses x_ itself). Rows of a group whose transaction
  // then failed are deleted in order (kDiscard) before their ids come again.
  // A failed index commit loses rows of committed alerts: fts_gap_ has the
  // first, and the next group indexes them again from the alerts.
  static constexpr auto kFtsCommitAge = std::chrono::milliseconds(100);

  void fts_rows(int64_t first_new, std::vector<FtsRow> rows) {
    fts_open_ = true;
    fts_post({FtsJob::kRows, first_new, std::move(rows)});
  }
  // Rolls back the group's rows (the writer's transaction failed).
  void fts_abort() {
    if (!fts_open_) return;
    fts_open_ = false;
    fts_post({FtsJob::kDiscard, group_first_, {}});
  }
  // Waits until the thread has committed what it was handed and is idle.
  void fts_flush() { fts_post({FtsJob::kFlush, 0, {}}, true); }
  // For readers with free text: what ingest stored is in the index they
  // read.
  void fts_sync() {
    if (fts_dirty_.load()) fts_flush();
  }

  struct FtsJob {
    enum Kind { kRows, kDiscard, kFlush } kind;
    int64_t first_new;
    std::vector<FtsRow> rows;
  };

  // Queues a job; with wait, returns once the thread has run it.
  void fts_post(FtsJob job, bool wait = false) {
    std::unique_lock fk(fmu_);
    const uint64_t seq = ++fts_posted_;
    if (job.kind == FtsJob::kRows) fts_dirty_.store(true);
    fts_queue_.push_back(std::move(job));
    fcv_.notify_all();
    if (wait) fcv_.wait(fk, [&] { return fts_finished_ >= seq; });
  }

  void fts_loop() {
    std::unique_lock fk(fmu_);
    for (;;) {
      if (fts_queue_.empty()) {
        if (fts_stop_) return;
        if (fts_in_txn_) {
          const auto left = fts_txn_since_ + kFtsCommitAge - std::chrono::steady_clock::now();
          if (left > std::chrono::steady_clock::duration::zero() &&
              fcv_.wait_for(fk, left, [&] { return fts_stop_ || !fts_queue_.empty(); }))
            continue;
          fk.unlock();
          fts_commit_txn();
          fk.lock();
          continue;
        }
        fcv_.wait(fk, [&] { return fts_stop_ || !fts_queue_.empty(); });
        continue;
      }
      FtsJob job = std::move(fts_queue_.front());
      fts_queue_.pop_front();
      const bool rest_empty = fts_queue_.empty();
      fk.unlock();
      fts_run(job);
      if (fts_in_txn_ &&
          (job.kind == FtsJob::kFlush || std::chrono::steady_clock::now() - fts_txn_since_ >= kFtsCommitAge))
        fts_commit_txn();
      job = FtsJob{};
      fk.lock();
      if (rest_empty && fts_queue_.empty() && !fts_in_txn_) fts_dirty_.store(false);
      ++fts_finished_;
      fcv_.notify_all();
    }
  }

  // On the index thread: a transaction on x_ for the rows to come.
  bool fts_begin_txn() {
    if (fts_in_txn_) return true;
    std::string err;
    if (!x_.exec("BEGIN IMMEDIATE", &err)) {
      spdlog::error("store: free-text index: {}", err);
      return false;
    }
    fts_in_txn_ = true;
    fts_txn_since_ = std::chrono::steady_clock::now();
    fts_txn_first_ = INT64_MAX;
    read_fts_top();
    return true;
  }

  void fts_commit_txn() {
    if (!fts_in_txn_) return;
    fts_in_txn_ = false;
    std::string err;
    if (x_.exec("COMMIT", &err)) return;
    x_.exec("ROLLBACK");
    spdlog::error("store: free-text index commit: {}", err);
    fts_lost(fts_txn_first_);
  }

  // Rows of committed alerts from `first` on are not in the index.
  void fts_lost(int64_t first) {
    fts_cache_.clear();
    int64_t cur = fts_gap_.load();
    while (first < cur && !fts_gap_.compare_exchange_weak(cur, first)) {
    }
  }

  void fts_run(const FtsJob& job) {
    switch (job.kind) {
      case FtsJob::kRows: {
        if (job.rows.empty()) break;
        if (!fts_begin_txn()) {
          fts_lost(job.rows.front().id);
          break;
        }
        for (const FtsRow& r : job.rows) {
          if (index_alert_text(r)) {
            fts_txn_first_ = std::min(fts_txn_first_, r.id);
            continue;
          }
          spdlog::error("store: free-text index: {}", x_.errmsg());
          const int rc = sqlite3_errcode(x_.get()) & 0xff;
          if (rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB)
            spdlog::error("store: {} ({})", damaged_store_advice(text_path_), x_.errmsg());
          // This transaction's rows are lost with it; indexed again later.
          x_.exec("ROLLBACK");
          fts_in_txn_ = false;
          fts_lost(std::min(fts_txn_first_, r.id));
          break;
        }
        break;
      }
      case FtsJob::kDiscard:
        fts_cache_.clear();
        if (fts_begin_txn() && !delete_text_rows_from(job.first_new))
          spdlog::error("store: free-text index: {}", x_.errmsg());
        break;
      case FtsJob::kFlush:
        break;  // the loop commits
    }
  }

  // The highest alert id (0 without alerts) into *out; false when a
  // partition cannot be read. Under wmu_ (or in open).
  bool max_alert_id(int64_t* out) {
    *out = 0;
    for (auto it = parts_.rbegin(); it != parts_.rend(); ++it) {
      Stmt mx = w_.prepare("SELECT MAX(id) FROM \"" + it->p.name + "\"");
      if (!mx.valid() || mx.step() != SQLITE_ROW) return false;
      if (!mx.col_null(0)) {
        *out = mx.col_int(0);
        return true;
      }
    }
    return true;
  }

  // The highest id in the index (0 when empty; INT64_MAX when it cannot be
  // read). Under wmu_ with the index thread idle.
  int64_t text_top() {
    int64_t top = 0;
    for (const FtsBlock& b : fts_blocks_) {
      Stmt st = x_.prepare("SELECT max(rowid) FROM \"" + b.name + "\"");
      if (!st.valid() || st.step() != SQLITE_ROW) return INT64_MAX;
      if (!st.col_null(0)) top = std::max(top, st.col_int(0));
    }
    return top;
  }

  // Indexes the alerts from id `first` on, read from the store, in one
  // transaction on x_. Under wmu_ with the index thread idle.
  StoreStatus index_alerts_from(int64_t first) {
    if (first == INT64_MAX || first >= next_id_) return {};
    fts_cache_.clear();
    Stmt sel = w_.prepare("SELECT id, signature, json, app_proto FROM alerts WHERE id >= ? ORDER BY id");
    if (!sel.valid()) return StoreStatus::error(w_.errmsg());
    sel.bind(1, first);
    std::string err;
    if (!x_.exec("BEGIN IMMEDIATE", &err)) return StoreStatus::error(err);
    read_fts_top();
    int rc;
    int64_t n = 0;
    while ((rc = sel.step()) == SQLITE_ROW) {
      FtsRow r;
      r.id = sel.col_int(0);
      r.signature = sel.col_opt_text(1);
      r.text = sel.col_null(2) ? std::string() : sel.col_text(2);
      r.app_proto = sel.col_opt_text(3);
      if (!index_alert_text(r)) {
        const std::string e = x_.errmsg();
        x_.exec("ROLLBACK");
        return StoreStatus::error(e);
      }
      ++n;
    }
    if (rc != SQLITE_DONE) {
      x_.exec("ROLLBACK");
      return StoreStatus::error(w_.errmsg());
    }
    if (!x_.exec("COMMIT", &err)) {
      x_.exec("ROLLBACK");
      return StoreStatus::error(err);
    }
    if (n > 0) spdlog::info("store: {} alerts from id {} added to the free-text index", n, first);
    if (fts_reload_.load()) {
      fts_reload_ = false;
      reload_fts_blocks();
    }
    return {};
  }

  // Deletes the newest block's rows from `first` on (ids no alert has).
  // Under wmu_ with the index thread idle, or on it in its transaction.
  bool delete_text_rows_from(int64_t first) {
    if (fts_blocks_.empty()) return true;
    Stmt del = x_.prepare("DELETE FROM \"" + fts_blocks_.back().name + "\" WHERE rowid >= ?");
    if (!del.valid()) return false;
    del.bind(1, first);
    if (del.step() != SQLITE_DONE) return false;
    if (fts_top_ != INT64_MAX) fts_top_ = std::min(fts_top_, first - 1);
    return true;
  }

  // After a COMMIT of the write connection: when the transaction folded the
  // rollups, what was pending is in the tables.
  void committed() {
    if (!folded_) return;
    folded_ = false;
    pending_ = RollupDelta();
    pending_ranges_ = 0;
    pending_exact_ = true;
  }

  // Inside a write transaction (wmu_ held): adds to the rollup tables the
  // alerts alert_rollup_pending lists, and empties it. This store's own
  // ranges are added from pending_ when all of them are still listed (none
  // was taken by another store); every other range (a store that stopped
  // without folding, or whose ranges another store took) is counted from
  // its alerts. pending_ is cleared when the transaction commits.
  StoreStatus fold_rollups_in_txn() {
    take_counted();
    std::vector<std::pair<int64_t, int64_t>> mine, others;
    {
      auto st = w_.prepare("SELECT owner, first_id, last_id FROM alert_rollup_pending");
      int rc;
      while ((rc = st.step()) == SQLITE_ROW)
        (st.col_text(0) == owner_ ? mine : others).emplace_back(st.col_int(1), st.col_int(2));
      if (rc != SQLITE_DONE) return StoreStatus::error("rollup pending: " + w_.errmsg());
    }
    const bool intact = pending_exact_ && static_cast<int64_t>(mine.size()) == pending_ranges_;
    if (!intact) others.insert(others.end(), mine.begin(), mine.end());
    if (mine.empty() && others.empty() && pending_ranges_ == 0) return {};
    RollupDelta counted;
    if (!others.empty()) {
      auto sel = w_.prepare(
          "SELECT ts, severity, agent_id, sid, src_ip, dest_ip FROM alerts WHERE id BETWEEN ? AND ?");
      for (const auto& [lo, hi] : others) {
        sel.reset();
        sel.bind(1, lo).bind(2, hi);
        int rc;
        while ((rc = sel.step()) == SQLITE_ROW)
          counted.add(sel.col_int(0), sel.col_opt_int(1), sel.col_text(2), sel.col_opt_int(3),
                      sel.col_opt_text(4), sel.col_opt_text(5));
        if (rc != SQLITE_DONE) return StoreStatus::error("rollup pending alerts: " + w_.errmsg());
      }
    }
    if (intact)
      if (StoreStatus r = pending_.apply(w_); !r.ok) return r;
    if (StoreStatus r = counted.apply(w_); !r.ok) return r;
    if (!w_.exec("DELETE FROM alert_rollup_pending"))
      return StoreStatus::error("rollup pending: " + w_.errmsg());
    folded_ = true;
    return {};
  }

  // Folds the pending rollup counts in a transaction of its own.
  StoreStatus flush_rollups() {
    std::lock_guard lk(wmu_);
    if (pending_ranges_ == 0) {
      auto any = w_.prepare("SELECT 1 FROM alert_rollup_pending LIMIT 1");
      const int rc = any.step();
      if (rc == SQLITE_DONE) return {};
      if (rc != SQLITE_ROW) return StoreStatus::error("rollup pending: " + w_.errmsg());
    }
    std::string err;
    if (!w_.exec("BEGIN IMMEDIATE", &err)) return StoreStatus::error("rollup fold: " + err);
    if (StoreStatus st = fold_rollups_in_txn(); !st.ok) return rollback(st.message);
    if (!w_.exec("COMMIT", &err)) return rollback("rollup fold: " + err);
    committed();
    return {};
  }

  uint64_t highest_batch_seq(const std::string& agent_id) override {
    std::lock_guard lk(rmu_);
    auto st = r_.prepare("SELECT COALESCE(MAX(batch_seq),0) FROM batches WHERE agent_id=?");
    st.bind(1, agent_id);
    return st.step() == SQLITE_ROW ? static_cast<uint64_t>(st.col_int(0)) : 0;
  }

  StoreStatus record_heartbeat(const std::string& agent_id, const json& hb, int64_t now,
                               const std::string& address = {}) override {
    PendingBatch::Heartbeat h{hb.dump(), get_str(hb, "agent_version"), get_str(hb, "ruleset_version"),
                              address};
    PendingBatch me{&agent_id, 0, {}, nullptr, now, nullptr, {}, false};
    me.heartbeat = &h;
    return commit_in_group(me);
  }

  // Inside commit_group's transaction (wmu_ held).
  bool write_heartbeat(const PendingBatch& p) {
    const auto& h = *p.heartbeat;
    // The hostname is the one given at enrolment: a heartbeat's "hostname" stays a field of the heartbeat.
    up_agent_hb_.reset();
    up_agent_hb_.bind(1, p.now).bind(2, h.text).bind(3, h.version).bind(4, h.ruleset_version);
    up_agent_hb_.bind(5, h.address).bind(6, *p.agent_id);
    ins_hb_.reset();
    ins_hb_.bind(1, *p.agent_id).bind(2, p.now).bind(3, h.text);
    return up_agent_hb_.step() == SQLITE_DONE && ins_hb_.step() == SQLITE_DONE;
  }

  std::vector<json> heartbeat_history(const std::string& agent_id, int limit) override {
    std::lock_guard lk(rmu_);
    std::vector<json> out;
    auto st = r_.prepare("SELECT ts, json FROM heartbeats WHERE agent_id=? ORDER BY id DESC LIMIT ?");
    st.bind(1, agent_id).bind(2, int64_t{limit});
    while (st.step() == SQLITE_ROW) {
      json j = json::parse(st.col_text(1), nullptr, false);
      j["received_at"] = st.col_int(0);
      out.push_back(std::move(j));
    }
    return out;
  }

  StoreStatus prune_heartbeats(int64_t older_than, int keep_per_agent, uint64_t* pruned) override {
    *pruned = 0;
    std::vector<std::string> agents;
    {
      std::lock_guard lk(rmu_);
      auto st = r_.prepare("SELECT id FROM agents");
      while (st.step() == SQLITE_ROW) agents.push_back(st.col_text(0));
    }
    for (const auto& agent : agents) {
      // The newest row to delete by count: the (keep+1)-th newest, by (ts, id).
      int64_t cut_ts = older_than, cut_id = -1;  // ts < cut_ts, or (ts, id) <= (cut_ts, cut_id)
      if (keep_per_agent > 0) {
        std::lock_guard lk(rmu_);
        auto st = r_.prepare(
            "SELECT ts, id FROM heartbeats WHERE agent_id=? ORDER BY ts DESC, id DESC LIMIT 1 OFFSET ?");
        st.bind(1, agent).bind(2, int64_t{keep_per_agent});
        if (st.step() == SQLITE_ROW && st.col_int(0) >= cut_ts) {
          cut_ts = st.col_int(0);
          cut_id = st.col_int(1);
        }
      }
      for (;;) {
        std::lock_guard lk(wmu_);
        auto del = w_.prepare(
            "DELETE FROM heartbeats WHERE id IN (SELECT id FROM heartbeats WHERE agent_id=?1 AND "
            "(ts < ?2 OR (ts = ?2 AND id <= ?3)) LIMIT ?4)");
        del.bind(1, agent).bind(2, cut_ts).bind(3, cut_id).bind(4, kPruneChunk);
        if (del.step() != SQLITE_DONE) return StoreStatus::error("prune heartbeats: " + w_.errmsg());
        int64_t n = sqlite3_changes(w_.get());
        *pruned += static_cast<uint64_t>(n);
        if (n < kPruneChunk) break;
      }
    }
    return {};
  }

  StoreStatus query_alerts(const AlertQuery& q, AlertPage* out) override {
    *out = {};
    std::string where = " WHERE 1=1";
    if (q.agent_id) where += " AND agent_id=?";
    // Addresses through their BLOB index; a text that is no address is compared as text.
    std::optional<Ip16> src16 = q.src_ip ? ip16(*q.src_ip) : std::nullopt;
    std::optional<Ip16> dest16 = q.dest_ip ? ip16(*q.dest_ip) : std::nullopt;
    if (q.src_ip) where += src16 ? " AND src_ip16=?" : " AND src_ip=?";
    if (q.dest_ip) where += dest16 ? " AND dest_ip16=?" : " AND dest_ip=?";
    if (q.from_us) where += " AND ts>=?";
    if (q.to_us) where += " AND ts<?";
    if (q.sid) where += " AND sid=?";
    if (q.severity) where += " AND severity=?";
    auto bind_filters = [&](Stmt& st) {
      int i = 1;
      if (q.agent_id) st.bind(i++, *q.agent_id);
      if (src16)
        bind_ip16(st, i++, *src16);
      else if (q.src_ip)
        st.bind(i++, *q.src_ip);
      if (dest16)
        bind_ip16(st, i++, *dest16);
      else if (q.dest_ip)
        st.bind(i++, *q.dest_ip);
      if (q.from_us) st.bind(i++, *q.from_us);
      if (q.to_us) st.bind(i++, *q.to_us);
      if (q.sid) st.bind(i++, int64_t{*q.sid});
      if (q.severity) st.bind(i++, int64_t{*q.severity});
      return i;
    };
    std::lock_guard lk(rmu_);
    auto cnt = r_.prepare("SELECT COUNT(*) FROM alerts" + where);
    if (!cnt.valid()) return StoreStatus::error("query: " + r_.errmsg());
    bind_filters(cnt);
    if (cnt.step() == SQLITE_ROW) out->total = cnt.col_int(0);

    std::string sql = "SELECT id, ts, agent_id, json FROM alerts" + where;
    if (q.cursor) sql += " AND (ts < ? OR (ts = ? AND id < ?))";
    sql += " ORDER BY ts DESC, id DESC LIMIT ?";
    auto st = r_.prepare(sql);
    int i = bind_filters(st);
    if (q.cursor) {
      st.bind(i, q.cursor->first).bind(i + 1, q.cursor->first).bind(i + 2, q.cursor->second);
      i += 3;
    }
    int limit = std::clamp(q.limit, 1, 10000);
    st.bind(i, int64_t{limit});
    int64_t last_ts = 0, last_id = 0;
    int rc;
    while ((rc = st.step()) == SQLITE_ROW) {
      json j = json::parse(st.col_text(3), nullptr, false);
      if (j.is_discarded()) j = json::object();
      last_id = st.col_int(0);
      last_ts = st.col_int(1);
      j["id"] = last_id;
      j["agent_id"] = st.col_text(2);
      out->alerts.push_back(std::move(j));
    }
    if (rc != SQLITE_DONE) return StoreStatus::error("query: " + r_.errmsg());
    if (static_cast<int>(out->alerts.size()) == limit) out->next_cursor = std::make_pair(last_ts, last_id);
    return {};
  }

  // One read transaction each: the page is read one partition at a time
  // (sqlite_alert_query.cpp), and every statement must see the same commit.
  StoreStatus list_alerts(const AlertListQuery& q, AlertListPage* out) override {
    if (q.filter.q) fts_sync();
    std::lock_guard lk(rmu_);
    r_.exec("BEGIN");
    StoreStatus st = sqlite_list_alerts(r_, q, out, facts_ && facts_->ready() ? facts_.get() : nullptr);
    r_.exec("COMMIT");
    return st;
  }
  StoreStatus group_alerts(const AlertListQuery& q, AlertGroupPage* out) override {
    if (q.filter.q) fts_sync();
    std::lock_guard lk(rmu_);
    r_.exec("BEGIN");
    StoreStatus st = sqlite_group_alerts(r_, q, out);
    r_.exec("COMMIT");
    return st;
  }
  // One read transaction: the partitions' catalog and their rows alike.
  StoreStatus alert_detail(int64_t id, std::optional<AlertDetail>* out) override {
    std::lock_guard lk(rmu_);
    r_.exec("BEGIN");
    StoreStatus st = sqlite_alert_detail(r_, id, out);
    r_.exec("COMMIT");
    return st;
  }

  int64_t count_events(const std::string& event_type) override {
    std::lock_guard lk(rmu_);
    if (event_type == "alert") return count_alerts(r_, alert_parts(r_));
    Stmt st = r_.prepare("SELECT COUNT(*) FROM events WHERE event_type=?");
    st.bind(1, event_type);
    return st.step() == SQLITE_ROW ? st.col_int(0) : -1;
  }

  StoreStatus alert_stats(const StatsQuery& q, AlertStats* out) override {
    // Every alert up to complete_through is in the text index once fts_sync()
    // returns.
    FtsBitsOptions fts;
    fts.cache = &fts_cache_;
    fts.complete_through = committed_top_.load();
    if (q.filter.q) fts_sync();
    std::lock_guard lk(rmu_);
    // One read transaction: the series, the top lists and the alerts not yet
    // in the rollups (alert_rollup_pending) see the same commit.
    r_.exec("BEGIN");
    StoreStatus st = alert_stats_sqlite(r_, q, out, facts_ && facts_->ready() ? facts_.get() : nullptr, &fts);
    r_.exec("COMMIT");
    return st;
  }

  // Retention: each step deletes at most kRetentionChunk alerts or events in
  // its own short write transaction (ingest commits between them), and takes
  // from the rollups what it deletes, so they keep equal to the rows.
  //
  // Whole partitions go first, each in one transaction (sqlite_alert_parts.h):
  // by age, those whose newest alert is past the horizon; by count, the
  // oldest while it holds no more than the alerts over the limit and an
  // eighth of the limit (the store may then keep up to an eighth fewer);
  // by size, the oldest while the file is over it. Then what is
  // still over a limit goes row by row, as above. The newest partition is
  // never dropped.
  StoreStatus enforce_retention(const RetentionPolicy& p, int64_t now, RetentionResult* out) override {
    *out = {};
    if (StoreStatus st = flush_rollups(); !st.ok) return st;
    if (p.max_age_s > 0) {
      int64_t horizon_us = (now - p.max_age_s) * 1'000'000;
      for (;;) {
        uint64_t n = 0;
        bool dropped = false;
        if (StoreStatus st =
                drop_oldest_part([&](const Part& o, int64_t) { return o.max_ts < horizon_us; }, &dropped, &n);
            !st.ok)
          return st;
        if (!dropped) break;
        out->alerts += n;
      }
      for (;;) {
        uint64_t n = 0;
        if (StoreStatus st = delete_alerts("ts < ?1", horizon_us, kRetentionChunk, &n); !st.ok) return st;
        out->alerts += n;
        if (n < static_cast<uint64_t>(kRetentionChunk)) break;
      }
      for (;;) {
        uint64_t n = 0;
        if (StoreStatus st = delete_events(horizon_us, kRetentionChunk, &n); !st.ok) return st;
        out->events += n;
        if (n < static_cast<uint64_t>(kRetentionChunk)) break;
      }
    }
    if (p.max_alerts > 0) {
      int64_t count = alerts_stored();
      while (count > p.max_alerts) {
        uint64_t n = 0;
        bool dropped = false;
        const int64_t over = count - p.max_alerts;
        if (StoreStatus st = drop_oldest_part(
                [&](const Part&, int64_t rows) { return rows <= over + p.max_alerts / 8; }, &dropped, &n);
            !st.ok)
          return st;
        if (!dropped) break;
        out->alerts += n;
        count -= static_cast<int64_t>(n);
      }
      while (count > p.max_alerts) {
        uint64_t n = 0;
        int64_t chunk = std::min(kRetentionChunk, count - p.max_alerts);
        if (StoreStatus st = delete_alerts("1", 0, chunk, &n); !st.ok) return st;
        if (n == 0) break;
        out->alerts += n;
        count -= static_cast<int64_t>(n);
      }
    }
    if (p.max_bytes > 0) {
      while (bytes_in_use() > p.max_bytes) {
        uint64_t n = 0;
        bool dropped = false;
        if (StoreStatus st = drop_oldest_part([](const Part&, int64_t) { return true; }, &dropped, &n);
            !st.ok)
          return st;
        if (!dropped) break;
        out->alerts += n;
      }
      while (bytes_in_use() > p.max_bytes) {
        uint64_t na = 0, ne = 0;
        if (StoreStatus st = delete_alerts("1", 0, kRetentionBytesChunk, &na); !st.ok) return st;
        if (StoreStatus st = delete_events(INT64_MAX, kRetentionBytesChunk, &ne); !st.ok) return st;
        out->alerts += na;
        out->events += ne;
        if (na == 0 && ne == 0) break;
      }
    }
    if (out->alerts) {
      std::lock_guard lk(wmu_);
      int dropped = 0;
      fts_flush();
      StoreStatus st = drop_empty_fts_blocks(x_, w_, &dropped);
      if (dropped > 0 || !st.ok) reload_fts_blocks();
      if (dropped > 0) x_.exec("PRAGMA incremental_vacuum");
      if (!st.ok) return st;
    }
    if (out->alerts || out->events) {
      // Give freed pages back to the file system where the database was
      // created with incremental auto-vacuum; elsewhere SQLite reuses them.
      // Free pages up to a quarter of the pages in use stay for the next
      // partitions: a dropped partition frees its pages together, and
      // moving the pages after them down into the hole cost nine times the
      // drop (bench/RESULTS.md). In steps of 4096 pages (16 MiB), each its
      // own short transaction, so an ingest commit never waits for the
      // whole file to shrink.
      for (int64_t freed = 1; freed > 0;) {
        std::lock_guard lk(wmu_);
        auto before =
            w_.prepare("SELECT freelist_count, page_count FROM pragma_freelist_count, pragma_page_count");
        int64_t free_before = 0, pages = 0;
        if (before.step() == SQLITE_ROW) {
          free_before = before.col_int(0);
          pages = before.col_int(1);
        }
        before = Stmt();
        const int64_t surplus = free_before - (pages - free_before) / 4;
        if (surplus <= 0 ||
            !w_.exec("PRAGMA incremental_vacuum(" + std::to_string(std::min<int64_t>(surplus, 4096)) + ")"))
          break;
        auto after = w_.prepare("PRAGMA freelist_count");
        freed = free_before - (after.step() == SQLITE_ROW ? after.col_int(0) : free_before);
      }
    }
    out->bytes_in_use = bytes_in_use();
    return {};
  }

  StoreStatus put_ruleset(const std::string& text, const json& report, int64_t now, const std::string& author,
                          std::string* version) override {
    std::lock_guard lk(wmu_);
    return sqlite_rulesets::put_ruleset(w_, text, report, now, author, version);
  }
  std::vector<RulesetRecord> list_rulesets(int limit) override {
    std::lock_guard lk(rmu_);
    return sqlite_rulesets::list_rulesets(r_, limit);
  }
  std::optional<RulesetRecord> get_ruleset(const std::string& version) override {
    std::lock_guard lk(rmu_);
    return sqlite_rulesets::get_ruleset(r_, version);
  }
  StoreStatus set_rule_enabled(int64_t sid, bool enabled, const std::string& reason,
                               const std::string& author, int64_t now, AuditEntry audit, RuleToggle* result,
                               std::string* version) override {
    std::lock_guard lk(wmu_);
    return sqlite_rulesets::set_rule_enabled(w_, sid, enabled, reason, author, now, std::move(audit), result,
                                             version);
  }
  std::vector<DisabledRule> list_disabled_rules() override {
    std::lock_guard lk(rmu_);
    return sqlite_rulesets::list_disabled_rules(r_);
  }

  std::string current_ruleset_version() override {
    std::lock_guard lk(rmu_);
    auto st = r_.prepare("SELECT version FROM rulesets ORDER BY seq DESC LIMIT 1");
    return st.step() == SQLITE_ROW ? st.col_text(0) : std::string();
  }

  std::optional<RulesetRecord> current_ruleset() override {
    std::lock_guard lk(rmu_);
    return sqlite_rulesets::current_ruleset(r_);
  }

 private:
  // Marks the credential whose hash begins with `id` revoked; ids are
  // exactly kCredentialIdLen hex digits, so a short or empty id matches none.
  bool revoke_by_id(const char* table, const std::string& id) {
    if (id.size() != kCredentialIdLen || id.find_first_not_of("0123456789abcdef") != std::string::npos)
      return false;
    std::lock_guard lk(wmu_);
    auto st = w_.prepare(std::string("UPDATE ") + table + " SET revoked=1 WHERE substr(hash,1,?)=?");
    st.bind(1, int64_t(kCredentialIdLen)).bind(2, id);
    if (st.step() != SQLITE_DONE) return false;
    return sqlite3_changes(w_.get()) > 0;
  }

  StoreStatus done(int rc) {
    if (rc == SQLITE_DONE) return {};
    return StoreStatus::error(w_.errmsg());
  }

  StoreStatus rollback(const std::string& what) {
    std::string msg = what + ": " + w_.errmsg();
    fts_abort();
    w_.exec("ROLLBACK");
    folded_ = false;
    parts_reload_ = true;  // ids given out in the transaction are free again
    return StoreStatus::error(msg);
  }

  // Pages in use (free pages excluded) times the page size, of the store
  // and its free-text index file.
  int64_t bytes_in_use() {
    std::lock_guard lk(rmu_);
    auto pragma = [&](const std::string& sql) {
      auto st = r_.prepare(sql);
      return st.step() == SQLITE_ROW ? st.col_int(0) : 0;
    };
    int64_t n = 0;
    for (const std::string schema : {"main", "text"})
      n += (pragma("PRAGMA " + schema + ".page_count") - pragma("PRAGMA " + schema + ".freelist_count")) *
           pragma("PRAGMA " + schema + ".page_size");
    return n;
  }

  // The alerts in partition i. A closed partition's count is kept
  // (part_rows_) until retention deletes from it: only the newest takes
  // alerts, so counting the store costs a count of the newest. -1 on an
  // error. Under wmu_.
  int64_t part_rows(size_t i) {
    const bool closed = i + 1 < parts_.size();
    const int64_t first = parts_[i].p.first_id;
    if (closed)
      if (auto it = part_rows_.find(first); it != part_rows_.end()) return it->second;
    auto c = w_.prepare("SELECT COUNT(*) FROM \"" + parts_[i].p.name + "\"");
    if (c.step() != SQLITE_ROW) return -1;
    const int64_t n = c.col_int(0);
    if (closed) part_rows_[first] = n;
    return n;
  }

  // The alerts stored, for retention by count (see part_rows).
  int64_t alerts_stored() {
    std::lock_guard lk(wmu_);
    if (parts_reload_) {
      parts_reload_ = false;
      load_parts();
    }
    int64_t n = 0;
    for (size_t i = 0; i < parts_.size(); ++i) n += std::max<int64_t>(0, part_rows(i));
    return n;
  }

  // Drops the oldest alert partition, when it is not the newest and
  // want(partition, its alert count) says so, in one write transaction:
  // its table, the triage rows of its ids, its alerts' rollup counts.
  // *dropped: whether it did; *n: the alerts that went with it.
  template <class Want>
  StoreStatus drop_oldest_part(const Want& want, bool* dropped, uint64_t* n) {
    *dropped = false;
    *n = 0;
    std::lock_guard lk(wmu_);
    if (parts_reload_) {
      parts_reload_ = false;
      load_parts();
    }
    if (parts_.size() < 2) return {};
    const Part& o = parts_.front();
    const std::string t = "\"" + o.p.name + "\"";
    const int64_t lo = o.p.first_id, hi = parts_[1].p.first_id;
    std::string err;
    if (!w_.exec("BEGIN IMMEDIATE", &err)) return StoreStatus::error("retention: " + err);
    const int64_t rows = part_rows(0);
    if (rows < 0) return rollback("retention count");
    if (!want(o, rows)) {
      w_.exec("COMMIT");
      return {};
    }
    // The rollups count every alert before any is taken off them.
    if (StoreStatus st = fold_rollups_in_txn(); !st.ok) return rollback(st.message);
    for (const char* table : {"alert_triage", "alert_triage_history", "alert_comments"}) {
      auto tri = w_.prepare(std::string("DELETE FROM ") + table + " WHERE alert_id >= ? AND alert_id < ?");
      tri.bind(1, lo).bind(2, hi);
      if (tri.step() != SQLITE_DONE) return rollback("retention triage");
    }
    // The rollups: the buckets before the oldest alert left go by range;
    // the partition's alerts at or after its hour are taken off one by one.
    int64_t oldest = INT64_MAX;
    for (size_t i = 1; i < parts_.size(); ++i) {
      auto m = w_.prepare("SELECT MIN(ts) FROM \"" + parts_[i].p.name + "\"");
      if (m.step() != SQLITE_ROW) return rollback("retention oldest");
      if (!m.col_null(0)) oldest = std::min(oldest, m.col_int(0));
    }
    RollupDelta::Pruned pruned = pruned_;
    RollupDelta::Removal plan;
    if (StoreStatus st = RollupDelta::plan_removal(w_, oldest, pruned, &plan); !st.ok)
      return rollback(st.message);
    RollupDelta delta;
    if (!plan.none) {
      // Alerts older than what earlier range deletes reached came late: their
      // keys are decremented too (add_removed knows them).
      constexpr int64_t kUsPerHour = 3'600'000'000, kUsPerMinute = 60'000'000;
      const int64_t from = plan.cut_min && plan.cut_hour ? plan.first_hour * kUsPerHour : INT64_MIN;
      const int64_t late = plan.late_min == INT64_MIN ? INT64_MIN : plan.late_min * kUsPerMinute;
      auto sel = w_.prepare("SELECT ts, severity, agent_id, sid, src_ip, dest_ip FROM " + t +
                            " WHERE ts >= ? OR ts < ?");
      sel.bind(1, from).bind(2, late);
      int rc;
      while ((rc = sel.step()) == SQLITE_ROW) {
        delta.add_removed(plan, sel.col_int(0), sel.col_opt_int(1), sel.col_text(2), sel.col_opt_int(3),
                          sel.col_opt_text(4), sel.col_opt_text(5));
      }
      if (rc != SQLITE_DONE) return rollback("retention rollups");
    }
    if (StoreStatus st = delta.remove(w_, plan, &pruned); !st.ok) return rollback(st.message);
    if (StoreStatus st = drop_alert_part(w_, o.p); !st.ok) return rollback(st.message);
    part_rows_.erase(lo);
    if (!w_.exec("COMMIT", &err)) return rollback("retention commit: " + err);
    committed();
    if (facts_) facts_->erase_range(lo, hi);
    pruned_ = pruned;
    load_parts();
    // Its free-text block (the same id range) goes now too: by size, the
    // next step measures the file without it.
    int fts_dropped = 0;
    fts_flush();
    StoreStatus fts = drop_empty_fts_blocks(x_, w_, &fts_dropped);
    if (fts_dropped > 0 || !fts.ok) reload_fts_blocks();
    if (fts_dropped > 0) x_.exec("PRAGMA incremental_vacuum");
    if (!fts.ok) return fts;
    *dropped = true;
    *n = static_cast<uint64_t>(rows);
    return {};
  }

  // Deletes the `limit` oldest alerts (by event time) matching `where`
  // (?1 bound to arg), their triage rows and their rollup counts, in one
  // write transaction.
  StoreStatus delete_alerts(const char* where, int64_t arg, int64_t limit, uint64_t* n) {
    *n = 0;
    std::lock_guard lk(wmu_);
    if (parts_reload_) {
      parts_reload_ = false;
      load_parts();
    }
    std::string err;
    if (!w_.exec("BEGIN IMMEDIATE", &err)) return StoreStatus::error("retention: " + err);
    if (StoreStatus st = fold_rollups_in_txn(); !st.ok) return rollback(st.message);
    // The ids through the view (a merge of each partition's index by event
    // time: SQLite merges only when every ORDER BY term is a result column),
    // then each deleted from its partition.
    std::vector<int64_t> ids;
    {
      auto sel =
          w_.prepare(std::string("SELECT id, ts FROM alerts WHERE ") + where + " ORDER BY ts, id LIMIT ?2");
      if (!sel.valid()) return rollback("retention");
      sel.bind(1, arg).bind(2, limit);
      int rc;
      while ((rc = sel.step()) == SQLITE_ROW) ids.push_back(sel.col_int(0));
      if (rc != SQLITE_DONE) return rollback("retention select");
    }
    struct Gone {
      int64_t id, ts;
      std::optional<int64_t> severity, sid;
      std::string agent_id;
      std::optional<std::string> src_ip, dest_ip;
    };
    std::vector<Gone> gone;
    std::vector<Stmt> dels(parts_.size());
    int rc = SQLITE_DONE;
    for (int64_t id : ids) {
      auto it = std::upper_bound(parts_.begin(), parts_.end(), id,
                                 [](int64_t v, const Part& pt) { return v < pt.p.first_id; });
      if (it == parts_.begin()) continue;
      const size_t k = static_cast<size_t>(std::prev(it) - parts_.begin());
      part_rows_.erase(parts_[k].p.first_id);
      Stmt& del = dels[k];
      if (!del.valid())
        del = w_.prepare("DELETE FROM \"" + parts_[k].p.name +
                         "\" WHERE id=? RETURNING id, ts, severity, agent_id, sid, src_ip, dest_ip");
      if (!del.valid()) return rollback("retention");
      del.reset();
      del.bind(1, id);
      while ((rc = del.step()) == SQLITE_ROW)
        gone.push_back({del.col_int(0), del.col_int(1), del.col_opt_int(2), del.col_opt_int(4),
                        del.col_text(3), del.col_opt_text(5), del.col_opt_text(6)});
      if (rc != SQLITE_DONE) break;
    }
    if (rc != SQLITE_DONE) return rollback("retention delete");
    dels.clear();
    // The alert's triage state, its history and its comments go with it
    // (looked up only for ids within the table's range: most alerts are
    // never triaged).
    for (std::string table : {"alert_triage", "alert_triage_history", "alert_comments"}) {
      auto range = w_.prepare("SELECT (SELECT MIN(alert_id) FROM " + table +
                              "), (SELECT MAX(alert_id) FROM " + table + ")");
      if (range.step() != SQLITE_ROW) return rollback("retention triage");
      if (range.col_null(0)) continue;
      const int64_t lo = range.col_int(0), hi = range.col_int(1);
      auto tri = w_.prepare("DELETE FROM " + table + " WHERE alert_id=?");
      for (const Gone& g : gone) {
        if (g.id < lo || g.id > hi) continue;
        tri.reset();
        tri.bind(1, g.id);
        if (tri.step() != SQLITE_DONE) return rollback("retention triage");
      }
    }
    // Oldest first: the rollup buckets before the oldest alert left go by
    // key range (RollupDelta::remove).
    int64_t oldest = INT64_MAX;
    {
      auto m = w_.prepare("SELECT ts FROM alerts ORDER BY ts LIMIT 1");  // a merge: MIN() would scan the view
      int mrc = m.step();
      if (mrc == SQLITE_ROW)
        oldest = m.col_int(0);
      else if (mrc != SQLITE_DONE)
        return rollback("retention oldest");
    }
    RollupDelta::Pruned pruned = pruned_;
    RollupDelta::Removal plan;
    if (StoreStatus st = RollupDelta::plan_removal(w_, oldest, pruned, &plan); !st.ok)
      return rollback(st.message);
    RollupDelta delta;
    for (const Gone& g : gone)
      delta.add_removed(plan, g.ts, g.severity, g.agent_id, g.sid, g.src_ip, g.dest_ip);
    if (StoreStatus st = delta.remove(w_, plan, &pruned); !st.ok) return rollback(st.message);
    if (!w_.exec("COMMIT", &err)) return rollback("retention commit: " + err);
    committed();
    if (facts_) {
      std::vector<int64_t> gone_ids;
      gone_ids.reserve(gone.size());
      for (const Gone& g : gone) gone_ids.push_back(g.id);
      facts_->erase_ids(gone_ids);
    }
    pruned_ = pruned;
    parts_reload_ = true;  // the newest ids may be free again, and the event times held changed
    *n = gone.size();
    return {};
  }

  // Deletes up to `limit` of the earliest-stored events whose event time is
  // before `before_us`. The ids are found on the read connection (a scan in
  // arrival order, stopped at `limit`), so the write lock is held only for
  // the deletes.
  StoreStatus delete_events(int64_t before_us, int64_t limit, uint64_t* n) {
    *n = 0;
    std::vector<int64_t> ids;
    {
      std::lock_guard lk(rmu_);
      auto st = r_.prepare("SELECT id FROM events WHERE ts < ? ORDER BY id LIMIT ?");
      st.bind(1, before_us).bind(2, limit);
      while (st.step() == SQLITE_ROW) ids.push_back(st.col_int(0));
    }
    if (ids.empty()) return {};
    std::lock_guard lk(wmu_);
    std::string err;
    if (!w_.exec("BEGIN IMMEDIATE", &err)) return StoreStatus::error("retention: " + err);
    auto del = w_.prepare("DELETE FROM events WHERE id=?");
    for (int64_t id : ids) {
      del.reset();
      del.bind(1, id);
      if (del.step() != SQLITE_DONE) return rollback("retention events");
      *n += static_cast<uint64_t>(sqlite3_changes(w_.get()));
    }
    if (!w_.exec("COMMIT", &err)) return rollback("retention commit: " + err);
    return {};
  }

  // Inserts the alert into the newest partition with the next id. The dedup
  // key is unique per partition: an older partition is asked too when the
  // alert's event time lies within the times it holds (closed partitions
  // take no new alerts, so in-order traffic asks none).
  int insert_alert(const std::string& agent_id, const IngestEvent& e, const EveFields& f,
                   const std::string& text, int64_t now, bool* stored) {
    *stored = false;
    const int64_t ts = f.ts_us.value_or(0);
    if (ts <= closed_max_ts_) {
      for (size_t i = 0; i + 1 < parts_.size(); ++i) {
        Part& part = parts_[i];
        if (ts < part.min_ts || ts > part.max_ts) continue;
        if (!part.has_uid.valid())
          part.has_uid = w_.prepare("SELECT 1 FROM \"" + part.p.name + "\" WHERE agent_id=? AND event_uid=?");
        if (!part.has_uid.valid()) return SQLITE_ERROR;
        part.has_uid.reset();
        part.has_uid.bind(1, agent_id);
        bind_uid(part.has_uid, 2, e.event_uid);
        const int rc = part.has_uid.step();
        part.has_uid.reset();
        if (rc == SQLITE_ROW) return SQLITE_DONE;  // a duplicate
        if (rc != SQLITE_DONE) return rc;
      }
    }
    auto& s = ins_alert_;
    s.reset();
    s.bind(1, next_id_);
    s.bind(2, agent_id);
    bind_uid(s, 3, e.event_uid);
    s.bind(4, ts);
    s.bind(5, f.sid).bind(6, f.gid).bind(7, f.rev).bind(8, f.signature).bind(9, f.category);
    s.bind(10, f.severity).bind(11, f.src_ip).bind(12, f.src_port).bind(13, f.dest_ip);
    s.bind(14, f.dest_port).bind(15, f.proto).bind(16, f.app_proto).bind(17, f.flow_id);
    s.bind(18, now).bind(19, text);
    bind_ip16(s, 20, f.src_ip);
    bind_ip16(s, 21, f.dest_ip);
    const int rc = s.step();
    if (rc == SQLITE_DONE && sqlite3_changes(w_.get()) > 0) {
      *stored = true;
      ++next_id_;
    }
    return rc;
  }

  // The free-text row of a stored alert, in the block its id falls in
  // (collector/store/alert_fts.h): the newest, unless retention deleted the
  // alerts with the highest ids and SQLite gave one of them out again. On
  // the index thread, in its transaction on x_.
  bool index_alert_text(const FtsRow& r) {
    const int64_t id = r.id;
    Stmt older;
    const bool in_older = !fts_blocks_.empty() && id < fts_blocks_.back().first_id;
    if (in_older) fts_cache_.clear();  // a closed block's matches change
    if (in_older) {
      auto it = std::upper_bound(fts_blocks_.begin(), fts_blocks_.end(), id,
                                 [](int64_t v, const FtsBlock& b) { return v < b.first_id; });
      if (it == fts_blocks_.begin()) {
        // Below every block: a block of its own, in this transaction
        // (forgotten with it on a rollback: the catalog is read again).
        FtsBlock b;
        if (!add_fts_block(x_, id, &b).ok) return false;
        fts_reload_ = true;
        older = x_.prepare(alert_fts_insert_sql(b.name));
      } else {
        older = x_.prepare(alert_fts_insert_sql(std::prev(it)->name));
      }
    }
    if (in_older && !older.valid()) return false;  // never into a block that does not cover the id
    // Above the newest block's highest id (read when the transaction
    // began, then the ids this one gave): a plain insert.
    const bool fresh = !in_older && id > fts_top_ && ins_fts_plain_.valid();
    auto& s = in_older ? older : fresh ? ins_fts_plain_ : ins_fts_;
    if (!s.valid() && !fts_blocks_.empty())
      s = x_.prepare(alert_fts_insert_sql(fts_blocks_.back().name));  // damaged at open: fails again
    if (!s.valid()) return false;
    std::string computed;
    if (!r.have_app) computed = alert_app_text(r.text, r.app_proto.value_or(""));
    s.reset();
    s.bind(1, id).bind(2, r.signature).bind(3, r.have_app ? r.app : computed);
    if (s.step() != SQLITE_DONE) return false;
    if (!in_older && fts_top_ != INT64_MAX) fts_top_ = std::max(fts_top_, id);
    return true;
  }

  // Starts a new alert partition, and a free-text block at the same id, in
  // a transaction of its own before a group commit, once the newest holds
  // as many ids as an eighth of the alerts stored (at least part_min_, at
  // most kPartMax): retention then drops an eighth of the store at a time.
  // Under wmu_. A failure is logged and the newest partition goes on
  // growing.
  void start_part_if_full() {
    // Partitions made or dropped by another connection (another process
    // on the same file) are read again before this group's inserts, and
    // the next id after its commits (data_version counts only others').
    if (!parts_reload_) {
      auto sv =
          w_.prepare("SELECT schema_version, data_version FROM pragma_schema_version, pragma_data_version");
      if (sv.step() != SQLITE_ROW || sv.col_int(0) != schema_version_) {
        parts_reload_ = true;
      } else if (sv.col_int(1) != data_version_) {
        data_version_ = sv.col_int(1);
        auto mx = w_.prepare("SELECT MAX(id) FROM \"" + parts_.back().p.name + "\"");
        if (mx.step() == SQLITE_ROW && !mx.col_null(0)) next_id_ = std::max(next_id_, mx.col_int(0) + 1);
      }
    }
    if (parts_reload_) {
      parts_reload_ = false;
      load_parts();
    }
    if (fts_reload_.load()) {
      fts_flush();
      fts_reload_ = false;
      reload_fts_blocks();
    }
    if (parts_.empty()) return;
    const int64_t size = part_size();
    if (next_id_ - parts_.back().p.first_id < size) return;
    std::string err;
    AlertPart made_part;
    FtsBlock b;
    StoreStatus made{};
    // The free-text block first, in the index file (the thread is idle):
    // a block whose partition then failed to start only splits the index
    // by id one block early.
    if (!fts_blocks_.empty() && fts_blocks_.back().first_id < next_id_) {
      fts_flush();
      StoreStatus fb{};
      if (!x_.exec("BEGIN IMMEDIATE", &err)) {
        fb = StoreStatus::error(err);
      } else if (fb = add_fts_block(x_, next_id_, &b); fb.ok && !x_.exec("COMMIT", &err)) {
        fb = StoreStatus::error(err);
      }
      if (!fb.ok) {
        x_.exec("ROLLBACK");
        spdlog::warn("store: cannot start a free-text block: {}", fb.message);
      }
    }
    // The partition that closes gets its secondary indexes in this
    // transaction (sqlite_alert_parts.h): ingest waits for them.
    const auto began = std::chrono::steady_clock::now();
    if (!w_.exec("BEGIN IMMEDIATE", &err)) {
      made = StoreStatus::error(err);
    } else if (made = add_alert_part(w_, next_id_, &made_part); made.ok) {
      if (!w_.exec("COMMIT", &err)) made = StoreStatus::error(err);
    }
    if (!made.ok) {
      w_.exec("ROLLBACK");
      spdlog::warn("store: cannot start an alert partition: {}", made.message);
    } else {
      spdlog::info(
          "store: alert partition {} started; the one before indexed in {} ms", made_part.name,
          std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - began)
              .count());
    }
    load_parts();
    reload_fts_blocks();
  }

  // The ids a new partition waits for (see start_part_if_full).
  int64_t part_size() const {
    const int64_t span = next_id_ - oldest_id_;
    return std::max(part_min_, std::min(span / 8, kPartMax));
  }

  // Reads the partitions and what ingest keeps of them: the event times of
  // each closed one (the dedup probe), the newest's insert and next id.
  // Under wmu_ (or in open). False when the catalog cannot be read.
  bool load_parts() {
    std::vector<AlertPart> ps = alert_parts(w_);
    parts_.clear();
    closed_max_ts_ = INT64_MIN;
    oldest_id_ = 0;
    if (ps.empty()) return false;
    bool have_oldest = false;
    for (size_t i = 0; i < ps.size(); ++i) {
      Part part;
      part.p = std::move(ps[i]);
      const std::string t = "\"" + part.p.name + "\"";
      auto st = w_.prepare("SELECT (SELECT MIN(ts) FROM " + t + "), (SELECT MAX(ts) FROM " + t +
                           "), (SELECT MIN(id) FROM " + t + ")");
      if (st.step() == SQLITE_ROW && !st.col_null(0)) {
        part.min_ts = st.col_int(0);
        part.max_ts = st.col_int(1);
        if (!have_oldest) oldest_id_ = st.col_int(2);
        have_oldest = true;
        if (i + 1 < ps.size()) closed_max_ts_ = std::max(closed_max_ts_, part.max_ts);
      }
      parts_.push_back(std::move(part));
    }
    const std::string newest = "\"" + parts_.back().p.name + "\"";
    auto mx = w_.prepare("SELECT MAX(id) FROM " + newest);
    const int64_t top = mx.step() == SQLITE_ROW && !mx.col_null(0) ? mx.col_int(0) + 1 : 1;
    const int64_t before = next_id_;
    next_id_ = std::max({parts_.back().p.first_id, top, int64_t{1}});
    // Ids may be given out again (retention deleted the newest alerts): a
    // kept block of matches may not hold their new rows.
    if (next_id_ < before) fts_cache_.clear();
    committed_top_.store(next_id_ - 1);
    if (!have_oldest) oldest_id_ = next_id_;
    // A duplicate uid is ignored; an id already taken is an error (the
    // batch fails and is retried after a reload), never a lost alert.
    ins_alert_ = w_.prepare("INSERT INTO " + newest + "(" + kAlertColumns +
                            ") VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(agent_id, "
                            "event_uid) DO NOTHING");
    auto sv =
        w_.prepare("SELECT schema_version, data_version FROM pragma_schema_version, pragma_data_version");
    schema_version_ = sv.step() == SQLITE_ROW ? sv.col_int(0) : -1;
    data_version_ = schema_version_ >= 0 ? sv.col_int(1) : -1;
    return ins_alert_.valid();
  }

  void reload_fts_blocks() {
    fts_cache_.clear();
    fts_blocks_ = fts_blocks(x_);
    prepare_fts_newest();
  }

  // The newest free-text block's statements (none without a block).
  void prepare_fts_newest() {
    ins_fts_ = Stmt();
    ins_fts_plain_ = Stmt();
    sel_fts_top_ = Stmt();
    if (fts_blocks_.empty()) return;
    const std::string& b = fts_blocks_.back().name;
    ins_fts_ = x_.prepare(alert_fts_insert_sql(b));
    ins_fts_plain_ = x_.prepare(alert_fts_insert_sql(b, false));
    sel_fts_top_ = x_.prepare("SELECT max(rowid) FROM \"" + b + "\"");
  }

  // At the start of a write transaction: the newest block's highest id
  // (INT64_MAX, every insert an INSERT OR REPLACE, when it cannot be read).
  void read_fts_top() {
    fts_top_ = INT64_MAX;
    if (!sel_fts_top_.valid()) return;
    sel_fts_top_.reset();
    if (sel_fts_top_.step() == SQLITE_ROW) fts_top_ = sel_fts_top_.col_null(0) ? 0 : sel_fts_top_.col_int(0);
    sel_fts_top_.reset();
  }

  int insert_event(const std::string& agent_id, const IngestEvent& e, const EveFields& f,
                   const std::string& text, int64_t now, bool* stored) {
    auto& s = ins_event_;
    s.reset();
    s.bind(1, agent_id);
    bind_uid(s, 2, e.event_uid);
    s.bind(3, f.ts_us.value_or(0));
    s.bind(4, f.event_type).bind(5, now).bind(6, text).bind(7, f.flow_id);
    const int rc = s.step();
    *stored = rc == SQLITE_DONE && sqlite3_changes(w_.get()) > 0;
    return rc;
  }

  std::mutex gmu_;  // the group-commit queue; taken before wmu_, never inside it
  std::condition_variable gcv_;
  std::vector<PendingBatch*> queue_;
  bool group_running_ = false;
  bool uid_blob_ = false;  // see choose_uid_format

  std::mutex wmu_, rmu_;
  Db w_, r_;
  Stmt ins_alert_, ins_event_, ins_batch_, sel_batch_, sel_highest_, up_agent_hb_, ins_hb_, ins_pending_;
  // The free-text index file and its connection (open_text_index); its
  // statements and blocks are the index thread's during a write
  // transaction (fts_rows .. fts_commit), the writer's between them.
  std::string text_path_;
  Db x_;
  Stmt ins_fts_;                      // the newest free-text block's insert; see index_alert_text
  Stmt ins_fts_plain_, sel_fts_top_;  // its plain insert, and its highest id
  int64_t fts_top_ = INT64_MAX;       // that id in the open write transaction (see read_fts_top)
  std::vector<FtsBlock> fts_blocks_;  // the free-text blocks, oldest first (under wmu_)
  std::atomic<bool> fts_reload_{
      false};  // the index thread made a block (in a transaction that may roll back)
  struct Part {
    AlertPart p;
    int64_t min_ts = 1, max_ts = 0;  // the event times it holds (none: min > max)
    Stmt has_uid;                    // the dedup probe, prepared on first use
  };
  std::vector<Part> parts_;               // the alert partitions, oldest first (under wmu_)
  int64_t next_id_ = 1;                   // the id the next alert gets
  int64_t oldest_id_ = 0;                 // the oldest alert's id (next_id_ when none)
  int64_t closed_max_ts_ = INT64_MIN;     // the latest event time held by a partition before the newest
  bool parts_reload_ = false;             // ids given out in a transaction that rolled back
  int64_t schema_version_ = -1;           // the schema load_parts read
  int64_t data_version_ = -1;             // other connections' commits seen (see start_part_if_full)
  std::map<int64_t, int64_t> part_rows_;  // first_id -> alerts of a closed partition (see part_rows)
  int64_t part_min_;
  RollupDelta::Pruned pruned_;  // retention's rollup range deletes so far (under wmu_)
  // Rollup counts folded across ingest commits (fold_rollups_in_txn), under wmu_:
  std::string owner_;    // this store's name in alert_rollup_pending
  RollupDelta pending_;  // the counts of its commits since the last fold
  // The counts of committed transactions not yet in pending_: count_committed
  // adds them after the write lock (under amu_), take_counted moves them in.
  std::mutex amu_;
  std::condition_variable acv_;
  RollupDelta counted_;
  uint64_t counts_issued_ = 0, counts_done_ = 0;  // committed transactions with rows; counted
  bool counts_lost_ = false;                      // a count_committed failed (out of memory)
  std::atomic<size_t> counted_keys_{0};
  int64_t pending_ranges_ = 0;                           // its rows in alert_rollup_pending
  bool pending_exact_ = true;                            // pending_ counts exactly the alerts of those rows
  std::chrono::steady_clock::time_point pending_since_;  // the first of those commits
  std::chrono::milliseconds fold_interval_;
  bool folded_ = false;  // the open write transaction folded (see committed)
  bool opened_ = false;
  // The index thread and its queue (fts_post, fts_loop), under fmu_.
  std::mutex fmu_;
  std::condition_variable fcv_;
  std::deque<FtsJob> fts_queue_;
  uint64_t fts_posted_ = 0, fts_finished_ = 0;
  bool fts_stop_ = false;
  std::thread fts_thread_;
  std::atomic<bool> fts_dirty_{false};       // rows handed over and not yet committed
  std::atomic<int64_t> fts_gap_{INT64_MAX};  // the first id of committed alerts the index lost
  // The writer's (under wmu_): the group handed rows over, and its first id.
  bool fts_open_ = false;
  int64_t group_first_ = 0;
  // The index thread's own: its open transaction, since when, its lowest id.
  bool fts_in_txn_ = false;
  std::chrono::steady_clock::time_point fts_txn_since_;
  int64_t fts_txn_first_ = INT64_MAX;
  // The stats cache (alert_facts.h; null without SqliteStoreOptions::stats_cache),
  // its loader, and the writer's alerts of the open group (under wmu_), added
  // once the group commits (facts_owned_: fields read from a DOM here).
  std::unique_ptr<AlertFacts> facts_;
  // Closed blocks' free-text matches kept for the stats (alert_fts.h), and
  // the highest id of the alerts committed (each indexed once fts_sync()
  // returns).
  FtsMatchCache fts_cache_;
  std::atomic<int64_t> committed_top_{0};
  std::thread facts_thread_;
  std::atomic<bool> facts_stop_{false};
  std::vector<AlertFactInput> facts_in_;
  std::deque<EveFields> facts_owned_;
};

}  // namespace

std::optional<Role> Store::api_key_role(const std::string& key_hash) {
  int64_t now =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  return api_key_role(key_hash, now);
}

std::optional<Role> role_from_string(std::string_view s) {
  if (s == "admin") return Role::kAdmin;
  if (s == "analyst") return Role::kAnalyst;
  if (s == "viewer") return Role::kViewer;
  return std::nullopt;
}

const char* role_name(Role r) {
  switch (r) {
    case Role::kAdmin:
      return "admin";
    case Role::kAnalyst:
      return "analyst";
    case Role::kViewer:
      return "viewer";
  }
  return "viewer";
}

std::string batch_digest(const std::vector<IngestEvent>& events) {
  std::vector<std::string_view> uids;
  uids.reserve(events.size());
  for (const auto& e : events) uids.push_back(e.event_uid);
  std::sort(uids.begin(), uids.end());
  std::string joined;
  joined.reserve(uids.size() * 65);
  for (auto u : uids) joined.append(u).push_back('\n');
  return sha256_hex(joined);
}

std::unique_ptr<Store> open_sqlite_store(const std::string& path, std::string* error) {
  return open_sqlite_store(path, error, SqliteStoreOptions{});
}

std::unique_ptr<Store> open_sqlite_store(const std::string& path, std::string* error,
                                         const SqliteStoreOptions& opts) {
  auto s = std::make_unique<SqliteStore>(opts);
  if (!s->open(path, error)) return nullptr;
  return s;
}

}  // namespace vigil::collector

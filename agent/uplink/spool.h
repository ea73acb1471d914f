// The agent's durable spool: every event bound for the collector is written
// here (SQLite, WAL, synchronous=FULL) before it counts as produced, and is
// deleted only when the collector has acknowledged the batch that carried it.
//
// Threads: append() is called by any worker; it queues the event for the
// writer thread and returns without waiting for the disk. The writer commits
// every event that arrived during the previous commit in one transaction
// (group commit). The queue is bounded (queue_max): a worker that finds it
// full waits for the writer (counted in spool.queue_full_waits), which is
// backpressure, never loss. flush() waits until everything queued before it
// is committed. next_batch()/ack() are called by the uplink thread.
//
// Durability: an event counts as produced (spool.written, depth()) once its
// transaction is committed. Events still queued when the process is killed
// (at most queue_max plus the batch being committed) are lost with it; the
// agent regenerates them when it reprocesses the same input, with the same
// event_uid, so the collector stores each once. The destructor and flush()
// commit what is queued, so an orderly stop loses nothing.
//
// Batches are assigned in the database (rows get their batch_seq in the same
// transaction that advances the sequence), so after a crash the same batch is
// resent with the same number and the collector recognises it. Numbers only
// grow: raise_next_seq() lifts the next one above what the collector has
// stored (a spool lost or restored from a backup would otherwise restart at
// 1), and renumber_above() moves unacknowledged batches above it after the
// collector answered that a number was already used for other events. Both
// are durable before they return.
//
// Size cap: when the stored events exceed max_bytes the oldest are deleted in
// the same transaction and counted in spool.dropped (kept in the database, so
// the count survives restarts).
//
// Disk space: the WAL is checkpointed every 256 pages (1 MiB), and a commit
// that would leave less than min_free_bytes free on the file system is refused
// (its events counted in spool.write_errors, logged at most every 10 s), so
// that acknowledged events can always be deleted and their space reused.
//
// Corruption: open() checks the file (PRAGMA quick_check); a file that is not
// a database or fails the check, and one that answers SQLITE_CORRUPT or
// SQLITE_NOTADB later, is moved aside with its -wal/-shm to
// spool.db.corrupt-<UTC time> (never deleted: its events may be salvaged with
// `sqlite3 FILE .dump`; Debian 12's sqlite3 has no working .recover), logged,
// counted in spool.quarantined, and an empty spool takes its place. The batch
// sequence is read back from the moved file if it still can be; otherwise the
// next heartbeat (raise_next_seq) or the collector's 409 (renumber_above)
// lifts it above what the collector holds.
#pragma once

#include <sqlite3.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/counters.h"

namespace vigil {

struct SpoolOptions {
  std::string path;                   // STATE_DIR/spool.db
  uint64_t max_bytes = 512ull << 20;  // cap on stored event bytes
  // Free space kept on the file system (at most a quarter of its size): a
  // commit that would leave less is refused and its events counted in
  // spool.write_errors. A disk filled to the last byte leaves SQLite no room
  // to checkpoint its WAL or to delete acknowledged events, and the spool
  // would stay full even with the collector back.
  uint64_t min_free_bytes = 64ull << 20;
  // true: synchronous=FULL, every commit fsyncs the WAL (survives power loss).
  // false: synchronous=NORMAL, survives a killed agent but not a power cut;
  // much cheaper per commit when alerts arrive one at a time.
  bool sync_full = true;
  // Events waiting for the writer before append() blocks (backpressure).
  size_t queue_max = 8192;
};

struct SpoolRow {
  std::string uid, type, json;
};

struct SpoolBatch {
  uint64_t seq = 0;
  std::vector<SpoolRow> rows;
};

class Spool {
 public:
  static std::unique_ptr<Spool> open(const SpoolOptions& opt, std::string* error);
  ~Spool();
  Spool(const Spool&) = delete;
  Spool& operator=(const Spool&) = delete;

  // Queues the event for the writer; does not wait for the disk unless the
  // queue is full. False only after shutdown began (counted in
  // spool.write_errors). A failed commit is counted there too.
  bool append(std::string_view uid, std::string_view type, std::string_view json);
  // Waits until every event queued before the call is committed. False when
  // a commit failed meanwhile (those events are counted in spool.write_errors).
  bool flush();

  // The oldest unacknowledged batch: one formed earlier (resend) or a new one
  // of up to max_events events; nullopt when the spool holds nothing to send.
  // A new batch is formed only if `form_new` is true.
  // A new batch also stops before its events' stored size (see bytes())
  // exceeds max_bytes; it always holds at least one event.
  std::optional<SpoolBatch> next_batch(size_t max_events, uint64_t max_bytes, bool form_new);
  std::optional<SpoolBatch> next_batch(size_t max_events, bool form_new) {
    return next_batch(max_events, UINT64_MAX, form_new);
  }
  // Deletes the events of an acknowledged (or abandoned) batch.
  void ack(uint64_t seq);
  // Splits a batch of two or more events: the first half keeps `seq`, the
  // second half gets the next free number. False when it has fewer than two.
  bool split_batch(uint64_t seq);
  // Every unacknowledged batch, in order, gets a number above `highest`, and
  // the next new batch a number above those. Returns how many were moved.
  uint64_t renumber_above(uint64_t highest);
  // The next new batch gets a number of at least `min_next`.
  void raise_next_seq(uint64_t min_next);
  uint64_t next_seq();

  uint64_t depth() const { return depth_.load(); }  // events stored
  uint64_t bytes() const { return bytes_.load(); }  // their size
  uint64_t unbatched() const { return unbatched_.load(); }
  // Milliseconds since the oldest event not yet in a batch was written; 0 when
  // none; kAgeUnknownMs (due at once) when the wall clock has been stepped back
  // past that event's time.
  static constexpr int64_t kAgeUnknownMs = int64_t{1} << 40;
  int64_t oldest_unbatched_age_ms() const;
  uint64_t dropped() const { return dropped_.load(); }
  uint64_t quarantined() const { return quarantined_.load(); }
  void visit_counters(const CounterVisitor& v) const;

 private:
  Spool() = default;
  // Opens (creating) opt_.path and loads the counters from it. On failure
  // db_ is null; *corrupt tells whether the file itself is at fault.
  bool open_db(std::string* error, bool* corrupt);
  // Moves the damaged database aside and opens an empty one in its place
  // (db_mu_ held, or before the writer starts). False when either fails.
  bool quarantine(const std::string& why, std::string* error);
  // After a statement failed with `rc`: quarantines the file if it is damaged.
  bool quarantine_if_damaged(int rc, const char* where);
  void writer_loop();
  bool commit_once(std::vector<SpoolRow>& rows, bool* damaged);
  // False (and logged, rate-limited) when storing `events` of `bytes` more would eat into
  // the free space kept on the spool's file system.
  bool room_for(uint64_t bytes, uint64_t events);
  // Logs a failed commit of `n` events at most every 10 s, with the count since.
  void log_write_failure(const std::string& what, uint64_t n);
  int64_t last_fail_log_ms_ = 0;  // writer thread (db_mu_ held)
  uint64_t unlogged_failures_ = 0;
  bool commit(std::vector<SpoolRow>& rows);
  bool exec(const char* sql);
  int64_t meta_get(const char* key);
  void meta_set(const char* key, int64_t v);

  SpoolOptions opt_;
  sqlite3* db_ = nullptr;
  std::mutex db_mu_;  // one connection, shared by the writer and the uplink thread

  std::mutex mu_;
  std::condition_variable cv_work_, cv_done_, cv_space_;
  std::vector<SpoolRow> pending_;
  uint64_t enqueued_ = 0, committed_ = 0;
  uint64_t failed_hi_ = 0;  // highest ticket of any failed commit
  bool stop_ = false;
  std::thread writer_;

  std::atomic<uint64_t> depth_{0}, bytes_{0}, unbatched_{0}, dropped_{0}, written_{0}, write_errors_{0},
      queue_full_waits_{0}, quarantined_{0};
  std::atomic<int64_t> oldest_unbatched_ms_{0};
};

}  // namespace vigil

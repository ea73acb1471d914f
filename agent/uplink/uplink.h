// Uplink: ships the agent's events to its collector, exactly once in the
// collector's store, whatever fails in between.
//
//   workers --submit()--> Spool queue --writer thread, group commit--> SQLite
//   uplink thread: batches {agent_id, batch_seq, events[]} (common/wire.h) by
//     count, bytes and age, gzip over HTTPS, deletes a batch from the spool
//     only when acknowledged; retries with exponential backoff and jitter.
//     Refusals never block the spool: 413 (too large) splits the batch and
//     resends the halves; an event alone larger than batch_max_bytes is
//     dropped and counted (uplink.event_too_large); 400 splits down to the
//     event the collector refuses, which is dropped and counted
//     (uplink.event_refused); 409 (batch_seq reused for other events, e.g.
//     after the spool was lost) renumbers the unacknowledged batches above
//     the collector's highest_seq, durably, and resends them; other 4xx and
//     401/403 are counted and retried with backoff.
//   batch numbering: the heartbeat reply carries the collector's highest
//     batch_seq for this agent and the next new batch is numbered above it,
//     so a lost or restored spool does not restart at 1.
//   heartbeat thread: stats every heartbeat_interval_s; the reply names the
//     collector's rule-set version; a new one is downloaded and handed to the
//     ruleset handler (which builds and swaps the engine off the packet path).
//
// Every event carries an event_uid computed from the agent id and the event
// (minus host/agent fields), so replaying the same capture after a crash
// yields the same uids and the collector stores each once.
//
// Threading: submit() is thread-safe and waits neither for the disk nor the
// network: it queues the event for the spool's writer thread. Only when that
// bounded queue is full does it wait for the writer (spool.queue_full_waits).
// Everything else is called by the agent's main thread.
//
// Durability: an event counts as produced (spool.written) once the writer
// has committed it; drain() and stop() commit everything submitted before
// they return. A kill -9 loses what was still queued (at most a few
// thousand events, milliseconds of traffic); the agent regenerates those when
// it reprocesses the same input (same event_uid, stored once by the
// collector). A live capture cannot be replayed: there the window is the
// queue, as with any agent that buffers before its disk.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/counters.h"

namespace vigil {

struct UplinkConfig {
  std::string state_dir;
  uint64_t spool_max_bytes = 512ull << 20;
  uint64_t spool_min_free_bytes = 64ull << 20;  // see SpoolOptions::min_free_bytes
  bool spool_sync_full = true;                  // see SpoolOptions::sync_full
  size_t batch_max_events = 500;
  // Cap on one batch's body before compression; bigger batches are split by
  // count. An event that alone exceeds it is dropped (uplink.event_too_large).
  uint64_t batch_max_bytes = 4ull << 20;
  int batch_max_age_ms = 500;
  int heartbeat_interval_s = 5;
  std::vector<std::string> event_types = {"alert"};  // what submit() accepts; others are ignored
  int backoff_initial_ms = 250;
  int backoff_max_ms = 10000;
  std::string agent_version = "0.1.0";
  std::string hostname;  // empty: gethostname()
  // Heartbeat period and retry backoff run on this clock (tests: ManualClock).
  std::shared_ptr<Clock> clock = real_clock();
};

struct EnrollOptions {
  std::string collector_url, token, ca_file, pin, state_dir, hostname;
};

// Trades an enrolment token for this agent's credentials and saves them in
// STATE_DIR/agent.json (0600). Prints what happened; 0 on success.
int run_enroll(const EnrollOptions&);
bool is_enrolled(const std::string& state_dir);

// A canonical uid for one event: hex SHA-256 of agent_id and the event JSON
// with "host", "agent_id" and "flow_id" removed and keys sorted.
std::string compute_event_uid(std::string_view agent_id, std::string_view eve_json);

class Spool;
struct AgentState;

class Uplink {
 public:
  // Null + *error when the state directory is not enrolled or the spool
  // cannot be opened.
  static std::unique_ptr<Uplink> open(const UplinkConfig&, std::string* error);
  ~Uplink();

  // One EVE event (a JSON object, one line, no newline). Queued for the spool
  // when it returns (committed shortly after, see Durability above); types
  // not in UplinkConfig::event_types are ignored.
  void submit(std::string_view event_type, std::string_view eve_json);

  // Agent-side heartbeat fields (packets, bytes, capture drops, decode
  // anomalies, alerts, interfaces, ruleset_version...). Set before start().
  void set_heartbeat_source(std::function<nlohmann::json()> fn);
  // Called on the heartbeat thread with a new rule set announced by the
  // collector and its threshold.config lines (the collector's active
  // suppressions; "" when none); returns true when the agent swapped it in.
  // Set before start().
  using RulesetHandler = std::function<bool(const std::string& version, const std::string& rules_text,
                                            const std::string& threshold)>;
  void set_ruleset_handler(RulesetHandler fn);

  // Waits until everything submitted so far is committed to the spool
  // (counted in spool.written); false when a commit failed. Sends nothing.
  bool flush();

  void start();
  // Commits what was submitted, sends everything now (ignores batch age) and
  // waits until the spool is empty (true) or the timeout passes (false).
  bool drain(std::chrono::milliseconds timeout);
  // Idempotent; commits what was submitted; events still spooled are sent by
  // the next run.
  void stop();
  void visit_counters(const CounterVisitor&) const;

  const std::string& agent_id() const;
  // The collector rule set in use; set at start-up when the agent loaded the
  // one saved by a previous run, so that it is not downloaded again.
  std::string ruleset_version() const;
  void set_ruleset_version(const std::string& v);

 private:
  struct Impl;
  explicit Uplink(std::unique_ptr<Impl>);
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil

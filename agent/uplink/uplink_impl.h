// Internals of Uplink shared by uplink.cpp (spool + sender thread) and
// heartbeat.cpp (heartbeat + rule-set thread). Not for other modules.
#pragma once

#include <httplib.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <random>
#include <thread>

#include "agent/uplink/agent_state.h"
#include "agent/uplink/spool.h"
#include "agent/uplink/uplink.h"

namespace vigil {

// clang-format off
#define VIGIL_UPLINK_COUNTERS(X)                       \
  X(batches_sent, "uplink.batches_sent")               \
  X(batches_acked, "uplink.batches_acked")             \
  X(events_acked, "uplink.events_acked")               \
  X(errors, "uplink.errors")                           \
  X(retries, "uplink.retries")                         \
  X(refused, "uplink.refused")                         \
  X(cert_mismatch, "uplink.cert_mismatch")             \
  X(rejected, "uplink.rejected")                       \
  X(conflicts, "uplink.conflicts")                     \
  X(renumbered, "uplink.batches_renumbered")           \
  X(splits, "uplink.splits")                           \
  X(event_too_large, "uplink.event_too_large")         \
  X(event_refused, "uplink.event_refused")             \
  X(bytes_sent, "uplink.bytes_sent")                   \
  X(heartbeats_sent, "heartbeat.sent")                 \
  X(heartbeat_errors, "heartbeat.errors")              \
  X(ruleset_updates, "ruleset.updates")                \
  X(ruleset_failures, "ruleset.update_failures")
// clang-format on

struct Uplink::Impl {
  UplinkConfig cfg;
  AgentState state;
  std::unique_ptr<Spool> spool;
  std::function<nlohmann::json()> hb_source;
  Uplink::RulesetHandler ruleset_handler;
  Clock::time_point started;

  std::mutex mu;
  std::condition_variable cv;  // wakes the sender (new events, drain, stop) and drain() waiters
  bool stop = false, flushing = false, started_threads = false;
  std::thread sender, heartbeat;

  mutable std::mutex rs_mu;
  std::string ruleset_version, failed_ruleset_version;

  // Counters bumped by the uplink threads and submit(); atomics so that
  // visit_counters() may read them from any thread. Declared by the list.
#define VIGIL_UPLINK_FIELD_(field, name) std::atomic<uint64_t> field{0};
  VIGIL_UPLINK_COUNTERS(VIGIL_UPLINK_FIELD_)
#undef VIGIL_UPLINK_FIELD_

  std::mt19937_64 rng{std::random_device{}()};
  int conflicts_in_a_row = 0;  // sender thread only

  // The spool's counters, then the list above: for stats and the heartbeat.
  void visit_counters(const CounterVisitor& v) const;
  void sender_loop();
  // What the sender does with the collector's answer to one batch.
  enum class Outcome { kAcked, kResend, kRetryLater };
  Outcome send_batch(httplib::SSLClient& cli, const SpoolBatch& batch, int backoff_ms);
  Outcome refused_batch(const SpoolBatch& batch, int status, const std::string& body, int backoff_ms);
  void heartbeat_loop();
  // One heartbeat; returns the collector's rule-set version ("" if none/failed).
  std::optional<std::string> send_heartbeat(httplib::SSLClient& cli);
  void maybe_update_ruleset(httplib::SSLClient& cli, const std::string& version);
  std::unique_ptr<httplib::SSLClient> client();
  // Sleeps up to `d` unless stopped; returns false when stopping.
  bool sleep_for(std::chrono::milliseconds d);
  std::string ruleset_version_copy() const {
    std::lock_guard lk(rs_mu);
    return ruleset_version;
  }
};

}  // namespace vigil

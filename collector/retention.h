// Retention in the background: a thread that applies the store's retention
// policy (retention.* in collector.yaml) at start and then every interval,
// off every request path. The store deletes in small transactions, so ingest
// and queries go on while it runs. What each pass deleted is counted and
// logged. Constructed by `serve` after the store is open; the destructor
// waits for the pass in progress and stops the thread before the store closes.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#include "collector/store/store.h"

namespace vigil::collector {

class RetentionRunner {
 public:
  // Does nothing (no thread) when the policy has no limit.
  RetentionRunner(Store& store, RetentionPolicy policy, int interval_s);
  ~RetentionRunner();
  RetentionRunner(const RetentionRunner&) = delete;
  RetentionRunner& operator=(const RetentionRunner&) = delete;

  uint64_t passes() const { return passes_; }
  uint64_t alerts_deleted() const { return alerts_; }
  uint64_t events_deleted() const { return events_; }

 private:
  void loop();

  Store& store_;
  RetentionPolicy policy_;
  int interval_s_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::atomic<uint64_t> passes_{0}, alerts_{0}, events_{0};
  std::thread th_;  // last: starts once the members above exist
};

}  // namespace vigil::collector

// One forwarding output: a bounded queue, a sender thread that delivers with
// retries and capped exponential backoff, and a dead-letter file for what
// could not be delivered. Transport-specific code is a Sender
// (collector/forward/senders.h); everything here is shared and tested with
// a fake one (tests/collector/forward/output_test.cpp).
//
// Overflow drops the OLDEST queued alert (into the dead-letter file, counted
// dropped_overflow): during a long outage the newest alerts are the ones a
// SOC acts on first, and the old ones are not lost, they wait on disk.
#pragma once

#include <condition_variable>
#include <cstdio>
#include <deque>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "collector/forward/forward_config.h"
#include "collector/forward/forward_counters.h"

namespace vigil::collector::forward {

// One alert as every output gets it.
struct Alert {
  nlohmann::json doc;  // the EVE record as stored plus agent_id and agent_hostname
  std::string text;    // doc.dump()
  int severity = 3;    // Suricata: 1 is highest
};

class Sender {
 public:
  virtual ~Sender() = default;
  // Delivers one alert; false + *error when the receiver did not take it
  // (the output retries). Called from the output's sender thread only.
  virtual bool send(const Alert& a, std::string* error) = 0;
};

class Output {
 public:
  // dead_letter_path: a JSON-lines file, created 0600 when first needed.
  Output(OutputConfig cfg, std::unique_ptr<Sender> sender, std::string dead_letter_path);
  ~Output();
  Output(const Output&) = delete;
  Output& operator=(const Output&) = delete;

  void start();
  // From ingest threads: applies min_severity and rate_limit_per_min (now_s:
  // seconds since the epoch), then queues; never blocks on the receiver.
  void offer(std::shared_ptr<const Alert> a, int64_t now_s);
  // Waits up to drain_ms for the queue to empty, then ends the thread; what
  // is still queued goes to the dead-letter file (reason "shutdown").
  void stop(int drain_ms = 2000);

  const std::string& name() const { return cfg_.name; }
  const OutputConfig& config() const { return cfg_; }
  const ForwardCounters& counters() const { return counters_; }
  const std::string& dead_letter_path() const { return dl_path_; }

 private:
  void run();
  void dead_letter(const Alert& a, const char* reason);
  // Sleeps ms unless stopped; false when stopped.
  bool pause(int ms);

  OutputConfig cfg_;
  std::unique_ptr<Sender> sender_;
  std::string dl_path_;
  ForwardCounters counters_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<const Alert>> q_;
  bool stop_ = false;
  int64_t rate_minute_ = -1;
  int rate_count_ = 0;

  std::mutex dl_mu_;
  FILE* dl_ = nullptr;
  int64_t dl_size_ = 0;
  bool dl_full_logged_ = false;

  std::thread th_;
};

}  // namespace vigil::collector::forward

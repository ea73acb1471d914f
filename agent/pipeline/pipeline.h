// Pipeline: one reader fans packets out to N workers by a symmetric hash of
// the IP pair (decoder.h Fanout), so both directions of a flow and all
// fragments of a datagram meet in one worker, and the set of events does not
// depend on N. With one worker the reader runs the worker inline (no copy).
//
// Packets travel in batches: a batch is a byte arena plus descriptors,
// recycled through a free list, so the steady state allocates nothing. The
// reader also sends each worker the current packet time at least once per
// second of capture time, so idle workers expire flows on the same clock.
// In checksum "auto" mode the reader, not each worker, samples the first
// packets, so that one decision holds for the capture (checksum_sampler.h).
//
// Threading: run() on the caller's thread (it becomes the reader); request_stop()
// from any thread or a signal handler's helper thread.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "agent/capture/pcap_source.h"
#include "agent/config.h"
#include "agent/detect/detect_stage.h"
#include "agent/output/eve.h"
#include "agent/pipeline/worker.h"

namespace vigil {

using DetectFactory = std::function<std::unique_ptr<DetectStage>()>;

class Pipeline {
 public:
  Pipeline(const AgentConfig& cfg, EventRouter& events, DetectFactory detect);
  ~Pipeline();

  // Reads until end of file, error or request_stop(); then finishes every
  // worker (open flows end with reason "shutdown"). Returns 0 on a clean end,
  // read errors (a file cut mid-packet) are logged and counted, not fatal.
  int run(PcapSource& src);
  // Live capture with capture.fanout "kernel": one source per worker, all
  // in one kernel fan-out group (agent/capture/fanout_bpf.h); each worker
  // reads its own source on its own thread, with no reader and no copy.
  // Packets stamped before `start` (when the last socket joined the group)
  // are dropped and counted (capture.fanout_startup_discards): until every
  // socket has joined, a packet can reach more than one of them.
  // Set before the counters are first read (with set_capture).
  int run_fanout(Timestamp start);
  void set_fanout_sources(std::vector<PcapSource*> srcs) { fanout_srcs_ = std::move(srcs); }
  void request_stop();

  // Counters of all workers plus the reader, summed. Any thread.
  CounterSnapshot counters() const;
  // The signatures whose alerts the rate limit dropped since the previous
  // call (outputs.eve.alert.rate-limit). Any thread.
  std::vector<LimitedSignature> take_alert_limit_summary() { return limiter_.take_summary(); }
  // Reader-side counters only (capture.*). Any thread.
  void set_capture(PcapSource* src) { src_ = src; }

 private:
  struct Batch;
  struct Queue;
  void worker_main(size_t idx);
  void capture_worker(size_t idx, PcapSource& src, Timestamp start);
  Batch* get_free_batch();
  void push(size_t w);

  const AgentConfig& cfg_;
  EventRouter& events_;
  AlertRateLimiter limiter_;  // shared by the workers (alert_limiter.h)
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::unique_ptr<Queue>> queues_;
  std::vector<Batch*> current_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stop_{false};
  PcapSource* src_ = nullptr;
  std::vector<PcapSource*> fanout_srcs_;  // run_fanout: one per worker
  std::atomic<uint64_t> startup_discards_{0};
  // run_fanout: the newest packet time any capture worker has read (µs). A
  // worker whose own share of the traffic went quiet moves its clock to it
  // (when idle, and once all have stopped reading), as the reader's workers
  // follow the reader's clock: flows time out alike with any worker count.
  std::atomic<int64_t> fanout_now_us_{INT64_MIN};
  std::atomic<size_t> fanout_reading_{0};
  std::atomic<uint64_t> packets_{0}, bytes_{0};
  std::atomic<bool> csum_auto_off_{false};  // the reader's checksum "auto" decision
  struct FreeList;
  std::unique_ptr<FreeList> free_;
};

}  // namespace vigil

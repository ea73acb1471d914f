// Worker: one packet thread's whole path — decode, flow + TCP reassembly, app
// layer, detection, event building. It owns its Decoder, FlowTable, AppLayer
// and DetectStage; flows never leave it, so nothing on this path locks.
//
// Threading: all methods except publish_counters()/counters() run on the
// worker's own thread. counters() may be called from any thread; it returns
// the snapshot the worker last published.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>

#include "agent/app/app_layer.h"
#include "agent/config.h"
#include "agent/decode/decoder.h"
#include "agent/detect/detect_stage.h"
#include "agent/flow/flow_table.h"
#include "agent/output/alert_limiter.h"
#include "agent/output/eve.h"
#include "agent/pipeline/checksum_sampler.h"

namespace vigil {

#define VIGIL_WORKER_COUNTERS(X)                \
  X(alerts, "detect.alert")                     \
  X(rate_limited, "detect.alerts_rate_limited") \
  X(flow_events, "output.eve.flow")             \
  X(tx_events, "output.eve.tx")                 \
  X(file_events, "output.eve.fileinfo")         \
  X(decode_dropped, "decoder.not_processed")    \
  X(csum_auto_off, "checksum.auto_disabled")

VIGIL_DECLARE_COUNTERS(WorkerCounters, VIGIL_WORKER_COUNTERS)

class Worker final : public StreamSink, public FlowEndSink, public AppEvents, public AlertSink {
 public:
  // `limiter`: shared by all workers, outlives them; null = no alert rate limit.
  Worker(const AgentConfig& cfg, EventRouter& events, std::unique_ptr<DetectStage> detect,
         AlertRateLimiter* limiter = nullptr);
  ~Worker() override;

  // p.ts, p.frame, p.wire_len, p.linktype and p.pcap_cnt must be set.
  void process(Packet& p);
  // Advances packet time without a packet (the reader sends this so idle
  // workers expire flows exactly as a busy one would).
  void advance_time(Timestamp now);
  // End of input: every open flow ends with reason "shutdown". With
  // `expire_due` (live capture) the flows whose timeout passed before the
  // worker's last packet time end by timeout first. Expiry otherwise runs
  // once a second of packet time, and in live capture the last such pass
  // before a stop depends on which worker saw which packet; at the exact
  // last time, which every live worker ends on (Pipeline), the flows ended
  // by timeout do not depend on the worker count.
  void finish(bool expire_due = false);

  // Checksum "auto" mode with several workers: one decision must hold for
  // the whole capture, as with one worker, so the reader samples (it sees
  // every packet in order) instead of each worker sampling its own share.
  // leave_checksum_sampling_to_reader(): before the first packet. Then, if
  // the reader turns checks off, checksum_checks_off_from(): on the reader
  // thread, before it hands over frame pcap_cnt; checks are off from that
  // frame's nth IP packet (0-based, tunnel layers counted as process() counts
  // them, so the packet that made the decision included), as with one worker.
  void leave_checksum_sampling_to_reader();
  void checksum_checks_off_from(uint64_t pcap_cnt, uint32_t nth);

  // Copies the counters into the published snapshot (worker thread).
  void publish_counters();
  // The last published snapshot (any thread).
  CounterSnapshot counters() const;

  // StreamSink
  void on_stream_data(Flow& f, Dir d, Bytes data, uint64_t offset, const Packet& trigger) override;
  void on_stream_gap(Flow& f, Dir d, uint64_t len, const Packet& trigger) override;
  void on_stream_end(Flow& f, Dir d, const Packet* trigger) override;
  // FlowEndSink
  void on_flow_end(Flow& f, FlowEndReason reason, Timestamp now) override;
  // AppEvents
  void on_tx_update(const Packet& p, Flow& f, Dir d, const Transaction& tx) override;
  void on_tx_done(const Packet* p, Flow& f, const Transaction& tx) override;
  void on_tx_log(const Packet* p, Flow& f, Dir d, const Transaction& tx) override;
  // AlertSink
  void alert(const AlertEvent& a) override;

 private:
  void collect(CounterSnapshot& s) const;
  void sample_checksum(const Packet& p);

  const AgentConfig& cfg_;
  EventRouter& events_;
  Decoder decoder_;
  FlowTable flows_;
  AppLayer app_;
  std::unique_ptr<DetectStage> detect_;
  AlertRateLimiter* limiter_;
  WorkerCounters counters_;
  Timestamp now_;
  int64_t last_defrag_expire_ = 0;
  // Checksum "auto" mode: sample the first packets, then keep or drop checks.
  bool csum_checks_;
  bool csum_sampling_;
  ChecksumSampler csum_sampler_;
  bool csum_by_reader_ = false;
  std::atomic<uint64_t> csum_off_cnt_{UINT64_MAX};
  std::atomic<uint32_t> csum_off_nth_{0};
  uint32_t frame_ip_ = 0;  // IP packets of the current frame handled so far
  EventMask want_;         // the event types some output takes, resolved once

  mutable std::mutex snap_mu_;
  CounterSnapshot snapshot_;
};

}  // namespace vigil

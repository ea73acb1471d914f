#include "agent/detect/rules_detect.h"

#include <algorithm>

#include "agent/flow/tcp_session.h"
#include "rules/flow_state.h"

namespace vigil {

namespace {

// The engine reads flows through FlowView; its TCP part is a copy of the
// session's stream positions, refreshed here before every engine call (a
// few loads and stores, nothing allocated).
void refresh_tcp_view(Flow& f) {
  TcpStreamView& v = f.tcp_view;
  v.tracked = f.tcp != nullptr;
  if (!v.tracked) return;
  v.midstream = f.tcp->midstream();
  for (Dir d : {Dir::kToServer, Dir::kToClient}) {
    const TcpStream& s = f.tcp->stream(d);
    v.initialized[int(d)] = s.initialized();
    v.next_offset[int(d)] = s.next_offset();
  }
}

class RulesDetect : public DetectStage {
 public:
  RulesDetect(const EngineHolder& h, const DetectOptions& o)
      : holder_(h), window_(std::min(o.stream_window, rules::kStreamTail)) {}

  void on_packet(const Packet& p, AlertSink& out) override {
    refresh();
    if (engine_) {
      if (p.flow) refresh_tcp_view(flow_of(*p.flow));
      engine_->inspect_packet(*worker_, p, out);
      engine_->end_packet(*worker_);
    }
  }

  void on_stream(const Packet& p, Flow& f, Dir d, Bytes data, uint64_t offset, AlertSink& out) override {
    (void)offset;
    refresh();
    if (!engine_ || data.empty() || f.no_payload_inspection) return;
    refresh_tcp_view(f);
    if (!f.detect) f.detect = std::make_unique<rules::RuleFlowState>();
    auto* fs = static_cast<rules::RuleFlowState*>(f.detect.get());
    auto& tail = fs->tail[static_cast<int>(d)];
    // window = kept tail + new bytes; scratch buffer reused across calls.
    buf_.assign(tail.begin(), tail.end());
    size_t new_from = buf_.size();
    buf_.insert(buf_.end(), data.begin(), data.end());
    bool new_is_payload = data.data() == p.payload.data() && data.size() == p.payload.size();
    engine_->inspect_stream(*worker_, p, f, d, Bytes(buf_.data(), buf_.size()), new_from, out,
                            new_is_payload);
    size_t keep = std::min(window_, buf_.size());
    tail.assign(buf_.end() - static_cast<std::ptrdiff_t>(keep), buf_.end());
  }

  void on_tx(const Packet& p, Flow& f, Dir d, const Transaction& tx, AlertSink& out) override {
    refresh();
    if (!engine_) return;
    refresh_tcp_view(f);
    engine_->inspect_tx(*worker_, p, f, d, tx, out);
  }

  void visit_counters(const CounterVisitor& v) const override {
    if (worker_) engine_->counters(*worker_).visit(v);
  }

 private:
  // Picks up a newly set engine; the worker scratch belongs to one engine.
  void refresh() {
    uint64_t gen = holder_.generation();
    if (gen == generation_) return;
    generation_ = gen;
    auto e = holder_.get();
    if (e == engine_) return;
    worker_.reset();
    engine_ = std::move(e);
    if (engine_) worker_ = engine_->new_worker();
  }

  const EngineHolder& holder_;
  uint64_t generation_ = ~uint64_t{0};
  size_t window_;
  std::shared_ptr<const rules::Engine> engine_;
  std::unique_ptr<rules::WorkerState, void (*)(rules::WorkerState*)> worker_{nullptr,
                                                                             [](rules::WorkerState*) {}};
  std::vector<uint8_t> buf_;
};

}  // namespace

std::unique_ptr<DetectStage> make_rules_detect(const EngineHolder& holder, const DetectOptions& opts) {
  return std::make_unique<RulesDetect>(holder, opts);
}

}  // namespace vigil

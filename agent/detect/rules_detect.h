// The rules engine as a DetectStage: one per worker, all sharing the current
// engine through an EngineHolder. A reload builds a new engine off the packet
// path and set()s it; each worker picks it up at its next packet, and the old
// engine is freed when the last worker drops it. Per-flow state (flowbits,
// stream tails, tx marks) is keyed by names and sids, so it survives a swap.
#pragma once

#include <atomic>
#include <memory>

#include "agent/detect/detect_stage.h"
#include "common/counters.h"
#include "rules/engine.h"

namespace vigil {

struct DetectOptions {
  // Bytes of earlier stream data kept per direction so that patterns split
  // across segments match (bounded by rules::kStreamTail).
  size_t stream_window = 2048;
};

class EngineHolder {
 public:
  void set(std::shared_ptr<const rules::Engine> e) {
    engine_.store(std::move(e));
    generation_.fetch_add(1, std::memory_order_release);
  }
  std::shared_ptr<const rules::Engine> get() const { return engine_.load(); }
  // Bumped after every set(): workers compare it per packet (one relaxed
  // load) and take the shared_ptr, which costs a lock in libstdc++'s
  // atomic<shared_ptr>, only when it moved.
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

 private:
  std::atomic<std::shared_ptr<const rules::Engine>> engine_;
  std::atomic<uint64_t> generation_{0};
};

// One per worker thread.
std::unique_ptr<DetectStage> make_rules_detect(const EngineHolder& holder, const DetectOptions& opts);

}  // namespace vigil

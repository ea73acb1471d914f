// The detection stage as the worker sees it. The rules engine plugs in here
// (rules_detect.h); with no rules loaded the worker uses no stage at all.
//
// Threading: one DetectStage object per worker (it may share an immutable
// engine with the others); all calls come from that worker's thread.
// Call order for one packet: stream/app callbacks that the packet triggers
// (on_stream, on_tx), then on_packet.
#pragma once

#include "agent/flow/flow.h"
#include "common/alert.h"
#include "common/counters.h"
#include "common/inspect.h"
#include "common/packet.h"

namespace vigil {

class DetectStage {
 public:
  virtual ~DetectStage() = default;
  // Every decoded packet (p.flow set when the packet belongs to a flow).
  virtual void on_packet(const Packet& p, AlertSink& out) = 0;
  // In-order reassembled TCP bytes that packet `p` made available in direction d,
  // starting at stream offset `offset`.
  virtual void on_stream(const Packet& p, Flow& f, Dir d, Bytes data, uint64_t offset, AlertSink& out) = 0;
  // A transaction advanced in direction d (new buffers may be present).
  virtual void on_tx(const Packet& p, Flow& f, Dir d, const Transaction& tx, AlertSink& out) = 0;
  // The flow ends: last chance to flush per-flow state.
  virtual void on_flow_end(Flow& f) { (void)f; }
  // The stage's own counters (detect.*), read on the worker's thread.
  virtual void visit_counters(const CounterVisitor& v) const { (void)v; }
};

}  // namespace vigil

// How TCP reassembly hands data to the next stage: bytes in order, a gap, the
// end of a direction. Parsers never see segments (STYLE lesson 2).
#pragma once

#include <cstdint>

#include "agent/flow/flow.h"
#include "common/inspect.h"
#include "common/packet.h"

namespace vigil {

struct Flow;

class StreamSink {
 public:
  virtual ~StreamSink() = default;
  // In-order bytes of direction d, starting at stream offset `offset` (0 = first
  // byte after the SYN). `trigger` is the packet whose arrival made the data
  // available. `data` is valid only during the call.
  virtual void on_stream_data(Flow& f, Dir d, Bytes data, uint64_t offset, const Packet& trigger) = 0;
  // `len` bytes of direction d will never arrive (capture loss, depth reached
  // is reported by on_stream_depth instead).
  virtual void on_stream_gap(Flow& f, Dir d, uint64_t len, const Packet& trigger) = 0;
  // Direction d is finished (FIN/RST, flow end). trigger may be null at flow end.
  virtual void on_stream_end(Flow& f, Dir d, const Packet* trigger) = 0;
  // Reassembly depth of direction d reached; no more data will be delivered.
  virtual void on_stream_depth(Flow& f, Dir d) {
    (void)f;
    (void)d;
  }
};

// Called once per flow when it ends (timeout, shutdown, table pressure),
// before the flow is freed.
class FlowEndSink {
 public:
  virtual ~FlowEndSink() = default;
  virtual void on_flow_end(Flow& f, FlowEndReason reason, Timestamp now) = 0;
};

}  // namespace vigil

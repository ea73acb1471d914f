// FlowView: the part of a flow that the rules engine reads (and the one slot
// it writes, the detection state). rules/ sees flows only through this type;
// it never includes the agent's flow tracking.
//
// Who fills it: the agent's Flow (agent/flow/flow.h) derives from FlowView, so
// identity, counts, state and app protocols are the flow's own fields, kept by
// flow tracking and the app layer as they change. `tcp` is a copy of the TCP
// session's stream positions, which agent/detect (the adapter between the
// worker and the engine) refreshes before every engine call.
// Threading: a flow, and so its view, belongs to one worker thread.
// Lifetime: as the flow's; the engine keeps no pointer past its call.
#pragma once

#include <cstdint>
#include <memory>

#include "common/app_proto.h"
#include "common/ip_addr.h"

namespace vigil {

// Flow life phase (for TCP: the handshake completed, both sides closed).
enum class FlowState : uint8_t { kNew, kEstablished, kClosed };

// Per-flow state the rules engine keeps on a flow (flowbits, flowints,
// per-transaction "already alerted" marks). Owned by the flow, created and
// interpreted only by the engine.
struct DetectFlowState {
  virtual ~DetectFlowState() = default;
};

// What the stream keywords read of a TCP session.
struct TcpStreamView {
  bool tracked = false;    // the flow has a TCP session
  bool midstream = false;  // picked up without its handshake
  // Per direction (Dir: 0 to server, 1 to client): whether the stream has an
  // initial sequence number, and the next expected offset after it.
  bool initialized[2] = {false, false};
  uint64_t next_offset[2] = {0, 0};
};

struct FlowView {
  // --- identity ("client" sent the first packet seen; for TCP the SYN) ---
  IpAddr client, server;
  uint16_t client_port = 0, server_port = 0;  // ICMP: 0
  uint8_t proto = 0;                          // IP protocol number
  uint64_t flow_id = 0;  // stable: same capture gives the same id whatever the worker count

  // --- life ---
  FlowState state = FlowState::kNew;
  uint64_t pkts_toserver = 0, pkts_toclient = 0;

  // --- app layer ---
  AppProto app_proto = AppProto::kUnknown;       // what EVE shows
  bool no_payload_inspection = false;            // set by the app layer (TLS encrypted): no raw content rules
  AppProto app_proto_ts = AppProto::kUnknown;    // detected in to_server direction
  AppProto app_proto_tc = AppProto::kUnknown;    // detected in to_client direction
  AppProto app_proto_orig = AppProto::kUnknown;  // before the flow changed protocol (SMTP STARTTLS -> TLS)
  // Set by the app layer when protocol detection of a direction ended (found
  // or given up); the rules engine clears it once it inspected the next
  // packet of that direction, the one packet that protocol-detection-only
  // rules are checked on. [0] to_server, [1] to_client.
  bool proto_done_pending[2] = {false, false};

  // --- TCP (refreshed by the detection adapter) ---
  TcpStreamView tcp_view;

  // --- detection: the engine's slot ---
  std::unique_ptr<DetectFlowState> detect;
};

}  // namespace vigil

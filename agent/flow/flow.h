// Flow: one bidirectional conversation (5-tuple + VLAN), owned by a worker's
// FlowTable. "client" is the side that sent the first packet we saw (for TCP,
// the SYN sender when the handshake was seen).
//
// Threading: a flow belongs to exactly one worker thread for its whole life.
// Lifetime: valid from FlowTable::process() until the FlowEnd callback returns.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/alert.h"
#include "common/app_proto.h"
#include "common/flow_view.h"
#include "common/ip_addr.h"
#include "common/time.h"

namespace vigil {

class TcpSession;  // agent/flow/tcp_session.h

// Implemented by agent/app: per-flow parser state.
struct AppLayerState {
  virtual ~AppLayerState() = default;
};

enum class FlowEndReason : uint8_t { kTimeout, kShutdown, kForced };

// The rules engine reads the FlowView part (common/flow_view.h); everything
// else is the agent's own.
struct Flow : FlowView {
  Flow();
  ~Flow();
  Flow(const Flow&) = delete;
  Flow& operator=(const Flow&) = delete;

  // --- identity (client, server, ports, proto, flow_id: FlowView) ---
  uint16_t vlan_id[2] = {0, 0};
  uint8_t vlan_count = 0;
  // ICMP/ICMPv6: type and code of the first message each way (EVE's icmp_type,
  // icmp_code, response_icmp_type, response_icmp_code); used by community_id().
  uint8_t icmp_type = 0, icmp_code = 0;
  uint8_t response_icmp_type = 0, response_icmp_code = 0;

  // --- life (state, pkts_toserver/toclient: FlowView) ---
  Timestamp start, last_seen;
  uint64_t bytes_toserver = 0, bytes_toclient = 0;
  uint8_t tcp_flags_ts = 0, tcp_flags_tc = 0;  // OR of flags seen per direction
  bool alerted = false;

  // --- app layer (app_proto*, no_payload_inspection: FlowView) ---
  std::unique_ptr<AppLayerState> app;

  // --- TCP ---
  std::unique_ptr<TcpSession> tcp;  // null for non-TCP flows

  // Community ID v1 (seed 0), "1:base64", computed once when first asked.
  const std::string& community_id() const;

 private:
  mutable std::string community_id_;
};

std::string_view flow_state_name(FlowState s);

// Every FlowView the agent hands to the engine and gets back in alerts
// (Packet::flow, AlertEvent::flow) is the view of one of its Flows.
inline Flow& flow_of(FlowView& v) {
  return static_cast<Flow&>(v);
}
inline const Flow& flow_of(const FlowView& v) {
  return static_cast<const Flow&>(v);
}

}  // namespace vigil

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
#include "common/ip_addr.h"
#include "common/time.h"

namespace vigil {

class TcpSession;  // agent/flow/tcp_session.h

// Implemented by agent/app: per-flow parser state.
struct AppLayerState {
  virtual ~AppLayerState() = default;
};

enum class FlowState : uint8_t { kNew, kEstablished, kClosed };

enum class FlowEndReason : uint8_t { kTimeout, kShutdown, kForced };

struct Flow {
  Flow();
  ~Flow();
  Flow(const Flow&) = delete;
  Flow& operator=(const Flow&) = delete;

  // --- identity ---
  IpAddr client, server;
  uint16_t client_port = 0, server_port = 0;  // ICMP: 0
  uint8_t proto = 0;                          // IP protocol number
  uint16_t vlan_id[2] = {0, 0};
  uint8_t vlan_count = 0;
  uint64_t flow_id = 0;  // stable: same capture gives the same id whatever the worker count
  // ICMP/ICMPv6: type and code of the first message each way (EVE's icmp_type,
  // icmp_code, response_icmp_type, response_icmp_code); used by community_id().
  uint8_t icmp_type = 0, icmp_code = 0;
  uint8_t response_icmp_type = 0, response_icmp_code = 0;

  // --- life ---
  Timestamp start, last_seen;
  FlowState state = FlowState::kNew;
  uint64_t pkts_toserver = 0, pkts_toclient = 0;
  uint64_t bytes_toserver = 0, bytes_toclient = 0;
  uint8_t tcp_flags_ts = 0, tcp_flags_tc = 0;  // OR of flags seen per direction
  bool alerted = false;

  // --- app layer ---
  AppProto app_proto = AppProto::kUnknown;     // what EVE shows
  bool no_payload_inspection = false;          // set by the app layer (TLS encrypted): no raw content rules
  AppProto app_proto_ts = AppProto::kUnknown;  // detected in to_server direction
  AppProto app_proto_tc = AppProto::kUnknown;  // detected in to_client direction
  std::unique_ptr<AppLayerState> app;

  // --- TCP ---
  std::unique_ptr<TcpSession> tcp;  // null for non-TCP flows

  // --- detection ---
  std::unique_ptr<DetectFlowState> detect;

  // Community ID v1 (seed 0), "1:base64", computed once when first asked.
  const std::string& community_id() const;

 private:
  mutable std::string community_id_;
};

std::string_view flow_state_name(FlowState s);

}  // namespace vigil

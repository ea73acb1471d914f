// AlertEvent: what the rules engine hands to the outputs when a rule fires.
// Plain data with views; valid only during the AlertSink call.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/flow_view.h"
#include "common/inspect.h"
#include "common/packet.h"
#include "common/rule_metadata.h"

namespace vigil {

struct AlertEvent {
  uint32_t gid = 1;
  uint32_t sid = 0;
  uint32_t rev = 0;
  std::string_view msg;
  std::string_view category;            // classification description ("" if none)
  int severity = 3;                     // priority: 1 high .. 4
  std::string_view action = "allowed";  // IDS mode: "allowed"; "blocked" only inline
  // metadata key value pairs, in rule order (EVE: alert.metadata{key:[values]})
  const RuleMetadata* metadata = nullptr;

  const Packet* packet = nullptr;   // the packet that triggered the alert (always set)
  const FlowView* flow = nullptr;   // may be null (no flow, e.g. invalid L4)
  const Transaction* tx = nullptr;  // set when an app-layer transaction matched
  // Stream data the match ran on, when it was not the packet payload (for
  // EVE "payload"); empty means use packet->payload.
  std::span<const uint8_t> stream_data;
};

class AlertSink {
 public:
  virtual ~AlertSink() = default;
  virtual void alert(const AlertEvent& a) = 0;
};

}  // namespace vigil

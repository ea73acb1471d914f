#include "agent/flow/flow.h"

#include "agent/flow/flow_table.h"
#include "agent/flow/tcp_session.h"

namespace vigil {

// Out of line so that TcpSession is a complete type where unique_ptr deletes it.
Flow::Flow() = default;
Flow::~Flow() = default;

const std::string& Flow::community_id() const {
  if (community_id_.empty()) {
    if (proto == 1 || proto == 58) {
      // ICMP "ports" are type and code; take a message in the direction it
      // was sent (the spec's mapping makes request and reply agree).
      if (pkts_toserver > 0 || pkts_toclient == 0) {
        community_id_ = community_id_v1(client, server, icmp_type, icmp_code, proto);
      } else {
        community_id_ = community_id_v1(server, client, response_icmp_type, response_icmp_code, proto);
      }
    } else {
      community_id_ = community_id_v1(client, server, client_port, server_port, proto);
    }
  }
  return community_id_;
}

std::string_view flow_state_name(FlowState s) {
  switch (s) {
    case FlowState::kNew:
      return "new";
    case FlowState::kEstablished:
      return "established";
    case FlowState::kClosed:
      return "closed";
  }
  return "unknown";
}

}  // namespace vigil

// What the collector answers an agent's pushes: an event batch (POST
// /api/v1/events) and a heartbeat (POST /api/v1/heartbeat). The HTTP server
// authenticates the agent, then hands the (decompressed) body here; these
// functions decode it with the wire contract (common/wire.h), store it and
// return the status and JSON body to send. Transport-free, so they are
// tested without a server and any server (httplib, Beast) can call them.
//
// Called concurrently from the server's handler threads; the Store is
// thread-safe. Never throws: every refusal is a 4xx with {error, detail}.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "collector/store/store.h"
#include "collector/suppression.h"

namespace vigil::collector {

namespace forward {
class Forwarder;
}

struct ApiReply {
  int status = 200;
  std::string body;  // JSON
};

// 200 {acked_seq, stored, duplicates, duplicate_batch};
// 400 {error:"bad batch", detail} when the body breaks the contract (the
//     detail names the field or the event index);
// 403 when the batch's agent_id is not the authenticated agent;
// 409 {error:"batch_seq reused", detail, highest_seq} when the number was
//     stored before with other events (nothing stored);
// 503 when the store fails (the agent retries).
// Alerts matching `suppressions` (when given) are not stored; the batch
// digest still covers them (it is over the batch as sent, so a resend after
// the set changed is still a resend), and once the batch is stored (not a
// resend) each suppression's hit count grows by the alerts it dropped.
// `forward` (when given) gets the alerts written now, after the commit: not
// a resend again, so each alert is forwarded once.
ApiReply handle_ingest(Store& store, const std::string& agent_id, std::string_view body, int64_t now,
                       const SuppressionSet* suppressions = nullptr, forward::Forwarder* forward = nullptr);

// 200 {ruleset_version, heartbeat_interval_s, highest_seq}; 400 when the
// heartbeat is not a JSON object within the caps of wire::decode_heartbeat.
// `version_suffix` (SuppressionSet::version_suffix) is appended to the rule
// set's version, so agents fetch the rule set again when suppressions change.
// `peer`: the address the heartbeat came from, kept on the agent.
ApiReply handle_heartbeat(Store& store, const std::string& agent_id, std::string_view body, int64_t now,
                          int heartbeat_interval_s, std::string_view version_suffix = {},
                          const std::string& peer = {});

}  // namespace vigil::collector

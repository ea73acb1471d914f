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

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

#include "collector/store/store.h"
#include "collector/suppression.h"
#include "common/prometheus.h"

// What ingest accepted, found again and refused, declared once (the list
// makes the fields and their names). Read by GET /api/v1/server/stats and
// GET /metrics. A batch is refused when it breaks the contract (400; its
// events are not counted, they could not be read), names another agent
// (403), reuses a number (409) or the store fails (503): its events and
// alerts are counted refused, and the agent keeps them to send again.
#define VIGIL_INGEST_COUNTERS(X)                                                                   \
  X(batches, "ingest.batches")                     /* answered 200 (stored or a resend) */         \
  X(batches_duplicate, "ingest.batches_duplicate") /* of those, resends: nothing written */        \
  X(batches_refused, "ingest.batches_refused")     /* 400, 403, 409, 503 */                        \
  X(events_accepted, "ingest.events_accepted")     /* stored now, alerts included */               \
  X(events_duplicate, "ingest.events_duplicate")   /* uid stored before, or in a resent batch */   \
  X(events_refused, "ingest.events_refused")       /* in a refused batch that could be read */     \
  X(alerts_accepted, "ingest.alerts_accepted")                                                     \
  X(alerts_duplicate, "ingest.alerts_duplicate")                                                   \
  X(alerts_suppressed, "ingest.alerts_suppressed") /* matched an active suppression: not stored */ \
  X(alerts_refused, "ingest.alerts_refused")

namespace vigil::collector {

#define VIGIL_INGEST_COUNTER_FIELD_(field, name) std::atomic<uint64_t> field{0};
#define VIGIL_INGEST_COUNTER_VISIT_(field, name) f(name, field.load(std::memory_order_relaxed));

struct IngestCounters {
  VIGIL_INGEST_COUNTERS(VIGIL_INGEST_COUNTER_FIELD_)
  template <class F>
  void visit(F&& f) const {
    VIGIL_INGEST_COUNTERS(VIGIL_INGEST_COUNTER_VISIT_)
  }
};
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
// `counters` (when given) count the outcome; `store_seconds` (when given)
// observes how long the store's ingest_batch (the commit) took. `forward`
// (when given) gets the alerts written now, after the commit: not a resend
// again, so each alert is forwarded once.
ApiReply handle_ingest(Store& store, const std::string& agent_id, std::string_view body, int64_t now,
                       const SuppressionSet* suppressions = nullptr, IngestCounters* counters = nullptr,
                       prometheus::Histogram* store_seconds = nullptr, forward::Forwarder* forward = nullptr);

// 200 {ruleset_version, heartbeat_interval_s, highest_seq}; 400 when the
// heartbeat is not a JSON object within the caps of wire::decode_heartbeat.
// `version_suffix` (SuppressionSet::version_suffix) is appended to the rule
// set's version, so agents fetch the rule set again when suppressions change.
// `peer`: the address the heartbeat came from, kept on the agent.
ApiReply handle_heartbeat(Store& store, const std::string& agent_id, std::string_view body, int64_t now,
                          int heartbeat_interval_s, std::string_view version_suffix = {},
                          const std::string& peer = {});

}  // namespace vigil::collector

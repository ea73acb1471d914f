#include "collector/ingest.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "collector/forward/forwarder.h"
#include "common/wire.h"

namespace vigil::collector {
namespace {

// Marks the alerts an active suppression matches; returns (suppression id,
// alerts dropped) for each suppression that matched.
std::vector<std::pair<int64_t, uint64_t>> mark_suppressed(const SuppressionSet* set,
                                                          std::vector<IngestEvent>& events) {
  std::vector<std::pair<int64_t, uint64_t>> hits;
  if (!set || set->empty()) return hits;
  for (auto& e : events) {
    if (!e.fields || e.fields->event_type != "alert" || !e.fields->sid) continue;
    const auto& f = *e.fields;
    int64_t id = set->match(static_cast<uint32_t>(f.gid.value_or(1)), static_cast<uint32_t>(*f.sid),
                            f.src_ip.value_or(""), f.dest_ip.value_or(""));
    if (id == 0) continue;
    e.suppressed = true;
    auto it = std::find_if(hits.begin(), hits.end(), [&](const auto& h) { return h.first == id; });
    if (it == hits.end())
      hits.emplace_back(id, 1);
    else
      ++it->second;
  }
  return hits;
}

}  // namespace

ApiReply handle_ingest(Store& store, const std::string& agent_id, std::string_view body, int64_t now,
                       const SuppressionSet* suppressions, IngestCounters* counters,
                       prometheus::Histogram* store_seconds, forward::Forwarder* forward) {
  IngestCounters unused;
  IngestCounters& c = counters ? *counters : unused;
  auto bump = [](std::atomic<uint64_t>& n, uint64_t by = 1) { n.fetch_add(by, std::memory_order_relaxed); };
  wire::Batch batch;
  std::string why;
  if (!wire::decode_batch(body, &batch, &why)) {
    bump(c.batches_refused);
    return {400, wire::encode_error("bad batch", why)};
  }
  uint64_t alerts = 0;
  for (const auto& d : batch.events)
    if (d.fields.event_type == "alert") ++alerts;
  auto refused = [&] {
    bump(c.batches_refused);
    bump(c.events_refused, batch.events.size());
    bump(c.alerts_refused, alerts);
  };
  if (batch.agent_id != agent_id) {
    refused();
    return {403, wire::encode_error("agent_id does not match credentials",
                                    "batch for " + batch.agent_id + " sent with the key of " + agent_id)};
  }
  std::vector<IngestEvent> events;
  events.reserve(batch.events.size());
  for (auto& d : batch.events) {
    IngestEvent e;
    e.event_uid = std::move(d.uid);
    e.text = std::move(d.eve);
    e.fields = std::move(d.fields);
    events.push_back(std::move(e));
  }
  std::vector<std::pair<int64_t, uint64_t>> hits = mark_suppressed(suppressions, events);
  IngestResult r;
  auto started = std::chrono::steady_clock::now();
  StoreStatus st = store.ingest_batch(agent_id, batch.batch_seq, events, now, &r);
  if (store_seconds)
    store_seconds->observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  if (!st.ok) {
    refused();
    spdlog::error("ingest from {} failed: {}", agent_id, st.message);
    return {503, wire::encode_error("store unavailable")};
  }
  if (r.conflict) {
    refused();
    spdlog::warn("ingest from {}: batch_seq {} reused with other events (highest stored {})", agent_id,
                 batch.batch_seq, r.highest_seq);
    return {409,
            wire::encode_conflict({"batch " + std::to_string(batch.batch_seq) +
                                       " was stored before with other events; renumber above highest_seq",
                                   r.highest_seq})};
  }
  bump(c.batches);
  if (r.duplicate_batch) {
    bump(c.batches_duplicate);
    bump(c.events_duplicate, events.size());
    bump(c.alerts_duplicate, alerts);
  } else {
    uint64_t suppressed = 0;
    for (const auto& h : hits) suppressed += h.second;
    bump(c.events_accepted, r.stored);
    bump(c.events_duplicate, r.duplicate_events);
    bump(c.alerts_accepted, r.stored_alerts);
    bump(c.alerts_duplicate, r.duplicate_alerts);
    bump(c.alerts_suppressed, suppressed);
  }
  if (!r.duplicate_batch && !hits.empty()) {
    // Counted after the batch is durable; a lost count is not worth failing the batch for.
    StoreStatus hs = store.add_suppression_hits(hits);
    if (!hs.ok) spdlog::warn("suppression hit counts from {} not recorded: {}", agent_id, hs.message);
  }
  // Durable now; a resend (duplicate_batch) has an empty stored_index.
  if (forward) forward->submit(store, agent_id, events, r.stored_index);
  return {200, wire::encode_ingest_ack({batch.batch_seq, r.stored, r.duplicate_events, r.duplicate_batch})};
}

ApiReply handle_heartbeat(Store& store, const std::string& agent_id, std::string_view body, int64_t now,
                          int heartbeat_interval_s, std::string_view version_suffix,
                          const std::string& peer) {
  wire::Heartbeat hb;
  std::string why;
  if (!wire::decode_heartbeat(body, &hb, &why)) return {400, wire::encode_error("bad heartbeat", why)};
  StoreStatus st = store.record_heartbeat(agent_id, hb.fields, now, peer);
  if (!st.ok) return {503, wire::encode_error("store unavailable", st.message)};
  wire::HeartbeatReply reply;
  reply.ruleset_version = store.current_ruleset_version();
  if (!reply.ruleset_version.empty()) reply.ruleset_version += version_suffix;
  reply.heartbeat_interval_s = heartbeat_interval_s;
  reply.highest_seq = store.highest_batch_seq(agent_id);
  return {200, wire::encode_heartbeat_reply(reply)};
}

}  // namespace vigil::collector

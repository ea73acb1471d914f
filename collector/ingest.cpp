#include "collector/ingest.h"

#include <spdlog/spdlog.h>

#include "common/wire.h"

namespace vigil::collector {

ApiReply handle_ingest(Store& store, const std::string& agent_id, std::string_view body, int64_t now) {
  wire::Batch batch;
  std::string why;
  if (!wire::decode_batch(body, &batch, &why)) return {400, wire::encode_error("bad batch", why)};
  if (batch.agent_id != agent_id) {
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
  IngestResult r;
  StoreStatus st = store.ingest_batch(agent_id, batch.batch_seq, events, now, &r);
  if (!st.ok) {
    spdlog::error("ingest from {} failed: {}", agent_id, st.message);
    return {503, wire::encode_error("store unavailable")};
  }
  if (r.conflict) {
    spdlog::warn("ingest from {}: batch_seq {} reused with other events (highest stored {})", agent_id,
                 batch.batch_seq, r.highest_seq);
    return {409,
            wire::encode_conflict({"batch " + std::to_string(batch.batch_seq) +
                                       " was stored before with other events; renumber above highest_seq",
                                   r.highest_seq})};
  }
  return {200, wire::encode_ingest_ack({batch.batch_seq, r.stored, r.duplicate_events, r.duplicate_batch})};
}

ApiReply handle_heartbeat(Store& store, const std::string& agent_id, std::string_view body, int64_t now,
                          int heartbeat_interval_s) {
  wire::Heartbeat hb;
  std::string why;
  if (!wire::decode_heartbeat(body, &hb, &why)) return {400, wire::encode_error("bad heartbeat", why)};
  StoreStatus st = store.record_heartbeat(agent_id, hb.fields, now);
  if (!st.ok) return {503, wire::encode_error("store unavailable", st.message)};
  wire::HeartbeatReply reply;
  reply.ruleset_version = store.current_ruleset_version();
  reply.heartbeat_interval_s = heartbeat_interval_s;
  reply.highest_seq = store.highest_batch_seq(agent_id);
  return {200, wire::encode_heartbeat_reply(reply)};
}

}  // namespace vigil::collector

// The agent-collector wire contract, in one place for both sides: endpoint
// paths, the event batch and its answers (acknowledgement, 409 conflict,
// {error, detail} refusals), the heartbeat and its reply, and enrolment.
//
// The agent encodes batches, heartbeats and enrolment requests and decodes
// the answers; the collector decodes requests and encodes answers. Every
// decode_* is strict: fields present and typed, sizes capped, unknown fields
// of a batch refused; a refusal is a reason string for a 400 {error, detail}
// answer. Nothing here throws.
//
// Thread-safety: all functions are reentrant (decode_batch keeps a
// thread_local simdjson parser). Decoded values own their strings; nothing
// points into the body once decode_* returns.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::wire {

// Endpoint paths (the collector's routes; the agent's requests).
inline constexpr const char* kEnrollPath = "/api/v1/enroll";
inline constexpr const char* kEventsPath = "/api/v1/events";
inline constexpr const char* kHeartbeatPath = "/api/v1/heartbeat";
inline constexpr const char* kRulesetPath = "/api/v1/ruleset";

// Caps that decoding enforces.
inline constexpr size_t kMaxBatchEvents = 10000;
inline constexpr size_t kMaxAgentIdBytes = 128;
inline constexpr size_t kUidHexChars = 64;  // SHA-256 in lowercase hex
inline constexpr uint64_t kMaxBatchSeq = (uint64_t{1} << 63) - 1;
inline constexpr size_t kMaxHeartbeatBytes = 64 * 1024;
inline constexpr size_t kMaxHostnameBytes = 255;
inline constexpr size_t kMaxTokenBytes = 256;
inline constexpr size_t kMaxVersionBytes = 128;

// True for exactly 64 lowercase hex characters.
bool valid_uid(std::string_view uid);

// ---- Event batch: {agent_id, batch_seq, events:[{uid, eve}]} --------------

// What the agent sends: `eve` is the EVE object's JSON text, written as is.
struct EventRef {
  std::string_view uid, eve;
};

// Bytes encode_batch() adds for the envelope and for each event, so that the
// agent can cap a batch's size before it encodes it.
size_t batch_envelope_bytes(std::string_view agent_id, uint64_t batch_seq);
size_t batch_event_bytes(std::string_view uid, std::string_view eve);

// REQUIRES: every eve is one JSON object (the agent's own EVE line).
std::string encode_batch(std::string_view agent_id, uint64_t batch_seq, std::span<const EventRef> events);

// The fields of an EVE event the collector keeps in typed, indexed columns.
struct EveFields {
  std::string event_type;
  std::optional<int64_t> ts_us, sid, gid, rev, severity, src_port, dest_port, flow_id;
  std::optional<std::string> signature, category, src_ip, dest_ip, proto, app_proto;
};
// The same fields from a DOM (callers that hold one, e.g. the CLI and tests).
EveFields eve_fields_from_json(const nlohmann::json& eve);

struct DecodedEvent {
  std::string uid;
  std::string eve;  // the EVE object's text as received, validated JSON
  EveFields fields;
};

struct Batch {
  std::string agent_id;
  uint64_t batch_seq = 0;
  std::vector<DecodedEvent> events;
};

// One simdjson pass over the body; each `eve` is additionally validated in
// full (the on-demand pass skips what it does not read). False + *error:
// "events[7].eve: not valid JSON", "batch_seq: must be 1..2^63-1", ...
bool decode_batch(std::string_view body, Batch* out, std::string* error, size_t max_events = kMaxBatchEvents);

// ---- Answers to a batch ----------------------------------------------------

// 200: {acked_seq, stored, duplicates, duplicate_batch}
struct IngestAck {
  uint64_t acked_seq = 0, stored = 0, duplicates = 0;
  bool duplicate_batch = false;
};
std::string encode_ingest_ack(const IngestAck&);
bool decode_ingest_ack(std::string_view body, IngestAck* out);

// 409: {error:"batch_seq reused", detail, highest_seq}: the number was stored
// before with other events; highest_seq is the highest stored for the agent.
inline constexpr const char* kBatchSeqReused = "batch_seq reused";
struct Conflict {
  std::string detail;
  uint64_t highest_seq = 0;
};
std::string encode_conflict(const Conflict&);
bool decode_conflict(std::string_view body, Conflict* out);

// Any other refusal (4xx/5xx): {error, detail}. decode_error fills what it
// finds; a body that is not such an object leaves error = the body's start.
struct ErrorAnswer {
  std::string error, detail;
};
std::string encode_error(std::string_view error, std::string_view detail = {});
ErrorAnswer decode_error(std::string_view body);

// ---- Heartbeat ---------------------------------------------------------------

// The agent's health report: a JSON object of at most kMaxHeartbeatBytes;
// `hostname`, `agent_version` and `ruleset_version`, when present, are
// strings within their caps (the collector updates the agent's record from
// them); everything else is kept as sent.
struct Heartbeat {
  nlohmann::json fields = nlohmann::json::object();
  std::optional<std::string> hostname, agent_version, ruleset_version;
};
std::string encode_heartbeat(const nlohmann::json& fields);
bool decode_heartbeat(std::string_view body, Heartbeat* out, std::string* error);

// The reply: the rule set the agent should run, how often to report, and the
// highest batch_seq stored for this agent, so that an agent whose spool was
// lost or restored from a backup numbers its next batch above it.
struct HeartbeatReply {
  std::string ruleset_version;
  int heartbeat_interval_s = 5;
  uint64_t highest_seq = 0;
};
std::string encode_heartbeat_reply(const HeartbeatReply&);
bool decode_heartbeat_reply(std::string_view body, HeartbeatReply* out);

// ---- Enrolment ---------------------------------------------------------------

struct EnrollRequest {
  std::string token, hostname;
};
std::string encode_enroll_request(const EnrollRequest&);
// Checked before the token is used: a bad request costs no token.
bool decode_enroll_request(std::string_view body, EnrollRequest* out, std::string* error);

struct EnrollAnswer {
  std::string agent_id, key;
  int heartbeat_interval_s = 5;
};
std::string encode_enroll_answer(const EnrollAnswer&);
bool decode_enroll_answer(std::string_view body, EnrollAnswer* out);

}  // namespace vigil::wire

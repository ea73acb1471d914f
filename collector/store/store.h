// Collector store: everything the collector keeps (agents, enrolment tokens,
// API keys, event batches, alerts and other events, heartbeats, rule sets),
// behind one interface so that a PostgreSQL store can follow the SQLite one.
//
// Called concurrently from the HTTP server's handler threads and the CLI;
// implementations are thread-safe. Errors come back as values (StoreStatus)
// with a message an operator can act on; nothing here throws.
// Returned values are copies; they stay valid as long as the caller keeps them.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vigil::collector {

struct StoreStatus {
  bool ok = true;
  std::string message;
  static StoreStatus error(std::string m) { return {false, std::move(m)}; }
};

struct TokenRecord {
  std::string id;  // short public id (first hex chars of the hash), for listing
  int64_t created_at = 0, expires_at = 0;
  int uses_left = 0;
};

// Result of trading a token: Ok, or why not.
enum class TokenUse { kOk, kUnknown, kExpired, kUsedUp };

struct AgentRecord {
  std::string id, hostname, version, ruleset_version;
  int64_t enrolled_at = 0, last_seen = 0;  // unix seconds; last_seen 0 = never
  bool revoked = false;
  nlohmann::json last_heartbeat;  // null when none
};

struct AgentAuth {
  bool exists = false, revoked = false;
  std::string key_hash;
};

enum class Role { kViewer = 0, kAnalyst = 1, kAdmin = 2 };
std::optional<Role> role_from_string(std::string_view);
const char* role_name(Role);

// One event as it arrives in a batch: the agent's uid and the EVE object.
// The fields of an EVE event the store keeps in typed, indexed columns.
struct EveFields {
  std::string event_type;
  std::optional<int64_t> ts_us, sid, gid, rev, severity, src_port, dest_port, flow_id;
  std::optional<std::string> signature, category, src_ip, dest_ip, proto, app_proto;
};
EveFields eve_fields_from_json(const nlohmann::json& eve);

// One event to store. The HTTP ingest path fills `text` (the EVE object as
// the agent sent it, stored as is) and `fields` from one parse; other callers
// may give only `eve`, from which both are derived.
struct IngestEvent {
  IngestEvent() = default;
  IngestEvent(std::string uid, nlohmann::json e) : event_uid(std::move(uid)), eve(std::move(e)) {}
  std::string event_uid;
  nlohmann::json eve;
  std::string text;
  std::optional<EveFields> fields;
};

struct IngestResult {
  bool duplicate_batch = false;   // (agent, seq) was already stored: nothing written
  uint64_t stored = 0;            // events written now
  uint64_t duplicate_events = 0;  // events whose uid was already stored
};

struct AlertQuery {
  std::optional<std::string> agent_id, src_ip, dest_ip;
  std::optional<int64_t> from_us, to_us;  // event time, microseconds since epoch, [from, to)
  std::optional<uint32_t> sid;
  std::optional<int> severity;
  int limit = 100;
  // Keyset paging, newest first: rows strictly before (ts_us, id).
  std::optional<std::pair<int64_t, int64_t>> cursor;
};

struct AlertPage {
  int64_t total = 0;
  std::vector<nlohmann::json> alerts;                      // the stored EVE objects, plus "id" and "agent_id"
  std::optional<std::pair<int64_t, int64_t>> next_cursor;  // set when more rows may follow
};

struct RulesetRecord {
  std::string version;  // "N-<first 12 hex of sha256>"
  std::string text;
  nlohmann::json report;  // {rules_loaded, rules_failed, errors[]}
  int64_t created_at = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  virtual StoreStatus create_token(const std::string& token_hash, int64_t now, int64_t expires_at,
                                   int uses) = 0;
  // Atomically checks and decrements a token's remaining uses.
  virtual TokenUse use_token(const std::string& token_hash, int64_t now) = 0;
  virtual std::vector<TokenRecord> list_tokens() = 0;

  virtual StoreStatus add_agent(const std::string& id, const std::string& key_hash,
                                const std::string& hostname, int64_t now) = 0;
  virtual AgentAuth agent_auth(const std::string& id) = 0;
  // False when the agent does not exist.
  virtual bool revoke_agent(const std::string& id) = 0;
  virtual std::vector<AgentRecord> list_agents() = 0;

  virtual StoreStatus create_api_key(const std::string& key_hash, Role role, int64_t now) = 0;
  virtual std::optional<Role> api_key_role(const std::string& key_hash) = 0;

  // Stores the batch's events and records (agent_id, batch_seq) in one
  // durable transaction; a batch seen before is acknowledged without writing.
  virtual StoreStatus ingest_batch(const std::string& agent_id, uint64_t batch_seq,
                                   const std::vector<IngestEvent>& events, int64_t now,
                                   IngestResult* out) = 0;

  // Keeps the latest heartbeat on the agent and appends it to the history.
  // The agent keeps its enrolled hostname; one in the heartbeat stays a field of it.
  virtual StoreStatus record_heartbeat(const std::string& agent_id, const nlohmann::json& hb,
                                       int64_t now) = 0;
  virtual std::vector<nlohmann::json> heartbeat_history(const std::string& agent_id, int limit) = 0;

  virtual StoreStatus query_alerts(const AlertQuery& q, AlertPage* out) = 0;
  virtual int64_t count_events(const std::string& event_type) = 0;

  virtual StoreStatus put_ruleset(const std::string& text, const nlohmann::json& report, int64_t now,
                                  std::string* version) = 0;
  virtual std::optional<RulesetRecord> current_ruleset() = 0;
};

// Opens (creating if needed) the SQLite store at `path` in WAL mode with
// synchronous=FULL: a batch acknowledged to an agent survives power loss.
// EVE timestamp ("2026-11-26T03:27:31.123456+0000") to microseconds since the
// epoch; nullopt when malformed.
std::optional<int64_t> parse_eve_time_us(std::string_view);

std::unique_ptr<Store> open_sqlite_store(const std::string& path, std::string* error);

}  // namespace vigil::collector

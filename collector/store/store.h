// Collector store: everything the collector keeps (agents, enrolment tokens,
// API keys, event batches, alerts and other events, heartbeats, rule sets),
// behind one interface so that a PostgreSQL store can follow the SQLite one.
//
// Called concurrently from the HTTP server's handler threads and the CLI;
// implementations are thread-safe. Errors come back as values (StoreStatus)
// with a message an operator can act on; nothing here throws.
// Returned values are copies; they stay valid as long as the caller keeps them.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "collector/store/alert_query.h"
#include "collector/store/alert_stats.h"
#include "common/wire.h"

namespace vigil::collector {

struct StoreStatus {
  bool ok = true;
  std::string message;
  static StoreStatus error(std::string m) { return {false, std::move(m)}; }
};

struct TokenRecord {
  std::string id;  // short public id (first hex chars of the hash), for listing and revoking
  int64_t created_at = 0, expires_at = 0;
  int uses_left = 0;
  bool revoked = false;
};

// Result of trading a token: Ok, or why not. A revoked token reads as
// kUnknown (401): it is no longer a credential.
enum class TokenUse { kOk, kUnknown, kExpired, kUsedUp };

struct AgentRecord {
  std::string id, hostname, version, ruleset_version;
  int64_t enrolled_at = 0, last_seen = 0;  // unix seconds; last_seen 0 = never
  bool revoked = false;
  nlohmann::json last_heartbeat;  // null when none
  std::string address;            // the peer address of its last heartbeat, else of its enrolment
};

struct AgentAuth {
  bool exists = false, revoked = false;
  std::string key_hash;
};

enum class Role { kViewer = 0, kAnalyst = 1, kAdmin = 2 };
std::optional<Role> role_from_string(std::string_view);
const char* role_name(Role);

struct ApiKeyRecord {
  std::string id;  // short public id (first 12 hex of the hash), for listing and revoking
  Role role = Role::kViewer;
  int64_t created_at = 0;
  int64_t expires_at = 0;  // 0: never
  int64_t last_used = 0;   // 0: never; kept to the minute
  bool revoked = false;
};

// Public ids are this many hex digits of the SHA-256 (tokens and API keys).
inline constexpr size_t kCredentialIdLen = 12;

// The fields of an EVE event the store keeps in typed, indexed columns (the
// wire decoder fills them in its one pass over a batch).
using wire::eve_fields_from_json;
using wire::EveFields;

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
  // Matched an active suppression: counted in the batch digest (computed
  // over the batch as sent) but not stored.
  bool suppressed = false;
};

struct IngestResult {
  bool duplicate_batch = false;   // (agent, seq) was already stored with these uids: nothing written
  bool conflict = false;          // (agent, seq) was stored with other uids: nothing written
  uint64_t highest_seq = 0;       // set with conflict: the agent's highest stored batch_seq
  uint64_t stored = 0;            // events written now
  uint64_t duplicate_events = 0;  // events whose uid was already stored
  uint64_t stored_alerts = 0;     // of `stored`, the alerts
  uint64_t duplicate_alerts = 0;  // of `duplicate_events`, the alerts
  // Indexes (into the batch's events) of the events written now, in order:
  // what the forwarding outputs get (collector/forward/), never a resend.
  std::vector<uint32_t> stored_index;
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

// One state-changing action, as the audit log keeps it: who (a user name,
// or "apikey:ID"), what ("user.add", "alert.triage", ...), on what, when
// (unix seconds), from where (the client's address), with details.
// Appended only; nothing in the API edits or deletes an entry.
struct AuditEntry {
  int64_t id = 0;  // set when read back
  int64_t ts = 0;
  std::string actor, action, target, peer;
  nlohmann::json detail;  // an object, or null
};

struct AuditQuery {
  std::optional<std::string> actor, action;
  std::optional<int64_t> from, to;   // unix seconds, [from, to)
  std::optional<int64_t> before_id;  // keyset paging, newest first
  int limit = 100;
};

// Triage of one alert (table alert_triage; an alert without a row is
// "new" with no assignee), its history and its comments.
// The statuses an alert can have: kTriageStatuses (alert_query.h).
bool valid_triage_status(std::string_view s);
inline constexpr size_t kMaxCommentLen = 4000;  // bytes; longer comments are refused (400)
inline constexpr size_t kMaxAssigneeLen = 128;  // bytes

// What a triage request changes; unset fields stay as they are. An empty
// assignee clears it.
struct TriageChange {
  std::optional<std::string> status, assignee, comment;
  bool empty() const { return !status && !assignee && !comment; }
};

struct TriageHistoryEntry {
  int64_t ts = 0;
  std::string actor, field;
  std::optional<std::string> old_value, new_value;  // null: no assignee
};

struct TriageComment {
  int64_t id = 0, ts = 0;
  std::string actor, text;
};

struct AlertTriage {
  std::string status = "new";
  std::optional<std::string> assignee;
  int64_t updated_at = 0;  // 0: never triaged
  std::string updated_by;
  std::vector<TriageHistoryEntry> history;  // oldest first
  std::vector<TriageComment> comments;      // oldest first
  // {status, assignee, updated_at, updated_by, history[], comments[]}: what
  // GET /api/v1/alerts/{id}/triage answers and the alert detail embeds.
  nlohmann::json to_json() const;
};

// A suppression: alerts of (gid, sid), optionally only from (by_src) or to
// (by_dst) addresses in `cidr`, are dropped at the collector and, through
// the rule set's threshold lines, by the agents. Active from creation until
// expires_at (0: never) or removal; removed rows are kept for the record.
struct Suppression {
  int64_t id = 0;
  uint32_t gid = 1, sid = 0;
  std::string track = "none";  // none | by_src | by_dst
  std::string cidr;            // set for by_src / by_dst: "10.0.0.0/8", "2001:db8::/32", "192.0.2.7"
  std::string reason, author;
  int64_t created_at = 0, expires_at = 0, removed_at = 0;  // unix seconds; 0: never / not removed
  int64_t hits = 0;                                        // alerts dropped at the collector
  bool active(int64_t now) const { return removed_at == 0 && (expires_at == 0 || expires_at > now); }
  nlohmann::json to_json(int64_t now) const;
};

// What the store keeps (0: no limit of that kind). Alerts and other events
// whose event time is older than max_age_s go; then, while the database uses
// more than max_bytes (pages in use, free pages excluded) or holds more than
// max_alerts alerts, the oldest alerts (by event time) and events (by arrival)
// go. With an alert go its triage row and its rollup counts.
struct RetentionPolicy {
  int64_t max_age_s = 0;
  int64_t max_bytes = 0;
  int64_t max_alerts = 0;
};

struct RetentionResult {
  uint64_t alerts = 0, events = 0;  // rows deleted
  int64_t bytes_in_use = 0;         // after the pass
};

struct RulesetRecord {
  std::string version;    // "N-<first 12 hex of sha256>"
  std::string text;       // what agents get: `base` with the disabled sids commented out
  nlohmann::json report;  // {rules_loaded, rules_failed, errors[]} of `base`, plus "change" (below)
  int64_t created_at = 0;
  std::string author;  // who published it ("" before authors were kept)
  std::string base;    // the text as uploaded or fetched (list_rulesets: empty)
};

// A signature taken out of the published rule set by an admin
// (PATCH /api/v1/rules/{sid}); it stays out of every later version too.
struct DisabledRule {
  int64_t sid = 0;
  std::string reason, author;
  int64_t disabled_at = 0;
};

enum class RuleToggle { kChanged, kUnchanged, kNoRuleset, kUnknownSid };

class Store {
 public:
  virtual ~Store() = default;

  virtual StoreStatus create_token(const std::string& token_hash, int64_t now, int64_t expires_at,
                                   int uses) = 0;
  // Atomically checks and decrements a token's remaining uses.
  virtual TokenUse use_token(const std::string& token_hash, int64_t now) = 0;
  virtual std::vector<TokenRecord> list_tokens() = 0;
  // Refuses the token (by its public id) from the next enrolment on; false
  // when no token has that id.
  virtual bool revoke_token(const std::string& id) = 0;

  // `address`: the peer address of the enrolment, kept until a heartbeat brings another.
  virtual StoreStatus add_agent(const std::string& id, const std::string& key_hash,
                                const std::string& hostname, int64_t now,
                                const std::string& address = {}) = 0;
  virtual AgentAuth agent_auth(const std::string& id) = 0;
  // False when the agent does not exist.
  virtual bool revoke_agent(const std::string& id) = 0;
  virtual std::vector<AgentRecord> list_agents() = 0;

  // expires_at 0: the key never expires.
  virtual StoreStatus create_api_key(const std::string& key_hash, Role role, int64_t now,
                                     int64_t expires_at) = 0;
  StoreStatus create_api_key(const std::string& key_hash, Role role, int64_t now) {
    return create_api_key(key_hash, role, now, 0);
  }
  // The key's role; nullopt when unknown, revoked, or expired at `now`.
  // The server asks on every request, so a revocation or an expiry takes
  // effect on the next one. Records the use (at most one write a minute per
  // key, so the request path rarely writes).
  virtual std::optional<Role> api_key_role(const std::string& key_hash, int64_t now) = 0;
  // The same at the current wall-clock time.
  std::optional<Role> api_key_role(const std::string& key_hash);
  virtual std::vector<ApiKeyRecord> list_api_keys() = 0;
  // False when no key has that public id.
  virtual bool revoke_api_key(const std::string& id) = 0;

  // Stores the batch's events and records (agent_id, batch_seq) with a
  // digest of the batch's event uids in one durable transaction. A number
  // seen before with the same digest is a resend: acknowledged
  // (duplicate_batch), nothing written. With another digest the agent has
  // reused the number for other events: conflict + highest_seq, nothing
  // written (the agent renumbers and resends).
  virtual StoreStatus ingest_batch(const std::string& agent_id, uint64_t batch_seq,
                                   const std::vector<IngestEvent>& events, int64_t now,
                                   IngestResult* out) = 0;
  // The highest batch_seq stored for the agent; 0 when none.
  virtual uint64_t highest_batch_seq(const std::string& agent_id) = 0;

  // Keeps the latest heartbeat on the agent and appends it to the history.
  // The agent keeps its enrolled hostname; one in the heartbeat stays a field of it.
  // Heartbeats are group-committed with concurrent ingest batches and
  // heartbeats (a fleet of 5,000 agents sends 1,000 a second): the call
  // returns once the transaction holding it is durable.
  // `address`: the peer address it came from, kept on the agent (empty: unchanged).
  virtual StoreStatus record_heartbeat(const std::string& agent_id, const nlohmann::json& hb, int64_t now,
                                       const std::string& address = {}) = 0;
  virtual std::vector<nlohmann::json> heartbeat_history(const std::string& agent_id, int limit) = 0;
  // Deletes heartbeat history received before `older_than` (unix seconds)
  // and, per agent, all but the newest `keep_per_agent` (0: no count limit);
  // the latest heartbeat kept on the agent itself is untouched. Works in
  // small transactions so ingest is never held up for long. *pruned: rows
  // deleted.
  virtual StoreStatus prune_heartbeats(int64_t older_than, int keep_per_agent, uint64_t* pruned) = 0;

  // The audit log: appended by every state-changing action; read newest first.
  virtual StoreStatus append_audit(const AuditEntry& e) = 0;
  virtual std::vector<AuditEntry> list_audit(const AuditQuery& q) = 0;

  virtual StoreStatus query_alerts(const AlertQuery& q, AlertPage* out) = 0;
  // The alert read side (collector/store/alert_query.h): a filtered page
  // newest first, the same as groups (q.group ignored), one alert's detail
  // (*out nullopt when no alert has that id).
  virtual StoreStatus list_alerts(const AlertListQuery& q, AlertListPage* out) = 0;
  virtual StoreStatus group_alerts(const AlertListQuery& q, AlertGroupPage* out) = 0;
  virtual StoreStatus alert_detail(int64_t id, std::optional<AlertDetail>* out) = 0;
  virtual int64_t count_events(const std::string& event_type) = 0;
  // Dashboard aggregations (collector/store/alert_stats.h), on the read side.
  virtual StoreStatus alert_stats(const StatsQuery& q, AlertStats* out) = 0;
  // Deletes what the policy no longer keeps (see RetentionPolicy), in small
  // transactions so that ingest and queries go on; safe beside ingest.
  virtual StoreStatus enforce_retention(const RetentionPolicy& p, int64_t now, RetentionResult* out) = 0;

  // Applies `change` to every alert of `ids` that exists, in one
  // transaction, set-based: upserts alert_triage, appends a history row per
  // alert and changed field (a field already at the new value is no change)
  // and the comment per alert; `audit`, when given and some alert matched,
  // is appended in the same transaction with "count" (*matched) and
  // "changed" (alerts with a new value or a comment) set in an object
  // detail. *matched: how many of the ids are alerts. All or nothing: the
  // write lock is held for the whole selection, so callers bound its size
  // (collector.yaml triage.bulk_max).
  virtual StoreStatus triage_alerts(const std::vector<int64_t>& ids, const TriageChange& change,
                                    const std::string& actor, int64_t now, const AuditEntry* audit,
                                    uint64_t* matched) = 0;
  // The alert's triage with its history and comments; nullopt when no alert has that id.
  virtual std::optional<AlertTriage> get_triage(int64_t alert_id) = 0;

  // Suppressions. add_suppression sets s->id; `audit` goes in the same
  // transaction (its target is filled with the new id).
  virtual StoreStatus add_suppression(Suppression* s, AuditEntry audit) = 0;
  // Active at `now`, oldest first; with `all`, also expired and removed ones.
  virtual std::vector<Suppression> list_suppressions(bool all, int64_t now) = 0;
  // Marks an active suppression removed at `now` (the row stays); *found
  // false when no active suppression has that id.
  virtual StoreStatus remove_suppression(int64_t id, int64_t now, const AuditEntry& audit, bool* found) = 0;
  // Adds alerts dropped at ingest to each suppression's count.
  virtual StoreStatus add_suppression_hits(const std::vector<std::pair<int64_t, uint64_t>>& hits) = 0;

  // Publishes `text` as a new version by `author`, with the disabled sids
  // commented out (collector/rule_disable.h); report gets "change":
  // {"kind": "upload"}.
  virtual StoreStatus put_ruleset(const std::string& text, const nlohmann::json& report, int64_t now,
                                  const std::string& author, std::string* version) = 0;
  StoreStatus put_ruleset(const std::string& text, const nlohmann::json& report, int64_t now,
                          std::string* version) {
    return put_ruleset(text, report, now, "", version);
  }
  // Versions newest first, at most `limit`, without their texts.
  virtual std::vector<RulesetRecord> list_rulesets(int limit) = 0;
  virtual std::optional<RulesetRecord> get_ruleset(const std::string& version) = 0;
  // Disables (enabled false) or enables a sid of the current rule set and,
  // when that changes anything, publishes a new version (the current base,
  // the new disabled set applied, the report copied with "change": {"kind":
  // "disable"|"enable", "sid", "reason"}) and appends `audit` (target and
  // detail filled here), all in one transaction. *version: the new version.
  virtual StoreStatus set_rule_enabled(int64_t sid, bool enabled, const std::string& reason,
                                       const std::string& author, int64_t now, AuditEntry audit,
                                       RuleToggle* result, std::string* version) = 0;
  virtual std::vector<DisabledRule> list_disabled_rules() = 0;
  virtual std::optional<RulesetRecord> current_ruleset() = 0;
  // The current rule set's version only ("" when none): what every heartbeat
  // reply names, without reading the rule text.
  virtual std::string current_ruleset_version() = 0;
};

// SHA-256 (hex) over the batch's event uids, sorted: the identity of a
// batch's content, whatever order its events come in.
std::string batch_digest(const std::vector<IngestEvent>& events);

// Opens (creating if needed) the SQLite store at `path` in WAL mode with
// synchronous=FULL: a batch acknowledged to an agent survives power loss.
std::unique_ptr<Store> open_sqlite_store(const std::string& path, std::string* error);

struct SqliteStoreOptions {
  // The fewest alert ids a partition of the alerts (and its block of the
  // free-text index) spans before the next one starts
  // (collector/store/sqlite_alert_parts.h); tests make it small.
  int64_t part_min = 16384;
  // How long ingest keeps the rollup counts of its commits in memory before
  // adding them to the rollup tables (collector/store/alert_rollups.h);
  // tests make it long, to see what a stop leaves pending.
  std::chrono::milliseconds rollup_fold_interval{1000};
  // Keep every alert's filterable values in memory (collector/store/alert_facts.h),
  // loaded at open on a thread of its own, so that the dashboard's aggregations
  // under a filter the rollups cannot answer are counted there: about 48
  // bytes an alert. For a store that is its file's only writer of alerts.
  bool stats_cache = false;
};
std::unique_ptr<Store> open_sqlite_store(const std::string& path, std::string* error,
                                         const SqliteStoreOptions& opts);

}  // namespace vigil::collector

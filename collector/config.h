// collector.yaml: what the collector listens on, where it keeps its data,
// which certificate it serves and how it treats agents and rule sets.
// Loaded once at start-up by main() through the key table in
// collector/config_keys.cpp; the result is an immutable value.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "collector/forward/forward_config.h"
#include "collector/http/limits.h"
#include "collector/store/store.h"
#include "common/config_schema.h"

namespace vigil::collector {

struct RuleSource {
  std::string name, url, checksum_url;
  int interval_s = 86400;
};

struct CollectorConfig {
  std::string data_dir = "/var/lib/vigil-collector";
  std::string listen = "0.0.0.0:8443";  // agents, API and UI on one address
  std::string tls_cert, tls_key;        // empty: generated under data_dir on first start
  std::string store_path;               // empty: DATA_DIR/collector.db
  std::string store_type = "sqlite";    // sqlite | postgresql
  bool store_stats_cache = true;        // store.stats_cache (SQLite): filtered dashboard counts in memory
  std::string store_url;                // store.url: libpq URL of the PostgreSQL database
  int heartbeat_interval_s = 5;         // told to agents in every heartbeat reply
  int offline_after_s = 15;             // no heartbeat for this long: agent offline
  bool ruleset_allow_errors = false;    // accept rule sets with bad rules (reported)
  int server_threads = 16;
  bool metrics_api_key_required = false;  // GET /metrics wants an API key
  HttpLimits server;  // `server:` map: connections, timeouts, body caps (keys as the fields)
  std::vector<RuleSource> rule_sources;
  int64_t heartbeat_retention_s = 7 * 86400;   // heartbeat_retention: older history is pruned
  int heartbeat_keep_per_agent = 10000;        // and at most this many per agent (0: no limit)
  int64_t session_idle_s = 1800;               // session.idle_timeout
  int64_t session_absolute_s = 43200;          // session.absolute_timeout
  int login_delay_after = 3;                   // login.delay_after: failures before the delays start
  int64_t login_max_delay_s = 300;             // login.max_delay
  int login_lockout_after = 10;                // login.lockout_after
  int64_t login_lockout_s = 900;               // login.lockout
  RetentionPolicy retention;                   // retention.*: alerts and events kept (0: no limit)
  int retention_interval_s = 60;               // retention.interval
  int64_t bulk_triage_max = 100000;            // triage.bulk_max
  std::string web_dir;                         // web.dir: serve the UI from disk; empty: embedded
  std::vector<forward::OutputConfig> forward;  // forward: where alerts are sent (collector/forward/)
  config::ValueSet values;                     // everything loaded, by key (rule_policy.*, `config dump`)
};

// Reads a collector.yaml over the defaults (an empty path: the defaults).
// Never throws. False when any value is bad: *error lists every error, one per
// line ("collector.yaml:7: offline_after_s: expected a duration like 30s, 5m
// or 500ms, got 'soon'"). Unknown keys are warnings ("collector.yaml:3:
// hearbeat_interval_s: unknown key (did you mean heartbeat_interval_s?)") added
// to *warnings when given, and do not fail the load.
bool load_collector_config(const std::string& path, CollectorConfig* cfg, std::string* error,
                           std::vector<std::string>* warnings = nullptr);
// The same over YAML text in memory; `name` stands for the file in messages.
bool load_collector_config_text(const std::string& name, const std::string& yaml, CollectorConfig* cfg,
                                std::string* error, std::vector<std::string>* warnings = nullptr);

// The key table: every key with its type, default and help, bound to CollectorConfig.
const config::TypedSchema<CollectorConfig>& collector_config_schema();
// `config dump`: the loaded values as YAML with each key's help; loads back to the same values.
std::string dump_collector_config(const CollectorConfig& cfg);
// `config docs`: the reference in Markdown (committed as collector/CONFIG.md).
std::string collector_config_docs();

// "90", "90s", "15m", "24h", "7d" -> seconds; -1 when malformed (CLI --ttl).
int64_t parse_duration(const std::string& s);

// "ADDR:PORT" / "[v6]:PORT" into host and port; false if malformed.
bool split_host_port(const std::string& s, std::string* host, int* port);

}  // namespace vigil::collector

// collector.yaml: what the collector listens on, where it keeps its data,
// which certificate it serves and how it treats agents and rule sets.
// Loaded once at start-up by main(); the result is an immutable value.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

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
  int heartbeat_interval_s = 5;         // told to agents in every heartbeat reply
  int offline_after_s = 15;             // no heartbeat for this long: agent offline
  bool ruleset_allow_errors = false;    // accept rule sets with bad rules (reported)
  int server_threads = 16;
  std::vector<RuleSource> rule_sources;
  int64_t heartbeat_retention_s = 7 * 86400;  // heartbeat_retention: older history is pruned
  int heartbeat_keep_per_agent = 10000;       // and at most this many per agent (0: no limit)
};

// "90", "90s", "15m", "24h", "7d" -> seconds; -1 when malformed.
int64_t parse_duration(const std::string& s);

// Reads a collector.yaml over the defaults; false + *error on a bad file.
bool load_collector_config(const std::string& path, CollectorConfig* cfg, std::string* error);

// "ADDR:PORT" / "[v6]:PORT" into host and port; false if malformed.
bool split_host_port(const std::string& s, std::string* host, int* port);

}  // namespace vigil::collector

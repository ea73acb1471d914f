// collector.yaml: what the collector listens on, where it keeps its data,
// which certificate it serves and how it treats agents and rule sets.
// Loaded once at start-up by main(); the result is an immutable value.
#pragma once

#include <string>
#include <vector>

#include "collector/http/limits.h"

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
  HttpLimits server;  // `server:` map: connections, timeouts, body caps (keys as the fields)
  std::vector<RuleSource> rule_sources;
};

// Reads a collector.yaml over the defaults; false + *error on a bad file.
bool load_collector_config(const std::string& path, CollectorConfig* cfg, std::string* error);

// "ADDR:PORT" / "[v6]:PORT" into host and port; false if malformed.
bool split_host_port(const std::string& s, std::string* host, int* port);

}  // namespace vigil::collector

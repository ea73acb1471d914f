// Agent configuration: one immutable snapshot built at start-up from the
// built-in defaults, an optional YAML file (-c) and --set KEY=VALUE overrides,
// in that order. Keys follow Suricata's suricata.yaml where one exists
// (vars.address-groups.HOME_NET, outputs.eve.types, stream.reassembly.depth, ...).
// Threading: built on the main thread before any worker starts; read-only after.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "agent/app/app_layer.h"
#include "agent/decode/decoder.h"
#include "agent/flow/flow_table.h"

namespace vigil {

enum class ChecksumMode : uint8_t { kAuto, kYes, kNo };

struct AgentConfig {
  YAML::Node root;  // the merged tree, for modules that read their own keys

  std::string hostname;
  int workers = 1;
  std::string log_dir = ".";
  std::string eve_filename = "eve.json";
  std::vector<std::string> eve_types;  // alert, flow, stats, http, dns, tls, ssh
  bool eve_payload = true, eve_payload_printable = true, eve_packet = false;
  int stats_interval_s = 8;

  // capture (live)
  int snaplen = 262144;
  bool promisc = true;
  int buffer_size_mb = 64;
  bool immediate = true;
  std::string bpf;

  ChecksumMode checksum_mode = ChecksumMode::kAuto;
  bool live = false;  // set by main: capturing from an interface

  DecodeConfig decode;
  FlowConfig flow;
  AppConfig app;

  std::map<std::string, std::string> address_vars, port_vars;
  std::string classification_file, threshold_file, rule_cache_dir;
  // IP reputation (suricata.yaml keys reputation-categories-file,
  // default-reputation-path, reputation-files).
  std::string reputation_categories_file, default_reputation_path;
  std::vector<std::string> reputation_files;

  bool wants(std::string_view event_type) const;
};

// Applies "a.b.c=value" to the tree: lists for comma-separated values at keys
// that are lists (outputs.eve.types), scalars otherwise. Returns "" or an error.
std::string apply_set(YAML::Node& root, const std::string& assignment);

// Builds the snapshot. `file` may be empty. Errors are returned as a message a
// person can act on ("config.yaml:12: ..."), with ok=false.
struct ConfigResult {
  bool ok = true;
  std::string error;
  AgentConfig cfg;
};
ConfigResult load_config(const std::string& file, const std::vector<std::string>& sets);

// The built-in default configuration as YAML text (also what `--dump-config` prints).
const char* default_config_yaml();

}  // namespace vigil

// Agent configuration: one immutable snapshot built at start-up from the
// built-in defaults, an optional YAML file (-c) and --set KEY=VALUE overrides,
// in that order, through the key table in agent/config_keys.cpp. Keys follow Suricata's suricata.yaml where
// one exists (vars.address-groups.HOME_NET, outputs.eve.types, stream.reassembly.depth, ...). Threading:
// built on the main thread before any worker starts; read-only after.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "agent/app/app_layer.h"
#include "agent/decode/decoder.h"
#include "agent/flow/flow_table.h"
#include "agent/output/alert_limiter.h"
#include "agent/output/dns_eve.h"
#include "common/config_schema.h"

namespace vigil {

enum class ChecksumMode : uint8_t { kAuto, kYes, kNo };

struct AgentConfig {
  YAML::Node root;  // the validated values as a tree (numbers in bytes, seconds, ms), for modules that read a
                    // subtree themselves (uplink.*)

  std::string hostname;
  int workers = 1;
  std::string log_dir = ".";
  std::string eve_filename = "eve.json";
  std::vector<std::string> eve_types;  // alert, flow, stats, http, dns, tls, ssh, smtp
  bool eve_payload = true, eve_payload_printable = true, eve_packet = false;
  DnsEveOptions eve_dns;          // outputs.eve.dns.*
  AlertLimitOptions alert_limit;  // outputs.eve.alert.rate-limit, rate-burst
  int stats_interval_s = 8;
  std::string metrics_listen;  // metrics.listen: ADDR:PORT of GET /metrics; empty: off

  // capture (live)
  int snaplen = 262144;
  bool promisc = true;
  int buffer_size_mb = 0;  // 0: sized from the link speed (auto_buffer_size_mb)
  bool immediate = false;
  std::string bpf;
  // Live capture with several workers: one socket per worker in a kernel
  // fan-out group (true), or one socket and the reader's fan-out (false).
  bool kernel_fanout = true;

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

// Builds the snapshot from the defaults, `file` (may be empty) and the
// "KEY=VALUE" overrides, in that order, through the key table
// (agent/config_keys.cpp). Never throws. ok=false when any value is bad:
// `error` then lists every error, one per line ("agent.yaml:12:
// flow.max-flows: expected an integer, got '200k'", "--set: KEY: reason").
// Unknown keys are warnings ("agent.yaml:3: threading.workerz: unknown key
// (did you mean threading.workers?)") and leave ok=true.
struct ConfigResult {
  bool ok = true;
  std::string error;
  std::vector<std::string> warnings;
  AgentConfig cfg;
  config::ValueSet values;  // what was loaded, by key (for --dump-config)
};
ConfigResult load_config(const std::string& file, const std::vector<std::string>& sets);
// The same over YAML text in memory; `name` stands for the file in messages.
ConfigResult load_config_text(const std::string& name, const std::string& yaml,
                              const std::vector<std::string>& sets);

// The key table: every key with its type, default and help, bound to AgentConfig.
const config::TypedSchema<AgentConfig>& agent_config_schema();

// `--dump-config`: the values as YAML with each key's help as a comment;
// loading the output gives the same values.
std::string dump_config(const ConfigResult& r);
// `--config-docs`: the reference in Markdown (committed as agent/CONFIG.md).
std::string config_docs_markdown();

}  // namespace vigil

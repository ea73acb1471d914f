// Glue between vigil-agent's main and the uplink, so that main's wiring stays
// a few lines: the uplink's settings from the agent config (uplink.* keys),
// an EventOutput that feeds the spool, heartbeat fields from the pipeline's
// counters, and the collector's last rule set kept in the state directory so
// a restarted agent starts with it before its first heartbeat.
// All called from main's thread except UplinkEventOutput::write (workers).
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>

#include "agent/output/eve.h"
#include "agent/uplink/uplink.h"
#include "common/counters.h"

namespace vigil {

// uplink.spool-max-bytes, uplink.spool-min-free-bytes, uplink.spool-sync (full|normal),
// uplink.batch-max-events, uplink.batch-max-bytes, uplink.batch-max-age-ms, uplink.heartbeat-interval,
// uplink.event-types (list or comma string).
UplinkConfig uplink_config_from(const YAML::Node& root, const std::string& state_dir,
                                const std::string& hostname);

class UplinkEventOutput final : public EventOutput {
 public:
  explicit UplinkEventOutput(Uplink& u) : u_(u) {}
  void write(std::string_view event_type, const std::string& line) override { u_.submit(event_type, line); }

 private:
  Uplink& u_;
};

// Heartbeat fields from the agent's counters: packets, bytes, capture_drops,
// decode_anomalies (decoder.event.*), alerts, plus every counter under "counters".
nlohmann::json heartbeat_fields(const CounterSnapshot& c);

// STATE_DIR/collector.rules, the threshold.config the agent built it with
// (collector.threshold) and its version (collector.rules.version, written last).
bool save_collector_ruleset(const std::string& state_dir, const std::string& version, const std::string& text,
                            const std::string& threshold, std::string* path);
// STATE_DIR/collector.threshold.
std::string collector_threshold_path(const std::string& state_dir);
// STATE_DIR/rulefiles: the only place files named by the collector's rule set
// (dataset load/state/save) may be read or written (rules/rule_files.h).
std::string collector_rule_files_dir(const std::string& state_dir);
// True when a saved rule set exists; fills its path and version.
bool saved_collector_ruleset(const std::string& state_dir, std::string* path, std::string* version);

}  // namespace vigil

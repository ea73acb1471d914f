#include "agent/uplink/agent_glue.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

namespace vigil {

UplinkConfig uplink_config_from(const YAML::Node& root, const std::string& state_dir,
                                const std::string& hostname) {
  UplinkConfig c;
  c.state_dir = state_dir;
  c.hostname = hostname;
  YAML::Node u = root["uplink"];
  if (!u || !u.IsMap()) return c;
  c.spool_max_bytes = u["spool-max-bytes"].as<uint64_t>(c.spool_max_bytes);
  c.spool_min_free_bytes = u["spool-min-free-bytes"].as<uint64_t>(c.spool_min_free_bytes);
  c.spool_sync_full = u["spool-sync"].as<std::string>("full") != "normal";
  c.batch_max_events = u["batch-max-events"].as<size_t>(c.batch_max_events);
  c.batch_max_bytes = u["batch-max-bytes"].as<uint64_t>(c.batch_max_bytes);
  c.batch_max_age_ms = u["batch-max-age-ms"].as<int>(c.batch_max_age_ms);
  c.heartbeat_interval_s = u["heartbeat-interval"].as<int>(c.heartbeat_interval_s);
  if (auto t = u["event-types"]) {
    c.event_types.clear();
    if (t.IsSequence()) {
      for (const auto& n : t) c.event_types.push_back(n.as<std::string>());
    } else {
      std::stringstream ss(t.as<std::string>());
      std::string item;
      while (std::getline(ss, item, ',')) {
        if (!item.empty()) c.event_types.push_back(item);
      }
    }
  }
  return c;
}

nlohmann::json heartbeat_fields(const CounterSnapshot& c) {
  auto get = [&](const char* n) -> uint64_t {
    auto it = c.find(n);
    return it == c.end() ? 0 : it->second;
  };
  uint64_t anomalies = 0;
  nlohmann::json all = nlohmann::json::object();
  for (const auto& [name, v] : c) {
    if (name.rfind("decoder.event.", 0) == 0) anomalies += v;
    all[name] = v;
  }
  return {{"packets", get("capture.packets")},
          {"bytes", get("capture.bytes")},
          {"capture_drops", get("capture.kernel_drops") + get("capture.kernel_ifdrops")},
          {"decode_anomalies", anomalies},
          {"alerts", get("detect.alert")},
          {"counters", all}};
}

bool save_collector_ruleset(const std::string& state_dir, const std::string& version, const std::string& text,
                            const std::string& threshold, std::string* path) {
  *path = state_dir + "/collector.rules";
  // Rules and threshold first, then the version: a crash in between leaves a
  // version that does not match and the rule set is simply downloaded again.
  for (const auto& [p, data] :
       {std::pair{*path, text}, std::pair{collector_threshold_path(state_dir), threshold},
        std::pair{*path + ".version", version}}) {
    std::string tmp = p + ".tmp";
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << data;
    out.close();
    if (!out || std::rename(tmp.c_str(), p.c_str()) != 0) return false;
  }
  return true;
}

std::string collector_threshold_path(const std::string& state_dir) {
  return state_dir + "/collector.threshold";
}

std::string collector_rule_files_dir(const std::string& state_dir) {
  return state_dir + "/rulefiles";
}

bool saved_collector_ruleset(const std::string& state_dir, std::string* path, std::string* version) {
  *path = state_dir + "/collector.rules";
  std::ifstream v(*path + ".version");
  if (!v || !std::getline(v, *version) || version->empty()) return false;
  return access(path->c_str(), R_OK) == 0;
}

}  // namespace vigil

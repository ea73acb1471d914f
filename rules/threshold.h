// Threshold, detection_filter and suppress state, shared by all workers of
// one engine so results do not depend on the worker count. The mutex is taken
// only when a rule with a threshold/filter/suppression matched.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/hash.h"
#include "common/packet.h"
#include "rules/addr.h"
#include "rules/rule.h"

namespace vigil::rules {

// Lines of a threshold.config: threshold/event_filter/suppress.
struct ThresholdConfig {
  struct Entry {
    uint32_t gid = 1, sid = 0;  // sid 0: all rules of the gid
    bool suppress = false;
    ThresholdSpec spec;  // threshold/event_filter
    bool suppress_by_dst = false;
    bool suppress_any = true;  // suppress without track/ip: every alert
    AddrSet ip;
  };
  std::vector<Entry> entries;
};

// Parses a threshold.config text; bad lines go to errors as "LINE: reason".
ThresholdConfig parse_threshold_config(std::string_view text, const VarMap& addr_vars,
                                       std::vector<std::string>& errors);

// Reads the threshold.config at path ("" : none, an empty config); errors as
// "PATH:LINE: reason", or "PATH: cannot read threshold file" (not fatal).
ThresholdConfig load_threshold_config(const std::string& path, const VarMap& addr_vars,
                                      std::vector<std::string>& errors);

// Per rule (by Rule::index): the config entry overriding its own threshold,
// or -1, and its suppress entries.
void bind_threshold_config(const ThresholdConfig& cfg, const std::vector<std::unique_ptr<Rule>>& rules,
                           std::vector<int32_t>& rule_threshold,
                           std::vector<std::vector<uint32_t>>& rule_suppress);

class ThresholdTable {
 public:
  // Applies `spec` for a match of rule (gid, sid) by packet p (flow_id for
  // by_flow). Returns true when the alert should be written.
  bool check(const ThresholdSpec& spec, uint32_t gid, uint32_t sid, const Packet& p, uint64_t flow_id,
             bool detection_filter);

 private:
  using Key = IdPairKey;  // (gid << 32 | sid), threshold or filter, the tracked values
  using KeyHash = IdPairKeyHash;
  struct State {
    int64_t window_start_us = 0;
    uint64_t count = 0;
    uint64_t next = 0;            // kBackoff: the match number of the next alert
    std::vector<uint16_t> ports;  // unique_on: the distinct ports of the window
  };
  std::mutex mu_;
  std::unordered_map<Key, State, KeyHash> map_;
};

}  // namespace vigil::rules

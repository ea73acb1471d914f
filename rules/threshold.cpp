#include "rules/threshold.h"

#include <algorithm>

#include "common/file_io.h"
#include "rules/keywords.h"

namespace vigil::rules {

std::string parse_threshold_spec(std::string_view v, ThresholdSpec& t);  // kw_flow.cpp

bool ThresholdTable::check(const ThresholdSpec& spec, uint32_t gid, uint32_t sid, const Packet& p,
                           uint64_t flow_id, bool detection_filter) {
  Key k{(uint64_t(gid) << 32) | sid, uint8_t(detection_filter ? 1 : 0), 0, 0};
  switch (spec.track) {
    case ThresholdSpec::kBySrc:
      k.a = addr_key(p.src);
      break;
    case ThresholdSpec::kByDst:
      k.a = addr_key(p.dst);
      break;
    case ThresholdSpec::kByBoth:
      k.a = addr_key(p.src);
      k.b = addr_key(p.dst);
      break;
    case ThresholdSpec::kByFlow:
      k.a = flow_id;
      break;
    case ThresholdSpec::kByRule:
      break;
  }
  int64_t now = p.ts.micros();
  int64_t window = int64_t(spec.seconds) * 1000000;
  std::lock_guard<std::mutex> lock(mu_);
  State& s = map_[k];
  bool fresh = s.count == 0 || (spec.type != ThresholdSpec::kBackoff && now - s.window_start_us >= window);
  if (fresh) {
    s.window_start_us = now;
    s.count = 0;
    s.next = spec.count;
    s.ports.clear();
  }
  if (spec.unique_on != ThresholdSpec::kNoUnique) {
    // Distinct ports are counted; once more than `count` were seen in the
    // window every match alerts (repeated ports included).
    uint16_t port = spec.unique_on == ThresholdSpec::kUniqueDstPort ? p.dp : p.sp;
    if (std::find(s.ports.begin(), s.ports.end(), port) == s.ports.end()) s.ports.push_back(port);
    if (s.count == 0) s.count = 1;  // the window exists
    return s.ports.size() > spec.count;
  }
  ++s.count;
  switch (spec.type) {
    case ThresholdSpec::kLimit:
      return s.count <= spec.count;
    case ThresholdSpec::kThreshold:
      if (s.count >= spec.count) {
        // Counting restarts after each alert, in the same time window.
        s.count = 0;
        s.window_start_us = now;
        return true;
      }
      return false;
    case ThresholdSpec::kBoth:
      return s.count == spec.count;
    case ThresholdSpec::kDetectionFilter:
      return s.count > spec.count;
    case ThresholdSpec::kRate:
      return true;
    case ThresholdSpec::kBackoff:
      if (s.count != s.next) return false;
      s.next = s.next > (uint64_t(1) << 40) ? UINT64_MAX : s.next * spec.multiplier;
      return true;
  }
  return true;
}

ThresholdConfig parse_threshold_config(std::string_view text, const VarMap& addr_vars,
                                       std::vector<std::string>& errors) {
  ThresholdConfig cfg;
  int lineno = 0;
  for (auto line : split(text, '\n')) {
    ++lineno;
    if (line.empty() || line[0] == '#') continue;
    auto sp = line.find(' ');
    auto kind = line.substr(0, sp);
    if (sp == std::string_view::npos ||
        (kind != "threshold" && kind != "event_filter" && kind != "suppress")) {
      errors.push_back(std::to_string(lineno) + ": unknown directive '" + std::string(kind) + "'");
      continue;
    }
    ThresholdConfig::Entry e;
    e.suppress = kind == "suppress";
    std::string rest;  // the threshold spec without gen_id/sig_id
    bool ok = true;
    for (auto part : split(line.substr(sp + 1), ',')) {
      auto s2 = part.find(' ');
      auto key = trim(part.substr(0, s2));
      auto val = s2 == std::string_view::npos ? std::string_view{} : trim(part.substr(s2 + 1));
      int64_t n = 0;
      if (key == "gen_id") {
        ok = ok && parse_i64(val, n);
        e.gid = uint32_t(n);
      } else if (key == "sig_id") {
        ok = ok && parse_i64(val, n);
        e.sid = uint32_t(n);
      } else if (e.suppress && key == "track") {
        e.suppress_by_dst = val == "by_dst";
        ok = ok && (val == "by_src" || val == "by_dst" || val == "by_either");
      } else if (e.suppress && key == "ip") {
        e.suppress_any = false;
        auto err = parse_addr_set(val, addr_vars, e.ip);
        if (!err.empty()) {
          errors.push_back(std::to_string(lineno) + ": " + err);
          ok = false;
        }
      } else {
        if (!rest.empty()) rest += ",";
        rest += std::string(part);
      }
    }
    if (!ok) {
      errors.push_back(std::to_string(lineno) + ": malformed " + std::string(kind));
      continue;
    }
    if (!e.suppress) {
      auto err = parse_threshold_spec(rest, e.spec);
      if (!err.empty()) {
        errors.push_back(std::to_string(lineno) + ": " + err);
        continue;
      }
    }
    cfg.entries.push_back(std::move(e));
  }
  return cfg;
}

ThresholdConfig load_threshold_config(const std::string& path, const VarMap& addr_vars,
                                      std::vector<std::string>& errors) {
  if (path.empty()) return {};
  std::string text;
  if (!read_file(path, text)) {
    errors.push_back(path + ": cannot read threshold file");
    return {};
  }
  std::vector<std::string> errs;
  ThresholdConfig cfg = parse_threshold_config(text, addr_vars, errs);
  for (auto& e : errs) errors.push_back(path + ":" + e);
  return cfg;
}

void bind_threshold_config(const ThresholdConfig& cfg, const std::vector<std::unique_ptr<Rule>>& rules,
                           std::vector<int32_t>& rule_threshold,
                           std::vector<std::vector<uint32_t>>& rule_suppress) {
  rule_threshold.assign(rules.size(), -1);
  rule_suppress.assign(rules.size(), {});
  auto& ents = cfg.entries;
  for (size_t i = 0; i < rules.size(); ++i) {
    for (size_t e = 0; e < ents.size(); ++e) {
      if (ents[e].gid != rules[i]->gid || (ents[e].sid != 0 && ents[e].sid != rules[i]->sid)) continue;
      if (ents[e].suppress)
        rule_suppress[i].push_back(uint32_t(e));
      else
        rule_threshold[i] = int32_t(e);
    }
  }
}

}  // namespace vigil::rules

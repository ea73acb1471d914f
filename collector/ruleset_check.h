// Rule-set validation for the collector: runs uploaded rule text through the
// rules library (the same parser and compiler the agents use) and reports
// what loaded and what failed, per line. Called from API handler threads and
// the CLI; builds a throw-away engine, so it costs one engine's memory while
// it runs.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace vigil::collector {

struct RulesetCheck {
  bool usable = false;  // an engine could be built (possibly with bad rules skipped)
  int rules_loaded = 0, rules_failed = 0;
  std::vector<std::string> errors;  // "rules:LINE: sid N: reason"
  nlohmann::json to_json() const {
    return {{"rules_loaded", rules_loaded}, {"rules_failed", rules_failed}, {"errors", errors}};
  }
};

using RulesetValidator = std::function<RulesetCheck(const std::string& rules_text)>;

// Validation with the rules library (rules/engine.h).
RulesetCheck check_ruleset(const std::string& rules_text);

}  // namespace vigil::collector

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

// Validation with the rules library (rules/engine.h). Files the rules name
// (dataset load/state/save) are confined to rule_files_dir (created if
// missing; serve uses DATA_DIR/rulefiles), as agents confine them to
// STATE_DIR/rulefiles: a rule naming an absolute path, `..`, a symlink out of
// it or a special file is reported as "rules:LINE: sid N: reason" and nothing
// outside the directory is read or written.
RulesetCheck check_ruleset(const std::string& rules_text, const std::string& rule_files_dir);

// check_ruleset bound to DATA_DIR/rulefiles.
RulesetValidator ruleset_validator(const std::string& data_dir);

}  // namespace vigil::collector

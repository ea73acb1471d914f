// Rule sources, the way officers keep them with suricata-update: fetch each
// configured source (a .rules file or an archive of them read by
// rule_archive.h, with an optional
// MD5 checksum URL as Emerging Threats publishes), apply the local policy
// (disable/enable by sid, by regex on the rule text, by category = rules file
// name; modify by sid with a regex replacement), append local rule files, then
// validate and publish the result as a new rule-set version.
//
// Called from the CLI (`ruleset update`) and from serve's scheduler thread;
// blocking (network), never on a request path.
#pragma once

#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "collector/config.h"
#include "collector/ruleset_check.h"
#include "collector/sources/rule_archive.h"
#include "collector/store/store.h"

namespace vigil::collector {

struct RuleModify {
  uint32_t sid = 0;  // 0: every rule
  std::string from, to;
};

struct RulePolicy {
  std::set<uint32_t> enable_sids, disable_sids;
  std::vector<std::string> enable_regex, disable_regex;  // ECMAScript, searched in the rule text
  std::set<std::string> disable_categories;              // rules file stem: "emerging-scan"
  std::vector<RuleModify> modify;
  std::vector<std::string> local_rules;  // files appended as they are
};

// Applies the policy to one file's rules; the file name gives the category.
std::string apply_policy(const RulePolicy& p, const RuleFile& f);

struct UpdateResult {
  bool ok = false;
  std::string version, error;
  int files = 0;
  nlohmann::json report;
};

// Reads `rule_policy:` from collector.yaml (enable_sids, disable_sids,
// enable_regex, disable_regex, disable_categories, modify: [{sid, from, to}],
// local_rules: [files]). Absent: empty policy.
bool load_rule_policy(const std::string& yaml_path, RulePolicy* p, std::string* error);

// Fetches every source, applies the policy, validates and publishes (bad
// rules are reported, the rest published: third-party sets always contain
// rules an engine cannot load).
UpdateResult update_from_sources(Store& store, const RulesetValidator& validator,
                                 const std::vector<RuleSource>& sources, const RulePolicy& policy);

}  // namespace vigil::collector

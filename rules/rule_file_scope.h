// Files that rules name (dataset load/state/save): where a name resolves and
// which names a rule set from an untrusted source may use.
//
// Called at parse time by the keywords that name files (single thread, off the
// packet path). A rule set the agent gets from the collector (and the
// collector's validation of an upload) is built with a confine_dir: a rule
// then cannot read or write anything outside that one directory, whatever
// the text says. Local rule files (-S/-s) leave it empty and keep Suricata's
// behaviour: names relative to the rule file's directory, absolute allowed.
#pragma once

#include <string>
#include <string_view>

namespace vigil::rules {

struct RuleFileScope {
  // Empty: Suricata's behaviour. Set: every file a rule names must be a
  // relative path without `..`, resolves under this directory (symlinks
  // included) and, when it exists, is a regular file (no device, FIFO,
  // socket or directory).
  std::string confine_dir;
};

// Resolves `name` as written in a rule. rule_dir is the directory of the rule
// file (used only without confinement). `must_exist`: the file is read
// (`load`), so it has to be there now. Returns "" and sets *path, or a reason
// that names the file as written (never the confine directory itself: it is
// reported to API clients).
std::string resolve_rule_file(std::string_view name, std::string_view rule_dir, const RuleFileScope& scope,
                              bool must_exist, std::string* path);

}  // namespace vigil::rules

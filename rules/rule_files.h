// Reading and parsing the rule files of one load: the address and port
// variables (Suricata's defaults with the load's overrides), each file's
// dialect and counts, one failure per bad rule as FILE:LINE: sid N: reason,
// and duplicate (gid, sid) pairs refused after the first.
//
// Load-time only (build_engine).
#pragma once

#include <memory>
#include <vector>

#include "rules/engine.h"
#include "rules/hs_cache.h"
#include "rules/parser.h"

namespace vigil::rules {

// Suricata's default variables overridden by opts'.
void set_rule_vars(const LoadOptions& opts, ParseContext& ctx);

// Parses opts.files in order into rules (file order), counting in report and
// adding the variables and each loaded rule's text to key. False (with
// report.fatal and the reason in report.errors) when a file cannot be read.
bool parse_rule_files(const LoadOptions& opts, ParseContext& ctx, CacheKey& key, LoadReport& report,
                      std::vector<std::unique_ptr<Rule>>& rules);

}  // namespace vigil::rules

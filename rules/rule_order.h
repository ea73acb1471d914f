// The evaluation order of an engine's rules, as Suricata's: by action (pass
// first), then flowbit setters before readers, then priority; stable, so
// file order breaks ties. Sets Rule::index to the position.
//
// Load-time only (build_engine).
#pragma once

#include <memory>
#include <vector>

#include "rules/rule.h"

namespace vigil::rules {

void order_rules(std::vector<std::unique_ptr<Rule>>& rules);

}  // namespace vigil::rules

// Grouping the rules of an engine being built: which L4 protocol groups a
// rule belongs to, the port groups within each (PortGroups in
// engine_impl.h), the address index for header-only rules with wide ports,
// and Suricata's IP-only class.
//
// Load-time only (build_engine, off the packet path).
#pragma once

#include <memory>
#include <vector>

#include "rules/engine_impl.h"
#include "rules/prefilter_build.h"

namespace vigil::rules {

// Sets Rule::ip_only: protocol and addresses only (any ports, no payload,
// flow, packet or bit keywords).
void mark_ip_only(const std::vector<std::unique_ptr<Rule>>& rules);

// Fills impl.gates and impl.addr_classes for the rules (indexes set).
void build_gates(const std::vector<std::unique_ptr<Rule>>& rules, Engine::Impl& impl);

// Places every rule (indexes already set, in evaluation order) into impl's
// protocol and port groups or address indexes, and its fast pattern into
// plan; returns the number of port groups made.
uint64_t group_rules(const std::vector<std::unique_ptr<Rule>>& rules, Engine::Impl& impl,
                     PrefilterPlan& plan);

}  // namespace vigil::rules

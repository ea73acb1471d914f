// The EVE "stats" event: every counter of the agent, nested by the dots of
// its name, with the uptime first and the rule set in use under
// stats.detect.engines (Suricata's layout). Counters Suricata 7 also has stay
// where Suricata puts them; Vigil's own go under stats.vigil with the same
// dotted name (stats_layout.h), as does the part of the load report Suricata
// has no field for. Built by the agent's stats thread every stats.interval
// seconds and once at exit.
//
// A pure function of what it is given: the caller passes the counters, the
// uptime and the load report of the rule set in use *now* (after a reload,
// the new one), so the event can never describe a rule set other than the
// one the workers run.
#pragma once

#include <chrono>

#include "agent/output/alert_limiter.h"
#include "agent/output/eve.h"
#include "common/counters.h"
#include "common/time.h"
#include "rules/engine.h"

namespace vigil {

// `report` may be null (no rules loaded): then stats.detect holds only the
// detection counters. `now` is the event's timestamp. `limited`: the
// signatures the alert rate limit dropped alerts of since the previous stats
// event, written as stats.vigil.detect.alerts_rate_limited_by_signature
// [{gid, sid, dropped, total}] when not empty.
Json stats_event(const CounterSnapshot& counters, std::chrono::seconds uptime,
                 const rules::LoadReport* report, Timestamp now,
                 const std::vector<LimitedSignature>& limited = {});

}  // namespace vigil

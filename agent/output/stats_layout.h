// Where each counter goes in the EVE `stats` object. Counters that Suricata 7
// also has (same name, same meaning) stay where Suricata puts them, so tools
// built for Suricata read them; every other counter of Vigil's goes under
// `stats.vigil`, with the same dotted name below it (decoder.event.link.x ->
// stats.vigil.decoder.event.link.x). Suricata's published EVE schema forbids
// unknown keys in `stats`, so this keeps the event valid against it.
//
// Pure functions; called by stats_event() on the agent's stats thread.
#pragma once

#include <string_view>

namespace vigil {

// True when `name` (a dotted counter name) is one of Suricata 7's stats
// counters, to be written at its own place rather than under `vigil`.
bool is_suricata_counter(std::string_view name);

}  // namespace vigil

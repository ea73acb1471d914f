// Per-signature disabling of a rule set, as suricata-update's disable.conf
// and Snort's PulledPork do it: the rule's line stays in the text, commented
// out ("# " prefix, each line of a rule continued with a backslash), so a
// Suricata or Snort user reading the pushed file sees it where it was and
// the rule does not load. Rules shipped commented out stay as they are.
//
// Pure functions on text; any thread. The store applies them whenever it
// publishes a rule set (upload, rule sources, enable/disable).
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>

namespace vigil::collector {

// `text` with every active rule whose sid is in `disabled` commented out.
std::string apply_disabled_sids(std::string_view text, const std::set<int64_t>& disabled);

// Whether `text` has a rule (active, or commented out) with this sid.
bool ruleset_has_sid(std::string_view text, int64_t sid);

}  // namespace vigil::collector

// classification.config: "config classification: name,description,priority".
// Load-time only.
#pragma once

#include <string>
#include <string_view>

#include "rules/keywords.h"

namespace vigil::rules {

// The bundled file's text (rules/sets/classification.config, compiled in).
extern const std::string_view kBundledClassification;

// Parses the text; malformed lines are appended to errors as "LINE: reason".
ClassMap parse_classification(std::string_view text, std::vector<std::string>& errors);

}  // namespace vigil::rules

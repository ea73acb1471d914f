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

// The classification file at path, or the bundled one when path is "";
// malformed lines go to errors as "PATH:LINE: reason" ("classification:LINE"
// for the bundled one). False, with "PATH: cannot read classification file"
// in errors, when the file cannot be read.
bool load_classification(const std::string& path, ClassMap& out, std::vector<std::string>& errors);

}  // namespace vigil::rules

// Text forms of configuration values, shared by the loader
// (config_schema.cpp) and the dump and docs (config_docs.cpp): a YAML scalar
// converted for a key's kind (with the reason a person reads when it does
// not convert), and values written back as YAML. Pure functions; any thread.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

#include "common/config_schema.h"

namespace vigil::config {

// YAML is Unicode: a string value must be UTF-8 to be written back as it was read.
bool valid_utf8(const std::string& s);
std::string lower(std::string s);
std::string trim(const std::string& s);
// "a list", "a map", "nothing", "'text'" (cut short): what a person was found to have written.
std::string describe(const YAML::Node& n);
std::string quote(const std::string& s);
std::vector<std::string> split_path(const std::string& path);  // "a.b.c" -> a, b, c
std::string join(const std::vector<std::string>& v, const std::string& sep);
// "from 1 to 1024", "at least 64kb"; "" without bounds.
std::string range_text(const KeySpec& k);

// Converts a scalar for a key of a scalar kind (bool, int, size, duration,
// string, enum) into *out; returns "" or the reason ("expected an integer,
// got '200k'").
std::string convert_scalar(const KeySpec& k, const YAML::Node& n, Value* out);
// The canonical text of a converted scalar value (a record field's form).
std::string canonical(const KeySpec& k, const Value& v);
// A string as a YAML scalar that reads back as the same string.
std::string yaml_scalar(const std::string& s);

}  // namespace vigil::config

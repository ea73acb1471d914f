#include "rules/classification.h"

#include "common/file_io.h"

namespace vigil::rules {

ClassMap parse_classification(std::string_view text, std::vector<std::string>& errors) {
  ClassMap m;
  int lineno = 0;
  for (auto line : split(text, '\n')) {
    ++lineno;
    if (line.empty() || line[0] == '#') continue;
    constexpr std::string_view kPrefix = "config classification:";
    if (!line.starts_with(kPrefix)) {
      errors.push_back(std::to_string(lineno) + ": not a classification line");
      continue;
    }
    auto parts = split(line.substr(kPrefix.size()), ',');
    int64_t prio = 0;
    if (parts.size() != 3 || parts[0].empty() || !parse_i64(parts[2], prio) || prio < 1 || prio > 255) {
      errors.push_back(std::to_string(lineno) + ": malformed classification");
      continue;
    }
    m[std::string(parts[0])] = ClassType{std::string(parts[1]), int(prio)};
  }
  return m;
}

bool load_classification(const std::string& path, ClassMap& out, std::vector<std::string>& errors) {
  std::string text;
  if (!path.empty()) {
    if (!read_file(path, text)) {
      errors.push_back(path + ": cannot read classification file");
      return false;
    }
  } else {
    text = std::string(kBundledClassification);
  }
  std::vector<std::string> errs;
  out = parse_classification(text, errs);
  for (auto& e : errs) errors.push_back((path.empty() ? "classification" : path) + ":" + e);
  return true;
}

}  // namespace vigil::rules

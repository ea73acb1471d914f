#include "collector/ruleset_check.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "rules/engine.h"

namespace vigil::collector {

RulesetCheck check_ruleset(const std::string& rules_text) {
  RulesetCheck out;
  // The rules library reads files; give it a private temporary one and name
  // it "rules" in the messages so they read the same for every upload.
  char dir_tmpl[] = "/tmp/vigil-ruleset-XXXXXX";
  if (!mkdtemp(dir_tmpl)) {
    out.errors.push_back("cannot create a temporary directory for validation");
    return out;
  }
  std::string dir = dir_tmpl, path = dir + "/rules";
  FILE* f = std::fopen(path.c_str(), "wb");
  bool written = f && std::fwrite(rules_text.data(), 1, rules_text.size(), f) == rules_text.size();
  if (f) std::fclose(f);
  if (!written) {
    out.errors.push_back("cannot write a temporary file for validation");
    std::filesystem::remove_all(dir);
    return out;
  }
  rules::LoadOptions opts;
  opts.files.push_back(path);
  rules::LoadReport report;
  auto engine = rules::build_engine(opts, report);
  out.usable = engine != nullptr && !report.fatal;
  out.rules_loaded = static_cast<int>(report.rules_loaded);
  out.rules_failed = static_cast<int>(report.rules_failed);
  for (std::string e : report.errors) {
    if (e.compare(0, path.size(), path) == 0) e = "rules" + e.substr(path.size());
    out.errors.push_back(std::move(e));
  }
  engine.reset();
  std::filesystem::remove_all(dir);
  return out;
}

}  // namespace vigil::collector

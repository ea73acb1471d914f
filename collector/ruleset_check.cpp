#include "collector/ruleset_check.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "common/config_text.h"
#include "rules/engine.h"

namespace vigil::collector {

RulesetCheck check_ruleset(const std::string& rules_text, const std::string& rule_files_dir) {
  RulesetCheck out;
  std::error_code ec;
  std::filesystem::create_directories(rule_files_dir, ec);
  if (ec) {
    out.errors.push_back("cannot create the rule-file directory: " + ec.message());
    return out;
  }
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
  opts.rule_file_scope.confine_dir = rule_files_dir;
  // Messages reach API clients: name the directory, not where it lives.
  std::string confine = std::filesystem::weakly_canonical(rule_files_dir, ec).string();
  rules::LoadReport report;
  auto engine = rules::build_engine(opts, report);
  out.usable = engine != nullptr && !report.fatal;
  out.rules_loaded = static_cast<int>(report.rules_loaded);
  out.rules_failed = static_cast<int>(report.rules_failed);
  for (std::string e : report.errors) {
    if (e.compare(0, path.size(), path) == 0) e = "rules" + e.substr(path.size());
    for (size_t at = 0; !confine.empty() && (at = e.find(confine, at)) != std::string::npos; at += 9)
      e.replace(at, confine.size(), "rulefiles");
    // A message quotes the rule, whose bytes may not be UTF-8: they reach a
    // JSON answer and the stored report, so invalid bytes become U+FFFD
    // (found by fuzz_ruleset: the report's dump threw).
    if (!config::valid_utf8(e)) {
      e = nlohmann::json::parse(
              nlohmann::json(e).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace))
              .get<std::string>();
    }
    out.errors.push_back(std::move(e));
  }
  engine.reset();
  std::filesystem::remove_all(dir);
  return out;
}

RulesetValidator ruleset_validator(const std::string& data_dir) {
  return [dir = data_dir + "/rulefiles"](const std::string& text) { return check_ruleset(text, dir); };
}

}  // namespace vigil::collector

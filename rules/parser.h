// Rule text to Rule: header (action, protocol, addresses, ports, direction)
// and options through the keyword table. Accepts the Suricata dialect and the
// Snort 3 dialect (chosen per file, see detect_dialect).
//
// Load-time only; not thread-safe with respect to the same ParseResult.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "rules/keywords.h"
#include "rules/rule.h"

namespace vigil::rules {

struct ParseContext {
  VarMap addr_vars, port_vars;
  const ClassMap* classes = nullptr;
  // Parsed header groups by their text: ET repeats "$HOME_NET", "any" and a
  // few long lists in thousands of rules.
  mutable std::unordered_map<std::string, AddrSet> addr_cache;
  mutable std::unordered_map<std::string, PortSet> port_cache;
  // Datasets by name, shared by the rules of one load; relative dataset
  // files are read from rule_dir (the directory of the file being parsed).
  mutable std::map<std::string, std::shared_ptr<Dataset>> datasets;
  std::string rule_dir;
  RuleFileScope file_scope;            // confine_dir set: files named by rules stay under it
  std::shared_ptr<const IpRep> iprep;  // null: no reputation configured
};

struct ParseFailure {
  std::string reason;        // human-readable, without file/line prefix
  std::string reason_class;  // short category for the summary ("unsupported keyword", "invalid content", ...)
  std::string keyword;       // the unsupported keyword, when that is the reason
  bool unsupported = false;
  bool requires_unmet = false;  // `requires` not met: skipped, not failed
  uint32_t sid = 0;
};

// Parses one complete rule (continuation lines already joined). Returns null
// and fills `fail` on error.
std::unique_ptr<Rule> parse_rule(std::string_view text, Dialect dialect, const ParseContext& ctx,
                                 ParseFailure& fail);

// Guesses the dialect of a rule file's text: Snort 3 when it uses service:,
// inline content modifiers or sticky http_* keywords before a content.
Dialect detect_dialect(std::string_view file_text);

struct FileParse {
  std::vector<std::unique_ptr<Rule>> rules;
  std::vector<std::pair<int, ParseFailure>> failures;  // line, failure
  std::vector<std::pair<int, ParseFailure>> unmet;     // line, `requires` not met
  uint64_t disabled = 0;
  Dialect dialect = Dialect::kSuricata;
};

// Parses all rules of a file's text. `file` is used for Rule::file.
void parse_text(std::string_view text, const std::string& file, const ParseContext& ctx, FileParse& out);

}  // namespace vigil::rules

// Fuzz target: the rule parser (rules/parser.h) over arbitrary rule-file
// text, Suricata dialect or Snort 3 as detect_dialect guesses, continuation
// lines and comments included. Files that rules name (datasets) are confined
// to a private scratch directory, as for a rule set from the collector.
// What it holds the parser to: no crash, no exception escapes, and every
// line is accounted for: a rule either parses or has a failure with a reason.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "rules/addr.h"
#include "rules/classification.h"
#include "rules/parser.h"
#include "tests/fuzz/fuzz_tmpdir.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vigil::rules;
  static const ClassMap classes = [] {
    std::vector<std::string> errors;
    return parse_classification(kBundledClassification, errors);
  }();
  ParseContext ctx;
  ctx.addr_vars = default_address_vars();
  ctx.port_vars = default_port_vars();
  ctx.classes = &classes;
  ctx.rule_dir = vigil::fuzz::tmpdir();
  ctx.file_scope.confine_dir = vigil::fuzz::tmpdir();
  std::string_view text(reinterpret_cast<const char*>(data), size);
  FileParse out;
  parse_text(text, "fuzz.rules", ctx, out);
  for (const auto& [line, fail] : out.failures) {
    if (line <= 0 || fail.reason.empty()) std::abort();
  }
  for (const auto& r : out.rules) {
    if (!r) std::abort();
  }
  return 0;
}

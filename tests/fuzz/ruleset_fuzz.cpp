// Fuzz target: the collector's rule-set upload (PUT /api/v1/ruleset, POST
// /api/v1/rulesets, `vigil-collector ruleset upload`): upload_ruleset with
// the real validator (collector/ruleset_check.h: the rules library parses and
// compiles the text into a throw-away engine, files named by rules confined
// to DATA_DIR/rulefiles) and, when it passes, publication into a SQLite store
// (a private scratch directory). The first input byte's bit 0 is
// allow_errors; the rest is the rule text.
// What it holds the upload to: no crash; the answer is 200 with a version,
// or 422 with an error; every failed rule is counted and reported.
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "collector/ruleset_check.h"
#include "collector/server.h"
#include "tests/fuzz/fuzz_tmpdir.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vigil::collector;
  if (size == 0) return 0;
  static std::unique_ptr<Store> store = [] {
    std::string err;
    auto s = open_sqlite_store(vigil::fuzz::tmpdir() + "/rulesets.db", &err);
    if (!s) std::abort();
    return s;
  }();
  static const RulesetValidator validator = ruleset_validator(vigil::fuzz::tmpdir());
  const bool allow_errors = (data[0] & 1) != 0;
  std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  nlohmann::json result;
  int status = upload_ruleset(*store, validator, text, allow_errors, &result, "fuzz");
  if (status == 200) {
    if (!result.contains("version")) std::abort();
  } else if (status == 422) {
    if (!result.contains("error")) std::abort();
  } else {
    std::abort();
  }
  if (result.value("rules_failed", 0) > 0 && result["errors"].empty()) std::abort();
  return 0;
}

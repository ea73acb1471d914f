// Loads the shared rule sets when ../shared is present (CI); skipped otherwise.
// Runs under CTest like every other test (a few seconds with ET Open).
#include <catch2/catch.hpp>
#include <filesystem>

#include "rules/engine.h"

using namespace vigil::rules;

namespace {
double load_pct(const std::vector<std::string>& files, LoadReport& r) {
  LoadOptions o;
  o.files = files;
  auto e = build_engine(o, r);
  REQUIRE(e);
  return 100.0 * double(r.rules_loaded) / double(r.rules_loaded + r.rules_failed);
}
}  // namespace

TEST_CASE("shared rule sets load: ET Open >= 97%, Snort 3 community >= 95%, bench 100%", "[shared]") {
  const std::filesystem::path shared = std::filesystem::path(VIGIL_SOURCE_DIR) / ".." / "shared";
  if (!std::filesystem::exists(shared / "rulesets")) {
    WARN("../shared not present: skipped");
    return;
  }
  std::vector<std::string> et;
  for (auto& e : std::filesystem::directory_iterator(shared / "rulesets" / "et-open"))
    if (e.path().extension() == ".rules") et.push_back(e.path().string());
  std::sort(et.begin(), et.end());
  LoadReport r1, r2, r3;
  CHECK(load_pct(et, r1) >= 97.0);
  CHECK(load_pct({(shared / "rulesets" / "snort3-community" / "snort3-community.rules").string()}, r2) >=
        95.0);
  CHECK(r2.files[0].dialect == "snort3");
  CHECK(load_pct({(shared / "bench" / "bench.rules").string()}, r3) == 100.0);
}

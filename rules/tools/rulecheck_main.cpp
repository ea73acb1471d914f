// vigil-rulecheck: loads rule files and prints the load report (rules loaded,
// failures by reason, unsupported keywords, dialect per file, timings).
// Exit status: 0 when every rule loaded, 1 otherwise, 2 on usage errors.
#include <cstdio>
#include <string>

#include "rules/engine.h"

int main(int argc, char** argv) {
  vigil::rules::LoadOptions opts;
  bool verbose = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--cache" && i + 1 < argc)
      opts.cache_dir = argv[++i];
    else if (a == "-v")
      verbose = true;
    else
      opts.files.push_back(a);
  }
  if (opts.files.empty()) {
    fprintf(stderr, "usage: vigil-rulecheck [-v] [--cache DIR] FILE.rules...\n");
    return 2;
  }
  vigil::rules::LoadReport r;
  auto e = vigil::rules::build_engine(opts, r);
  if (verbose)
    for (auto& err : r.errors) fprintf(stderr, "%s\n", err.c_str());
  auto j = vigil::rules::report_stats_json(r);
  j["parse_ms"] = r.parse_ms;
  j["prefilter_patterns"] = r.prefilter_patterns;
  j["total"] = r.rules_loaded + r.rules_failed;
  j["loaded_pct"] = r.rules_loaded + r.rules_failed
                        ? 100.0 * double(r.rules_loaded) / double(r.rules_loaded + r.rules_failed)
                        : 0.0;
  printf("%s\n", j.dump(1).c_str());
  return e && r.rules_failed == 0 ? 0 : 1;
}

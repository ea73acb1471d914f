// build_engine: the stages of building an engine, in order. Each stage lives
// in the file of its concept: variables and rule files (rule_files.h),
// classification (classification.h), IP reputation (iprep.h), thresholds
// (threshold.h), evaluation order (rule_order.h), grouping (rule_groups.h),
// the prefilter databases (prefilter_build.h) and their cache (hs_cache.h).
// Also the load report's log line and stats JSON.
#include <spdlog/spdlog.h>

#include <chrono>

#include "common/time.h"
#include "rules/classification.h"
#include "rules/engine_impl.h"
#include "rules/inert.h"
#include "rules/iprep.h"
#include "rules/prefilter_build.h"
#include "rules/rule_files.h"
#include "rules/rule_groups.h"
#include "rules/rule_order.h"

namespace vigil::rules {

namespace {

double ms_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}

// Moves the rules nothing can feed from loaded to inert (rules/inert.h).
void drop_inert_rules(uint32_t parsed, LoadReport& report, std::vector<std::unique_ptr<Rule>>& rules) {
  size_t kept = 0;
  for (auto& r : rules) {
    std::string why = inert_reason(*r, parsed);
    if (why.empty()) {
      rules[kept++] = std::move(r);
      continue;
    }
    report.inert.push_back(r->file + ":" + std::to_string(r->line) + ": sid " + std::to_string(r->sid) +
                           ": " + why);
    ++report.inert_by_reason[why];
    ++report.rules_inert;
    --report.rules_loaded;
    for (auto& f : report.files) {
      if (f.path != r->file) continue;
      --f.rules_loaded;
      ++f.rules_inert;
      break;
    }
  }
  rules.resize(kept);
}

}  // namespace

std::shared_ptr<const Engine> build_engine(const LoadOptions& opts, LoadReport& report) {
  auto t0 = std::chrono::steady_clock::now();
  report = LoadReport{};
  report.last_reload = format_eve_time(wall_clock_now());

  // Parse: variables, classification, reputation, rule files, thresholds.
  ParseContext ctx;
  set_rule_vars(opts, ctx);
  ClassMap classes;
  if (!load_classification(opts.classification_file, classes, report.errors)) {
    report.fatal = true;
    return nullptr;
  }
  ctx.classes = &classes;
  ctx.iprep = load_iprep(opts, report.errors);
  ctx.file_scope = opts.rule_file_scope;
  CacheKey key;
  std::vector<std::unique_ptr<Rule>> rules;
  if (!parse_rule_files(opts, ctx, key, report, rules)) return nullptr;
  drop_inert_rules(opts.parsed_app_protos, report, rules);
  key.add(std::to_string(opts.parsed_app_protos));
  auto impl = std::make_unique<Engine::Impl>();
  impl->threshold_cfg = load_threshold_config(opts.threshold_file, ctx.addr_vars, report.errors);
  auto t1 = std::chrono::steady_clock::now();
  report.parse_ms = std::chrono::duration<double, std::milli>(t1 - t0).count();

  // Compile: order, thresholds per rule, groups, prefilter databases.
  order_rules(rules);
  bind_threshold_config(impl->threshold_cfg, rules, impl->rule_threshold, impl->rule_suppress);
  mark_ip_only(rules);
  build_gates(rules, *impl);
  PrefilterPlan plan;
  report.port_groups = group_rules(rules, *impl, plan);
  if (!build_prefilter(plan, opts.cache_dir, key, *impl, report)) return nullptr;
  impl->rules = std::move(rules);
  report.compile_ms = ms_since(t1);
  // Every rule may have failed: still an engine (matching nothing); the report says why.
  for (auto& [name, set] : ctx.datasets) impl->datasets.push_back(set);
  return std::make_shared<const Engine>(std::move(impl));
}

void log_report(const LoadReport& r) {
  for (auto& f : r.files) {
    spdlog::info("rules: {} ({} dialect): {} loaded, {} failed, {} disabled, {} inert", f.path, f.dialect,
                 f.rules_loaded, f.rules_failed, f.rules_disabled, f.rules_inert);
  }
  for (auto& [why, n] : r.inert_by_reason) spdlog::info("rules: {} rules inert: {}", n, why);
  for (auto& u : r.unmet) spdlog::info("rules: {}", u);
  for (auto& e : r.errors) spdlog::warn("rules: {}", e);
  for (auto& [k, n] : r.unsupported_keywords) spdlog::info("rules: skipped {} rules using {}", n, k);
  spdlog::info(
      "rules: {} signatures processed. {} loaded, {} failed ({} unsupported), {} inert; prefilter {} "
      "patterns in "
      "{} databases, {} port groups; parse {:.0f} ms, compile {:.0f} ms{}",
      r.rules_loaded + r.rules_failed + r.rules_inert, r.rules_loaded, r.rules_failed, r.rules_skipped,
      r.rules_inert, r.prefilter_patterns, r.prefilter_databases, r.port_groups, r.parse_ms, r.compile_ms,
      r.cache_hit ? " (cached databases)" : "");
}

nlohmann::ordered_json report_stats_json(const LoadReport& r) {
  nlohmann::ordered_json e;
  e["id"] = 0;
  e["last_reload"] = r.last_reload;
  e["rules_loaded"] = r.rules_loaded;
  e["rules_failed"] = r.rules_failed;
  e["rules_skipped"] = r.rules_skipped;
  e["rules_inert"] = r.rules_inert;
  nlohmann::ordered_json files = nlohmann::ordered_json::array();
  for (auto& f : r.files) {
    files.push_back({{"path", f.path},
                     {"dialect", f.dialect},
                     {"rules_loaded", f.rules_loaded},
                     {"rules_failed", f.rules_failed},
                     {"rules_inert", f.rules_inert}});
  }
  e["files"] = files;
  e["failures_by_reason"] = r.failures_by_reason;
  e["unsupported_keywords"] = r.unsupported_keywords;
  e["compile_ms"] = r.compile_ms;
  e["cache_hit"] = r.cache_hit;
  nlohmann::ordered_json out;
  out["engines"] = nlohmann::ordered_json::array({e});
  return out;
}

}  // namespace vigil::rules

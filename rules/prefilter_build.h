// Building the prefilter: each rule's fast pattern, one pattern list per
// group and buffer (DbBuilder), and the stage that compiles them into
// Hyperscan databases or loads them from the cache (hs_cache.h).
//
// Load-time only (build_engine, off the packet path).
#pragma once

#include <array>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "rules/engine_impl.h"
#include "rules/hs_cache.h"

namespace vigil::rules {

struct FastPattern {
  int slot = kSlotPayload;
  std::string bytes;
  bool nocase = false;
  bool found = false;
};

// The explicit fast_pattern, else the longest positive content (app buffers
// preferred for tx rules, as they are more selective).
FastPattern choose_fast_pattern(const Rule& r);

// The distinct patterns of one database, and which rules each stands for.
struct DbBuilder {
  std::map<std::pair<std::string, bool>, uint32_t> ids;
  std::vector<std::pair<std::string, bool>> patterns;  // bytes, caseless
  PatternDb* target = nullptr;
  void add(const FastPattern& fp, uint32_t rule);
};

struct GroupBuilders {
  std::array<DbBuilder, 2> payload;                       // by direction
  std::array<std::array<DbBuilder, 2>, kBufferCount> tx;  // by buffer and direction
};

// The pattern lists of every group of an engine being built.
struct PrefilterPlan {
  std::map<const Group*, GroupBuilders> builders;
};

// Puts a payload/app-layer/plain header rule into one group: its fast
// pattern into the group's database for that buffer, else the "always" lists.
void add_to_group(const Rule& r, Group& g, PrefilterPlan& plan);

// Compiles the plan's databases into impl's groups, or loads them from the
// cache in cache_dir (keyed by key plus the patterns themselves), lists each
// group's app-layer databases and allocates the scratch prototype. Counts in
// report; false (report.fatal, the reason in report.errors) when a database
// cannot be compiled or the scratch allocated.
bool build_prefilter(PrefilterPlan& plan, const std::string& cache_dir, CacheKey key, Engine::Impl& impl,
                     LoadReport& report);

}  // namespace vigil::rules

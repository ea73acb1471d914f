// On-disk cache of compiled Hyperscan databases: one file per engine build,
// named by a hash of everything that went into it (engine version, variables,
// rule texts, the compiled patterns themselves), holding the serialized
// databases in build order. A damaged or stale file is simply not used.
//
// Load-time only (build_engine, off the packet path).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "rules/engine_impl.h"

namespace vigil::rules {

// The cache key, accumulated while the engine is built (FNV-1a with a
// separator after each piece, so "ab"+"c" and "a"+"bc" differ).
class CacheKey {
 public:
  CacheKey();  // seeded with the engine version
  void add(std::string_view s);
  uint64_t value() const { return h_; }

 private:
  uint64_t h_;
};

// DIR/vigil-hs-<key>.db; "" when dir is "" (no cache).
std::string hs_cache_path(const std::string& dir, const CacheKey& key);

// Fills dbs[i]->db from the file, in order. All or nothing: on any mismatch
// the databases it set are freed and it returns false. A hit refreshes the
// file's time, so pruning keeps the recently used.
bool hs_cache_load(const std::string& path, const std::vector<PatternDb*>& dbs);

// Writes dbs (compiled) to path through a temporary file renamed over it, then
// keeps only the newest few cache files in dir. Failures only cost the cache.
void hs_cache_store(const std::string& dir, const std::string& path, const std::vector<PatternDb*>& dbs);

}  // namespace vigil::rules

// The dashboard's aggregations under a filter the rollups cannot answer,
// counted in memory: for every stored alert, the values the alert list's
// filters and the aggregations read (event time, severity, sid, source and
// destination address and port, agent, protocol, app protocol, category), as
// 48 bytes with the text values as dictionary codes.
//
// Counting these rows from SQLite cost about 0.7 us an alert (the rows read
// through the ts index, a hash-map update per top list), so a filter that
// matched a day of a 10M-alert store (1.4M alerts) took a second, and a
// week seven (bench/RESULTS.md). Here a row costs a few nanoseconds; a
// free-text filter adds one read of the text index's matches within the id
// range of the rows that pass the rest of the filter.
//
// The SQLite store keeps it (SqliteStoreOptions::stats_cache, the collector's
// `store.stats_cache`): it adds the alerts of each write transaction after
// its COMMIT and takes out those retention deleted after theirs; at open a
// thread of its own reads the stored alerts in one read transaction, while
// ingest and retention go on (begin_load / load / end_load: a row deleted
// after the load began is not loaded again, one added is not overwritten).
// Until that load ends, and for a filter with a condition not held here
// (signature text, triage status, assignee), the store counts from SQLite.
// It assumes the store is the only writer of the file's alerts (the
// collector is; the CLI's commands write no alerts).
//
// Thread-safe: writers take the lock exclusively, count() shares it.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "collector/store/alert_query.h"
#include "collector/store/alert_stats.h"
#include "collector/store/store.h"
#include "common/wire.h"

namespace vigil::collector {

// One alert to add: its id, agent and fields (pointers valid for the call).
struct AlertFactInput {
  int64_t id = 0;
  const std::string* agent_id = nullptr;
  const EveFields* fields = nullptr;
};

// What count() found, in the shape the rollups' answer is built from.
struct FactCounts {
  std::map<int64_t, std::map<int, int64_t>> series;  // bucket start (s) -> severity -> count
  // Keys and counts only (signatures are named by the caller), each as the
  // rollups order them: count descending, then key ascending.
  std::vector<TopEntry> top_signatures, top_sources, top_destinations, top_agents;
};

// One alert of a list's page: its event time and id.
struct FactRow {
  int64_t ts = 0, id = 0;
};

// What newest() found.
struct FactPage {
  std::vector<FactRow> rows;  // newest first: (ts, id) descending
  int64_t matched = 0;        // the alerts matching, counted up to count_cap + 1
};

class AlertFacts {
 public:
  // A count over at least parallel_chunks chunks (4096 ids each) reads
  // them in two halves at once.
  explicit AlertFacts(size_t parallel_chunks = 64);
  ~AlertFacts();
  AlertFacts(const AlertFacts&) = delete;
  AlertFacts& operator=(const AlertFacts&) = delete;

  // Committed alerts (an id already held is replaced).
  void add(const std::vector<AlertFactInput>& rows);
  // Alerts a committed transaction deleted: these ids, or every id in [lo, hi).
  void erase_ids(const std::vector<int64_t>& ids);
  void erase_range(int64_t lo, int64_t hi);

  // The load at open. begin_load() before the loader's read transaction
  // starts; load() with rows of that transaction (skipping an id held or
  // deleted since begin_load); end_load(true) makes the facts answer.
  void begin_load();
  void load(const std::vector<AlertFactInput>& rows);
  void end_load(bool ok);

  // Loaded, and no dictionary outgrew its codes.
  bool ready() const;
  // Every condition of `f` is one held here (no signature, status or assignee).
  static bool can_answer(const AlertFilter& f);

  // Sets bit (id - lo) of *bits for each id in [lo, hi] the free text
  // matches; false (with *err) when the index cannot be read.
  using MatchBits =
      std::function<bool(int64_t lo, int64_t hi, std::vector<uint64_t>* bits, std::string* err)>;

  // Counts the alerts matching `f` (its from/to must be set: [from, to))
  // into buckets of interval_s seconds by severity (as COALESCE(severity, 0))
  // and the four top lists of `top` entries. `fts` is asked only when f.q is
  // set. false (with *err) when the text index could not be read.
  bool count(const AlertFilter& f, int64_t interval_s, int top, const MatchBits& fts, FactCounts* out,
             std::string* err) const;

  // Every condition of `f` is one held here, free text excepted (the list
  // reads that from the text index); no time range needed.
  static bool can_list(const AlertFilter& f);

  // The `limit` (at least 1) newest alerts matching `f` strictly after
  // `after` in the list's order ((ts, id) descending), and the number of
  // alerts matching `f` (any cursor aside) counted up to count_cap + 1 (0:
  // not counted). The chunks are read newest event first, and the reading
  // stops once the page is full, no chunk left can hold a newer row, and
  // the count has passed its cap; a rare value reads them all.
  void newest(const AlertFilter& f, const std::optional<AlertCursor>& after, int limit, int64_t count_cap,
              FactPage* out) const;

  // Alerts held, and the memory they take (rows and dictionaries).
  int64_t size() const;
  int64_t bytes() const;

 private:
  struct Impl;
  template <class Apply, class MakeOp>
  void change(const Apply& apply, const MakeOp& make_op);
  std::unique_ptr<Impl> impl_;
  size_t parallel_chunks_;
  mutable std::shared_mutex mu_;
};

}  // namespace vigil::collector

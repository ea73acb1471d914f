// Rollup tables of the alerts, so that dashboard aggregations over millions
// of alerts read a few thousand rollup rows instead of the alerts:
//   alert_rollup_min(minute, agent_id, severity, n)      per minute
//   alert_rollup_hour(dim, hour, key, severity, n)       per hour x agent | sid | src_ip | dest_ip,
//                                                        and per day x sid | src_ip | dest_ip (dim + 10)
//   alert_rollup_agent(agent_id, dim, hour, key, severity, n)
//                                                        the same sid | src_ip | dest_ip hour and day rows
//                                                        per agent, for the top lists of one agent
//   alert_rollup_state(name, value)                      day_rows_from: the first day whose day rows
//                                                        count (retention drops the ones before it)
//   alert_rollup_pending(owner, first_id, last_id)       the ids of alerts committed but not yet
//                                                        counted, per ingest commit of a store (owner)
// (minute/hour: event time in whole minutes/hours since the epoch, floored;
// severity 0 when the alert has none; alerts without a sid or address are
// not in that dimension).
//
// The SQLite store folds its ingest commits' counts in memory and adds them
// to the tables about once a second (sqlite_store.cpp, fold_rollups): the
// upserts of many commits then share their keys. Each commit records its
// alerts' id range in alert_rollup_pending, so a store that stopped without
// folding loses nothing: the next one counts those ranges from the alerts.
//
// Called by SqliteStore with its write connection held (RollupDelta::apply,
// inside an ingest, fold or retention transaction) and with its read
// connection held (alert_stats_sqlite). Promise: after every committed
// transaction the rollups plus the alerts of the pending ranges equal a
// count of the raw alert rows (retention folds first, then subtracts what
// it deletes, or deletes whole buckets), leaving out rows at 0 and day rows
// before day_rows_from. alert_stats_sqlite reads the alerts of the pending
// ranges in its own read transaction and counts them where it reads the
// rollups, so its answers equal a count of the rows.
#pragma once

#include <sqlite3.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "collector/store/alert_stats.h"
#include "collector/store/store.h"

namespace vigil::collector {

class Db;

inline constexpr int64_t kUsPerMinute = 60'000'000, kUsPerHour = 3'600'000'000, kUsPerDay = 24 * kUsPerHour;
// alert_rollup_hour holds day rows of the sid and address dimensions under
// dim + kRollupDayDim (the `hour` column then counts days): a top list over
// many days reads one row per day and key instead of one per hour and key.
inline constexpr int kRollupDayDim = 10;

// The rollup tables and their indexes (CREATE ... IF NOT EXISTS).
extern const char* const kRollupSchema;

// Counts added (ingest) or removed (retention) in one transaction.
class RollupDelta {
 public:
  void add(int64_t ts_us, const std::optional<int64_t>& severity, const std::string& agent_id,
           const std::optional<int64_t>& sid, const std::optional<std::string>& src_ip,
           const std::optional<std::string>& dest_ip, int64_t n = 1);
  bool empty() const { return minutes_.empty() && hours_.empty() && agent_hours_.empty(); }
  // The keys held (apply() runs up to about twice as many upserts: the
  // day rows are summed from the hour rows when read).
  size_t keys() const { return minutes_.size() + hours_.size() + agent_hours_.size(); }
  // Adds o's counts to these.
  void merge(const RollupDelta& o);
  // Adds the counts to the tables (ingest). REQUIRES: an open write
  // transaction on db.
  StoreStatus apply(Db& db) const;

  // Retention, which deletes oldest first, takes the counts of the alerts it
  // deleted off the tables in three steps: plan_removal, add_removed for
  // each deleted alert, remove.
  //
  // Every minute and hour wholly before the oldest alert left holds no
  // alert: when that boundary has moved past where the range deletes so far
  // reached (Pruned), their rows are deleted by key range instead of being
  // decremented key by key. The day rows of the oldest alert's day and
  // before go by range too: readers count those days from the hour rows
  // (alert_rollup_state's day_rows_from), so no day row is ever decremented.
  // Other keys get a plain decrement: a row may stay at 0 until a later
  // range delete, and readers leave rows at 0 out.
  struct Pruned {
    int64_t minute = INT64_MIN, hour = INT64_MIN;
  };
  struct Removal {
    bool none = false;  // no alert left
    int64_t first_min = 0, first_hour = 0, first_day = 0;
    bool cut_min = false, cut_hour = false, cut_day = false;  // range deletes to run
    int64_t late_min = INT64_MIN, late_hour = INT64_MIN;      // before these, keys are of late alerts
  };
  // oldest_us: the event time of the oldest alert left (INT64_MAX when
  // none). REQUIRES: an open write transaction on db (the one deleting).
  static StoreStatus plan_removal(Db& db, int64_t oldest_us, const Pruned& pruned, Removal* out);
  // Counts one deleted alert where `r` does not delete by range.
  void add_removed(const Removal& r, int64_t ts_us, const std::optional<int64_t>& severity,
                   const std::string& agent_id, const std::optional<int64_t>& sid,
                   const std::optional<std::string>& src_ip, const std::optional<std::string>& dest_ip);
  // Decrements the counts added, runs the range deletes and advances
  // *pruned (assign it to the caller's state only after the transaction
  // commits). REQUIRES: the transaction plan_removal saw.
  StoreStatus remove(Db& db, const Removal& r, Pruned* pruned) const;

  using MinuteKey = std::tuple<int64_t, std::string, int64_t>;     // minute, agent, severity
  using HourKey = std::tuple<int, int64_t, std::string, int64_t>;  // dim, hour (day), key, severity
  using AgentKey = std::tuple<std::string, int, int64_t, std::string, int64_t>;  // agent, then as HourKey
  // The counts in key order (the PostgreSQL store upserts them in this
  // order, so concurrent transactions lock shared rows in one order; SQLite
  // then writes each table's pages in order).
  std::vector<std::pair<MinuteKey, int64_t>> minutes() const { return sorted(minutes_); }
  std::vector<std::pair<HourKey, int64_t>> hours() const;
  std::vector<std::pair<AgentKey, int64_t>> agent_hours() const;

 private:
  // Hashed, not ordered: ingest counts each alert into a dozen keys, and a
  // tree of string tuples cost more than the upserts it saved.
  struct KeyHash {
    template <class... T>
    size_t operator()(const std::tuple<T...>& k) const {
      size_t h = 0;
      std::apply([&](const auto&... v) { ((h = h * 0x9e3779b97f4a7c15ULL + std::hash<T>()(v)), ...); }, k);
      return h;
    }
  };
  template <class K>
  using Counts = std::unordered_map<K, int64_t, KeyHash>;
  // The entries of c and of `more` (keys apart from c's), in key order.
  template <class K>
  static std::vector<std::pair<K, int64_t>> sorted(const Counts<K>& c, const Counts<K>& more = {}) {
    std::vector<std::pair<K, int64_t>> v;
    v.reserve(c.size() + more.size());
    v.insert(v.end(), c.begin(), c.end());
    v.insert(v.end(), more.begin(), more.end());
    std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    return v;
  }
  Counts<MinuteKey> minutes_;
  Counts<HourKey> hours_;
  Counts<AgentKey> agent_hours_;
  // add() counts the sid and address hour rows only; their day rows are
  // summed from them when read (hours(), agent_hours()): six keys fewer
  // per alert.
  bool days_ = false;
};

// Fills the rollups from the alerts when they are empty and alerts are not
// (a database from before the rollups), and the per-agent rollup when it is
// empty and the others are not (a database from before it). A full rebuild
// counts every alert, so it empties alert_rollup_pending; the per-agent one
// leaves the pending ranges out. REQUIRES: no open transaction.
StoreStatus rebuild_rollups_if_empty(Db& db);

// Computes the aggregations for q on a read connection.
// With `facts` (loaded: AlertFacts::ready()), a filter the rollups cannot
// answer is counted there when it can (AlertFacts::can_answer), else from
// the rows.
class AlertFacts;
struct FtsBitsOptions;
// `fts`: how the free text's matches are read there (its cache).
StoreStatus alert_stats_sqlite(Db& db, const StatsQuery& q, AlertStats* out,
                               const AlertFacts* facts = nullptr, const FtsBitsOptions* fts = nullptr);

}  // namespace vigil::collector

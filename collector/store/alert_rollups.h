// Rollup tables of the alerts, kept in the same transaction as the alerts
// they count, so that dashboard aggregations over millions of alerts read a
// few thousand rollup rows instead of the alerts:
//   alert_rollup_min(minute, agent_id, severity, n)      per minute
//   alert_rollup_hour(dim, hour, key, severity, n)       per hour x agent | sid | src_ip | dest_ip,
//                                                        and per day x sid | src_ip | dest_ip (dim + 10)
//   alert_rollup_agent(agent_id, dim, hour, key, severity, n)
//                                                        the same sid | src_ip | dest_ip hour and day rows
//                                                        per agent, for the top lists of one agent
//   alert_rollup_state(name, value)                      day_rows_from: the first day whose day rows
//                                                        count (retention drops the ones before it)
// (minute/hour: event time in whole minutes/hours since the epoch, floored;
// severity 0 when the alert has none; alerts without a sid or address are
// not in that dimension).
//
// Called by SqliteStore with its write connection held (RollupDelta::apply,
// inside the ingest or retention transaction) and with its read connection
// held (alert_stats_sqlite). Promise: after every committed transaction the
// rollups equal a count of the raw alert rows (retention subtracts what it
// deletes, or deletes whole buckets), leaving out rows at 0 and day rows
// before day_rows_from.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>

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
  // order, so concurrent transactions lock shared rows in one order).
  const std::map<MinuteKey, int64_t>& minutes() const { return minutes_; }
  const std::map<HourKey, int64_t>& hours() const { return hours_; }
  const std::map<AgentKey, int64_t>& agent_hours() const { return agent_hours_; }

 private:
  std::map<MinuteKey, int64_t> minutes_;
  std::map<HourKey, int64_t> hours_;
  std::map<AgentKey, int64_t> agent_hours_;
};

// Fills the rollups from the alerts when they are empty and alerts are not
// (a database from before the rollups), and the per-agent rollup when it is
// empty and the others are not (a database from before it). REQUIRES: no
// open transaction.
StoreStatus rebuild_rollups_if_empty(Db& db);

// Computes the aggregations for q on a read connection.
StoreStatus alert_stats_sqlite(Db& db, const StatsQuery& q, AlertStats* out);

}  // namespace vigil::collector

// Dashboard aggregations over the stored alerts: counts over time in buckets
// by severity, totals by severity and the top signatures, sources,
// destinations and agents, as Store::alert_stats() computes them and
// GET /api/v1/stats/alerts serves them.
//
// The SQLite store answers from rollup tables kept in the ingest transaction
// (collector/store/alert_rollups.h) and reads raw rows only for the edges of
// the range that do not fill a whole rollup bucket, or for filters the
// rollups cannot answer (any condition of `filter`: the rows matching the
// whole filter of GET /api/v1/alerts are counted in one scan, with the same
// answer shape). Plain values; no threads here.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "collector/store/alert_query.h"

namespace vigil::collector {

struct StatsQuery {
  int64_t from_us = 0, to_us = 0;  // event time, [from, to), microseconds since the epoch
  int64_t interval_s = 3600;       // bucket width; buckets start at multiples of it since the epoch
  int top = 10;                    // entries per top list, 1..kMaxStatsTop
  std::optional<std::string> agent_id;
  std::optional<int> severity;
  std::vector<int> severities;  // any of these (AND with severity); the rollups answer it too
  // Every other condition of the alert list's filter (its from/to are
  // ignored: the range is from_us/to_us). Empty: the rollups answer.
  AlertFilter filter;
};

inline constexpr int kMaxStatsTop = 100;
inline constexpr int64_t kMaxStatsBuckets = 10000;

struct StatsBucket {
  int64_t start_s = 0;
  std::vector<std::pair<int, int64_t>> by_severity;  // (severity, count), severity ascending; 0 = none given
  int64_t total = 0;
};

struct TopEntry {
  std::string key;        // the sid (as text), address or agent id
  std::string signature;  // for signatures: the rule's message as last stored
  int64_t count = 0;
};

struct AlertStats {
  int64_t total = 0;
  std::vector<std::pair<int, int64_t>> by_severity;
  std::vector<StatsBucket> series;  // only buckets with alerts, oldest first
  std::vector<TopEntry> top_signatures, top_sources, top_destinations, top_agents;
  // The top lists count whole hours: [top_from_us, top_to_us) is the range
  // rounded out to the hour (exact when the range is hour-aligned or the
  // query needed raw rows anyway).
  int64_t top_from_us = 0, top_to_us = 0;
  bool raw = false;     // some part was counted from raw rows (a filter the rollups cannot answer)
  bool cached = false;  // those rows were counted in the SQLite store's stats cache (alert_facts.h)
};

// "30" (seconds), "30s", "5m", "1h", "1d": seconds, 1 to 366 days; nullopt otherwise.
std::optional<int64_t> parse_stats_interval(std::string_view v);

nlohmann::json stats_to_json(const StatsQuery& q, const AlertStats& s);

}  // namespace vigil::collector

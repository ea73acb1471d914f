// GET /api/v1/stats/alerts?from=&to=&interval=&top= plus every filter of GET
// /api/v1/alerts (read by the same parser, collector/api/alert_filter.h)
// (viewer and up): the dashboard aggregations of collector/store/alert_stats.h
// as JSON. Runs on a handler thread; the store computes them from its
// rollups when the filter is only time, one agent and severities, and
// from the matching rows otherwise ("source": "raw"), in the same shape.
// Bad parameters are 400 with what to send instead; the list's paging names
// (cursor, limit, group, window) are refused.
#include <charconv>
#include <chrono>

#include "collector/api/alert_filter.h"
#include "collector/server.h"
#include "collector/store/alert_stats.h"
#include "common/time.h"

namespace vigil::collector {

Response CollectorServer::alert_stats(const Caller&, const RequestHead& h, std::string) {
  auto p = [&](const char* k) -> std::string_view {
    const std::string* v = h.param(k);
    return v ? std::string_view(*v) : std::string_view();
  };
  StatsQuery q;
  int64_t now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  q.to_us = now_us / 1'000'000 * 1'000'000 + 1'000'000;
  q.from_us = q.to_us - int64_t{86400} * 1'000'000;
  for (const char* paging : {"cursor", "limit", "group", "window"}) {
    if (h.param(paging))
      return Response::error(400, std::string("bad ") + paging,
                             "not a statistics parameter (the list's paging)");
  }
  AlertListQuery lq;
  if (auto e = parse_alert_query(h.query, &lq, {"interval", "top"}))
    return Response::error(400, (e->param == "from" || e->param == "to" ? "bad time in " : "bad ") + e->param,
                           e->detail);
  AlertFilter& f = lq.filter;
  if (f.from_us) q.from_us = *f.from_us;
  if (f.to_us) q.to_us = *f.to_us;
  f.from_us.reset();
  f.to_us.reset();
  if (q.from_us >= q.to_us) return Response::error(400, "empty time range", "from must be before to");
  // What the rollups answer (one agent, severities) goes in the query's own fields.
  q.agent_id.swap(f.agent_id);
  if (f.severities.size() == 1) q.severity = f.severities[0];
  if (f.severities.size() > 1) q.severities = f.severities;
  f.severities.clear();
  q.filter = std::move(f);
  if (!p("interval").empty()) {
    auto v = parse_stats_interval(p("interval"));
    if (!v)
      return Response::error(400, "bad interval", "seconds, or a number with s, m, h or d (5m, 1h, 1d)");
    q.interval_s = *v;
  }
  if ((q.to_us - q.from_us) / (q.interval_s * 1'000'000) >= kMaxStatsBuckets)
    return Response::error(
        400, "too many buckets",
        "at most " + std::to_string(kMaxStatsBuckets) + ": a wider interval or a shorter range");
  if (!p("top").empty()) {
    std::string_view t = p("top");
    int v = 0;
    auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (ec != std::errc() || end != t.data() + t.size() || v < 1 || v > kMaxStatsTop)
      return Response::error(400, "bad top", "1 to " + std::to_string(kMaxStatsTop));
    q.top = v;
  }
  AlertStats stats;
  auto started = std::chrono::steady_clock::now();
  StoreStatus st = store_.alert_stats(q, &stats);
  store_stats_query_seconds_.observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  if (!st.ok) return Response::error(500, "internal error");
  return Response::json(200, stats_to_json(q, stats));
}

}  // namespace vigil::collector

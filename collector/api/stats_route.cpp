// GET /api/v1/stats/alerts?from=&to=&interval=&top=&agent=&severity=
// (viewer and up): the dashboard aggregations of collector/store/alert_stats.h
// as JSON. Runs on a handler thread; the store computes them from its
// rollups. Bad parameters are 400 with what to send instead.
#include <charconv>
#include <chrono>

#include "collector/server.h"
#include "collector/store/alert_stats.h"
#include "common/time.h"

namespace vigil::collector {
namespace {

// Unix seconds (at most 12 digits) or an ISO/EVE time, as microseconds.
std::optional<int64_t> parse_time(std::string_view v) {
  if (!v.empty() && v.size() <= 12 && v.find_first_not_of("0123456789") == std::string_view::npos) {
    int64_t s = 0;
    std::from_chars(v.data(), v.data() + v.size(), s);
    return s * 1'000'000;
  }
  if (v.size() < 10 || v.size() > 40) return std::nullopt;
  std::string s(v);
  if (s.size() == 10) s += "T00:00:00";
  if (s.back() == 'Z') s.pop_back();
  return parse_eve_time_us(s);
}

}  // namespace

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
  for (auto [name, dst] : {std::pair{"from", &q.from_us}, std::pair{"to", &q.to_us}}) {
    if (p(name).empty()) continue;
    auto t = parse_time(p(name));
    if (!t)
      return Response::error(400, std::string("bad time in ") + name,
                             "unix seconds or an ISO time like 2026-01-02T03:04:05Z");
    *dst = *t;
  }
  if (q.from_us >= q.to_us) return Response::error(400, "empty time range", "from must be before to");
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
  if (!p("agent").empty()) q.agent_id = std::string(p("agent"));
  if (!p("severity").empty()) {
    std::string_view s = p("severity");
    int v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size() || v < 1 || v > 255)
      return Response::error(400, "bad severity", "a number, 1 (highest) to 255");
    q.severity = v;
  }
  AlertStats stats;
  StoreStatus st = store_.alert_stats(q, &stats);
  if (!st.ok) return Response::error(500, "internal error");
  return Response::json(200, stats_to_json(q, stats));
}

}  // namespace vigil::collector

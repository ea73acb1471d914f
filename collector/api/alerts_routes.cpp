// The alert read routes of CollectorServer (declared in collector/server.h):
//   GET /api/v1/alerts        filters (collector/api/alert_filter.h) -> a page, or groups with group=1
//   GET /api/v1/alerts/{id}   the alert, its triage state, its flow's other alerts and events
// Run on handler threads; the store does the filtering and paging.

#include <spdlog/spdlog.h>

#include <charconv>
#include <chrono>

#include "collector/api/alert_filter.h"
#include "collector/server.h"
#include "common/time.h"

namespace vigil::collector {
namespace {

using nlohmann::json;

std::string eve_time(int64_t us) {
  int64_t s = us >= 0 ? us / 1000000 : (us - 999999) / 1000000;
  return format_eve_time(Timestamp{s, static_cast<int32_t>(us - s * 1000000)});
}

Response bad_filter(const FilterError& e) {
  return Response::error(400, "bad " + e.param, e.detail);
}

}  // namespace

Response CollectorServer::alerts(const Caller&, const RequestHead& h, std::string) {
  AlertListQuery q;
  if (auto e = parse_alert_query(h.query, &q)) return bad_filter(*e);
  if (q.group) {
    AlertGroupPage page;
    auto started = std::chrono::steady_clock::now();
    StoreStatus st = store_.group_alerts(q, &page);
    store_alert_query_seconds_.observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    if (!st.ok) {
      spdlog::error("alert groups query: {}", st.message);
      return Response::error(500, "internal error");
    }
    json groups = json::array();
    for (const auto& g : page.groups) {
      groups.push_back(json{{"sid", g.sid},
                            {"signature", g.signature},
                            {"severity", g.severity},
                            {"src_ip", g.src_ip},
                            {"dest_ip", g.dest_ip},
                            {"count", g.count},
                            {"first_seen", eve_time(g.first_seen_us)},
                            {"last_seen", eve_time(g.last_seen_us)},
                            {"window_start", eve_time(g.bucket * q.window_s * 1000000)},
                            {"sample_id", g.sample_id}});
    }
    json out{{"groups", groups}, {"window", q.window_s}, {"next_cursor", nullptr}};
    if (page.next_cursor) out["next_cursor"] = encode_cursor(*page.next_cursor);
    return Response::json(200, out);
  }
  AlertListPage page;
  auto started = std::chrono::steady_clock::now();
  StoreStatus st = store_.list_alerts(q, &page);
  store_alert_query_seconds_.observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  if (!st.ok) {
    spdlog::error("alerts query: {}", st.message);
    return Response::error(500, "internal error");
  }
  json out{{"total", page.total},
           {"total_exact", page.total_exact},
           {"alerts", page.alerts},
           {"next_cursor", nullptr}};
  if (page.next_cursor) out["next_cursor"] = encode_cursor(*page.next_cursor);
  return Response::json(200, out);
}

Response CollectorServer::alert_detail(const Caller&, const RequestHead& h, std::string) {
  std::string_view id_text = std::string_view(h.path).substr(h.path.rfind('/') + 1);
  int64_t id = 0;
  auto [p, ec] = std::from_chars(id_text.data(), id_text.data() + id_text.size(), id);
  if (id_text.empty() || id_text.size() > 18 || ec != std::errc() || p != id_text.data() + id_text.size() ||
      id <= 0)
    return Response::error(404, "no such alert", "GET /api/v1/alerts/ID with an id from the alert list");
  std::optional<AlertDetail> d;
  StoreStatus st = store_.alert_detail(id, &d);
  if (!st.ok) {
    spdlog::error("alert detail: {}", st.message);
    return Response::error(500, "internal error");
  }
  if (!d)
    return Response::error(404, "no such alert", "GET /api/v1/alerts/ID with an id from the alert list");
  // The same object as GET /api/v1/alerts/ID/triage: status, assignee, history, comments.
  auto triage = store_.get_triage(id);
  return Response::json(200, json{{"alert", d->alert},
                                  {"triage", triage ? triage->to_json() : json(nullptr)},
                                  {"flow_alerts", d->flow_alerts},
                                  {"flow_events", d->flow_events},
                                  {"truncated", d->truncated}});
}

}  // namespace vigil::collector

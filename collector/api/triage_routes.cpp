// Triage routes of CollectorServer (declared in collector/server.h):
//   PATCH /api/v1/alerts/{id}        one alert's status, assignee, comment
//   GET   /api/v1/alerts/{id}/triage its triage, history and comments
//   POST  /api/v1/alerts/triage      the same change for a list of ids or a filter
// Run on the server's handler threads; the store does the work in
// transactions (collector/store/sqlite_triage.cpp). Every change is audited
// as "alert.triage", in the transaction that makes it. A bulk request is one
// transaction (all of it or none of it) of at most triage.bulk_max alerts.
#include <spdlog/spdlog.h>

#include <chrono>

#include "collector/api/alert_filter.h"
#include "collector/api/triage_request.h"
#include "collector/server.h"
#include "common/time.h"

namespace vigil::collector {
namespace {

using nlohmann::json;

// A path segment that is an alert id: 1..18 digits.
std::optional<int64_t> alert_id(const std::string& seg) {
  if (seg.empty() || seg.size() > 18 || seg.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  return std::stoll(seg);
}

json change_json(const TriageChange& c) {
  json j = json::object();
  if (c.status) j["status"] = *c.status;
  if (c.assignee) j["assignee"] = *c.assignee;
  if (c.comment) j["comment"] = *c.comment;
  return j;
}

// A selection above collector.yaml triage.bulk_max: refused before anything changes.
Response too_many(size_t max) {
  return Response::error(413, "selection too large",
                         "a bulk triage changes at most " + std::to_string(max) +
                             " alerts in one request (collector.yaml triage.bulk_max); narrow the filter");
}

Response internal(const char* what, const StoreStatus& st) {
  spdlog::error("{}: {}", what, st.message);
  return Response::error(500, "internal error");
}

}  // namespace

Response CollectorServer::patch_alert(const Caller& c, const RequestHead& h, std::string body) {
  auto id = alert_id(c.param);
  if (!id) return Response::error(404, "no such alert", "the id is the alert's \"id\" in GET /api/v1/alerts");
  json j = json::parse(body, nullptr, false);
  TriageChange change;
  std::string why;
  if (!j.is_object() || !parse_triage_change(j, &change, &why, /*bulk=*/false))
    return Response::error(400, "bad triage request", why.empty() ? "a JSON object" : why);
  int64_t now = unix_now_s();
  AuditEntry audit{
      0, now, c.actor, "alert.triage", "alert:" + std::to_string(*id), h.peer, change_json(change)};
  uint64_t matched = 0;
  StoreStatus st = store_.triage_alerts({*id}, change, c.actor, now, &audit, &matched);
  if (!st.ok) return internal("triage", st);
  if (matched == 0)
    return Response::error(404, "no such alert", "the id is the alert's \"id\" in GET /api/v1/alerts");
  auto t = store_.get_triage(*id);
  if (!t) return Response::error(404, "no such alert");
  return Response::json(200, t->to_json());
}

Response CollectorServer::alert_triage(const Caller& c, const RequestHead&, std::string) {
  auto id = alert_id(c.param);
  auto t = id ? store_.get_triage(*id) : std::nullopt;
  if (!t) return Response::error(404, "no such alert", "the id is the alert's \"id\" in GET /api/v1/alerts");
  return Response::json(200, t->to_json());
}

Response CollectorServer::bulk_triage(const Caller& c, const RequestHead& h, std::string body) {
  json j = json::parse(body, nullptr, false);
  BulkTriageRequest req;
  std::string why;
  if (!j.is_object() || !parse_bulk_triage(j, &req, &why))
    return Response::error(400, "bad triage request", why.empty() ? "a JSON object" : why);
  std::vector<int64_t> ids = req.ids;
  if (req.filter) {
    // The ids the filter selects, newest first, in pages (the alert list's
    // own query); more than the cap without "all" is refused before anything
    // changes.
    AlertListQuery q;
    q.filter = *req.filter;
    q.limit = kMaxAlertLimit;
    for (;;) {
      AlertListPage page;
      StoreStatus st = store_.list_alerts(q, &page);
      if (!st.ok) return internal("triage filter", st);
      for (const auto& a : page.alerts) ids.push_back(a.value("id", int64_t{0}));
      if (ids.size() > opts_.bulk_triage_max) return too_many(opts_.bulk_triage_max);
      if (!req.all && ids.size() > kMaxBulkTriage) {
        return Response::error(400, "selection too large",
                               "the filter matches more than " + std::to_string(kMaxBulkTriage) +
                                   " alerts; narrow it or pass \"all\": true");
      }
      if (!page.next_cursor) break;
      q.cursor = page.next_cursor;
    }
  }
  if (ids.size() > opts_.bulk_triage_max) return too_many(opts_.bulk_triage_max);
  // One transaction for the whole selection, the audit entry inside it: a
  // failure part-way changes nothing and audits nothing.
  int64_t now = unix_now_s();
  json detail = change_json(req.change);
  if (req.filter)
    detail["filter"] = j["filter"];
  else
    detail["ids"] = req.ids;
  AuditEntry audit{0, now, c.actor, "alert.triage", "alerts", h.peer, detail};
  uint64_t updated = 0;
  auto t0 = std::chrono::steady_clock::now();
  StoreStatus st = store_.triage_alerts(ids, req.change, c.actor, now, &audit, &updated);
  if (!st.ok) return internal("bulk triage", st);
  // How long the write lock was held (ingest waited at most that long).
  spdlog::info(
      "bulk triage by {}: {} alerts in one transaction, {} ms", c.actor, updated,
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count());
  if (updated == 0) {
    // Nothing matched, nothing changed; the request is still audited once.
    audit.detail["count"] = 0;
    audit.detail["changed"] = 0;
    if (StoreStatus a = store_.append_audit(audit); !a.ok) return internal("audit", a);
  }
  return Response::json(200, json{{"updated", updated}});
}

}  // namespace vigil::collector

// The bodies of the triage routes, decoded and checked: PATCH
// /api/v1/alerts/{id} ({status, assignee, comment}) and POST
// /api/v1/alerts/triage ({ids | filter, all, status, assignee, comment}).
// Pure functions, called on the server's handler threads; a refusal comes
// back as false with a reason a person can act on (the route answers 400).
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "collector/store/store.h"

namespace vigil::collector {

// A bulk request changes at most this many alerts unless it says "all": true
// (a filter that matches more is refused before anything changes); with it,
// at most collector.yaml triage.bulk_max (one transaction).
inline constexpr size_t kMaxBulkTriage = 10000;

struct BulkTriageRequest {
  std::vector<int64_t> ids;
  std::optional<AlertFilter> filter;  // the alerts a filter selects (collector/api/alert_filter.h)
  bool all = false;
  TriageChange change;
};

// {status?, assignee?, comment?}: status one of kTriageStatuses; assignee a
// string of at most kMaxAssigneeLen bytes, "" or null to clear; comment 1 to
// kMaxCommentLen bytes. At least one; no other keys unless `bulk` (then ids,
// filter and all are the caller's).
bool parse_triage_change(const nlohmann::json& body, TriageChange* out, std::string* why, bool bulk);

// {"ids": [1, 2]} or {"filter": {...}} (the names of GET /api/v1/alerts, as
// parse_alert_filter_json reads them; an unknown name is refused), plus the
// change. Exactly one of ids and filter; at most kMaxBulkTriage ids unless
// "all": true.
bool parse_bulk_triage(const nlohmann::json& body, BulkTriageRequest* out, std::string* why);

}  // namespace vigil::collector

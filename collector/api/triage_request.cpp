#include "collector/api/triage_request.h"

#include "collector/api/alert_filter.h"

namespace vigil::collector {
namespace {

using nlohmann::json;

// A JSON number that is a non-negative integer (parsed text gives unsigned,
// a DOM built in code gives signed).
std::optional<uint64_t> as_uint(const json& v) {
  if (v.is_number_unsigned()) return v.get<uint64_t>();
  if (v.is_number_integer() && v.get<int64_t>() >= 0) return static_cast<uint64_t>(v.get<int64_t>());
  return std::nullopt;
}

bool fail(std::string* why, std::string msg) {
  *why = std::move(msg);
  return false;
}

}  // namespace

bool parse_triage_change(const json& body, TriageChange* out, std::string* why, bool bulk) {
  *out = {};
  for (const auto& [k, v] : body.items()) {
    if (k == "status") {
      if (!v.is_string() || !valid_triage_status(v.get<std::string>()))
        return fail(why, "status: one of new, acknowledged, escalated, false_positive, closed");
      out->status = v.get<std::string>();
    } else if (k == "assignee") {
      if (v.is_null()) {
        out->assignee = "";
      } else if (!v.is_string() || v.get<std::string>().size() > kMaxAssigneeLen) {
        return fail(why, "assignee: a user name of at most " + std::to_string(kMaxAssigneeLen) +
                             " bytes, or null to clear");
      } else {
        out->assignee = v.get<std::string>();
      }
    } else if (k == "comment") {
      if (!v.is_string() || v.get<std::string>().empty() || v.get<std::string>().size() > kMaxCommentLen)
        return fail(why, "comment: a string of 1 to " + std::to_string(kMaxCommentLen) + " bytes");
      out->comment = v.get<std::string>();
    } else if (!bulk || (k != "ids" && k != "filter" && k != "all")) {
      return fail(why, k + ": unknown field (status, assignee, comment)");
    }
  }
  if (out->empty()) return fail(why, "nothing to change: give status, assignee or comment");
  return true;
}

bool parse_bulk_triage(const json& body, BulkTriageRequest* out, std::string* why) {
  *out = {};
  if (!parse_triage_change(body, &out->change, why, true)) return false;
  if (body.contains("all")) {
    if (!body["all"].is_boolean()) return fail(why, "all: true or false");
    out->all = body["all"].get<bool>();
  }
  bool has_ids = body.contains("ids"), has_filter = body.contains("filter");
  if (has_ids == has_filter) return fail(why, "give either ids (a list of alert ids) or filter (an object)");
  if (has_filter) {
    out->filter.emplace();
    if (auto e = parse_alert_filter_json(body["filter"], &*out->filter))
      return fail(why, (e->param == "filter" ? "filter" : "filter." + e->param) + ": " + e->detail);
    return true;
  }
  const json& ids = body["ids"];
  if (!ids.is_array() || ids.empty()) return fail(why, "ids: a non-empty list of alert ids");
  if (!out->all && ids.size() > kMaxBulkTriage)
    return fail(why, "ids: more than " + std::to_string(kMaxBulkTriage) + " alerts; pass \"all\": true");
  for (const auto& v : ids) {
    auto n = as_uint(v);
    if (!n || *n == 0 || *n > INT64_MAX) return fail(why, "ids: alert ids are positive integers");
    out->ids.push_back(static_cast<int64_t>(*n));
  }
  return true;
}

}  // namespace vigil::collector

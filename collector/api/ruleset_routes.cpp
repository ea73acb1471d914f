// Rule-set routes of CollectorServer (declared in collector/server.h):
//   GET   /api/v1/rulesets            viewer: the history, newest first (version, when, who, rule and
//                                     error counts, what changed), without texts
//   GET   /api/v1/rulesets/{version}  viewer: the text agents get, the text as uploaded, the validation
//                                     report with its errors as items
//   POST  /api/v1/rulesets[?allow_errors=1]  admin: rule text, validated and published as PUT
//                                     /api/v1/ruleset does (the same upload_ruleset); errors as items
//                                     {file, line, sid, reason, text}
//   PATCH /api/v1/rules/{sid}         admin: {enabled: false, reason} comments the rule out of a new
//                                     version (as suricata-update's disable.conf does); {enabled: true}
//                                     puts it back
//   GET   /api/v1/rules/disabled      viewer: the disabled sids with reason, author, time
// Analysts may not change rules (a rule set applies to every agent). Every
// change is audited; agents get a new version at their next heartbeat.
// Runs on handler threads.
#include <spdlog/spdlog.h>

#include <charconv>

#include "collector/api/route_util.h"
#include "collector/server.h"
#include "common/time.h"

namespace vigil::collector {
namespace {

using nlohmann::json;

constexpr int kHistoryMax = 1000;
constexpr size_t kMaxReasonLen = 1000;

}  // namespace

// "rules:12: sid 2001: reason" -> {file, line, sid, reason, text}; a message
// of another form is {text} only.
json ruleset_error_item(const std::string& e) {
  json item{{"text", e}};
  size_t c1 = e.find(':');
  if (c1 == std::string::npos) return item;
  size_t c2 = e.find(':', c1 + 1);
  if (c2 == std::string::npos) return item;
  int64_t line = 0;
  auto [p, ec] = std::from_chars(e.data() + c1 + 1, e.data() + c2, line);
  if (ec != std::errc() || p != e.data() + c2) return item;
  item["file"] = e.substr(0, c1);
  item["line"] = line;
  std::string rest = e.substr(c2 + 1);
  if (!rest.empty() && rest[0] == ' ') rest.erase(0, 1);
  if (rest.rfind("sid ", 0) == 0) {
    size_t c3 = rest.find(':');
    int64_t sid = 0;
    auto [q, ec2] = std::from_chars(rest.data() + 4, rest.data() + (c3 == std::string::npos ? 4 : c3), sid);
    if (c3 != std::string::npos && ec2 == std::errc() && q == rest.data() + c3) {
      item["sid"] = sid;
      rest.erase(0, c3 + 1);
      if (!rest.empty() && rest[0] == ' ') rest.erase(0, 1);
    }
  }
  item["reason"] = rest;
  return item;
}

namespace {

json error_items(const json& errors) {
  json out = json::array();
  if (errors.is_array())
    for (const auto& e : errors)
      if (e.is_string()) out.push_back(ruleset_error_item(e.get<std::string>()));
  return out;
}

json history_json(const RulesetRecord& r) {
  const json& rep = r.report.is_object() ? r.report : json::object();
  json errors = rep.value("errors", json::array());
  return json{{"version", r.version},
              {"created_at", r.created_at},
              {"author", r.author},
              {"rules_loaded", rep.value("rules_loaded", 0)},
              {"rules_failed", rep.value("rules_failed", 0)},
              {"errors", errors.is_array() ? errors.size() : 0},
              {"change", rep.value("change", json{{"kind", "upload"}})}};
}

}  // namespace

Response CollectorServer::rulesets_list(const Caller&, const RequestHead&, std::string) {
  json arr = json::array();
  for (const auto& r : store_.list_rulesets(kHistoryMax)) arr.push_back(history_json(r));
  return Response::json(200, json{{"rulesets", arr}, {"current", arr.empty() ? json() : arr[0]["version"]}});
}

Response CollectorServer::ruleset_get(const Caller& c, const RequestHead&, std::string) {
  auto r = store_.get_ruleset(c.param);
  if (!r) return Response::error(404, "no such rule-set version", "see GET /api/v1/rulesets");
  json out = history_json(*r);
  out["text"] = r->text;
  out["uploaded_text"] = r->base;
  out["report"] = r->report;
  out["report"]["errors"] = error_items(r->report.is_object() ? r->report.value("errors", json()) : json());
  return Response::json(200, out);
}

// The same validation and publication as PUT /api/v1/ruleset (upload_ruleset),
// with the errors answered as items per line.
Response CollectorServer::rulesets_upload(const Caller& c, const RequestHead& h, std::string body) {
  bool allow = opts_.ruleset_allow_errors;
  if (const std::string* v = h.param("allow_errors")) {
    if (*v != "0" && *v != "1") return Response::error(400, "bad allow_errors", "0 or 1");
    allow = *v == "1";
  }
  json result;
  int status = upload_ruleset(body, allow, &result, c.actor);
  if (status == 500) {
    spdlog::error("rule set upload: {}", result.value("error", ""));
    return Response::error(500, "internal error");
  }
  if (result.contains("errors")) result["errors"] = error_items(result["errors"]);
  if (status == 200) {
    spdlog::info("rule set {} accepted", result["version"].get<std::string>());
    audit(c, h, "ruleset.upload", result["version"].get<std::string>(),
          json{{"rules_loaded", result.value("rules_loaded", 0)},
               {"rules_failed", result.value("rules_failed", 0)}});
    status = 201;
  }
  return Response::json(status, result);
}

Response CollectorServer::rules_disabled(const Caller&, const RequestHead&, std::string) {
  json arr = json::array();
  for (const auto& d : store_.list_disabled_rules())
    arr.push_back(
        json{{"sid", d.sid}, {"reason", d.reason}, {"author", d.author}, {"disabled_at", d.disabled_at}});
  return Response::json(200, json{{"rules", arr}});
}

Response CollectorServer::rule_patch(const Caller& c, const RequestHead& h, std::string body) {
  const std::string& seg = c.param;
  int64_t sid = 0;
  auto [p, ec] = std::from_chars(seg.data(), seg.data() + seg.size(), sid);
  if (seg.empty() || seg.size() > 10 || ec != std::errc() || p != seg.data() + seg.size() || sid < 1 ||
      sid > UINT32_MAX)
    return Response::error(404, "no such rule", "PATCH /api/v1/rules/SID with a signature id");
  Response bad;
  auto j = api_util::object_body(body, &bad);
  if (!j) return bad;
  for (const auto& [k, v] : j->items())
    if (k != "enabled" && k != "reason")
      return Response::error(400, "bad rule change", k + ": unknown field (enabled, reason)");
  if (!j->contains("enabled") || !(*j)["enabled"].is_boolean())
    return Response::error(400, "bad rule change", "enabled: true or false");
  bool enabled = (*j)["enabled"].get<bool>();
  std::string reason;
  if (j->contains("reason")) {
    if (!(*j)["reason"].is_string()) return Response::error(400, "bad rule change", "reason: a string");
    reason = (*j)["reason"].get<std::string>();
  }
  if ((!enabled && reason.empty()) || reason.size() > kMaxReasonLen)
    return Response::error(400, "bad rule change", "reason: required to disable, at most 1000 bytes");
  int64_t now = unix_now_s();
  AuditEntry audit{0, now, c.actor, "", "", h.peer, nullptr};
  RuleToggle result = RuleToggle::kUnchanged;
  std::string version;
  StoreStatus st = store_.set_rule_enabled(sid, enabled, reason, c.actor, now, audit, &result, &version);
  if (!st.ok) {
    spdlog::error("rule {}: {}", sid, st.message);
    return Response::error(500, "internal error");
  }
  if (result == RuleToggle::kNoRuleset)
    return Response::error(404, "no rule set uploaded", "upload one with POST /api/v1/rulesets");
  if (result == RuleToggle::kUnknownSid)
    return Response::error(404, "no rule with that sid in the current rule set", "see GET /api/v1/ruleset");
  if (result == RuleToggle::kChanged)
    spdlog::info("rule {} {} by {}: rule set {}", sid, enabled ? "enabled" : "disabled", c.actor, version);
  json out{{"sid", sid}, {"enabled", enabled}, {"changed", result == RuleToggle::kChanged}};
  out["version"] = result == RuleToggle::kChanged ? version : store_.current_ruleset_version();
  return Response::json(200, out);
}

}  // namespace vigil::collector

// Suppression routes of CollectorServer (declared in collector/server.h):
//   GET    /api/v1/suppressions[?all=1]  viewer and up: active ones (all: also expired, removed)
//   POST   /api/v1/suppressions          admin: {sid, gid?, track?, cidr?, reason, expires_at}
//   DELETE /api/v1/suppressions/{id}     admin: marks it removed (the row stays)
// Analysts may not suppress: a suppression hides alerts from everyone.
// Each change is audited ("suppression.add", "suppression.remove") and
// makes the server's SuppressionCache read the store again, which changes
// the rule-set version agents are told (collector/suppression.h).
#include <spdlog/spdlog.h>

#include <chrono>

#include "collector/server.h"
#include "common/time.h"

namespace vigil::collector {
namespace {

using nlohmann::json;

constexpr size_t kMaxReasonLen = 1000;

}  // namespace

// The body of POST /api/v1/suppressions, checked; false + *why on a refusal.
bool parse_suppression(const json& j, int64_t now, Suppression* s, std::string* why) {
  auto fail = [&](std::string m) {
    *why = std::move(m);
    return false;
  };
  if (!j.is_object()) return fail("a JSON object");
  for (const auto& [k, v] : j.items()) {
    if (k != "sid" && k != "gid" && k != "track" && k != "cidr" && k != "reason" && k != "expires_at")
      return fail(k + ": unknown field (sid, gid, track, cidr, reason, expires_at)");
  }
  // Non-negative integers: unsigned from parsed text, signed from a DOM built in code.
  auto as_uint = [](const json& v) -> std::optional<uint64_t> {
    if (v.is_number_unsigned()) return v.get<uint64_t>();
    if (v.is_number_integer() && v.get<int64_t>() >= 0) return static_cast<uint64_t>(v.get<int64_t>());
    return std::nullopt;
  };
  auto id_field = [&](const char* k, uint32_t* out) {
    auto n = as_uint(j[k]);
    if (!n || *n == 0 || *n > UINT32_MAX) return false;
    *out = static_cast<uint32_t>(*n);
    return true;
  };
  if (!j.contains("sid") || !id_field("sid", &s->sid)) return fail("sid: a signature id, 1 to 4294967295");
  if (j.contains("gid") && !id_field("gid", &s->gid)) return fail("gid: 1 to 4294967295 (default 1)");
  if (j.contains("track")) {
    const json& t = j["track"];
    if (!t.is_string() || (t != "none" && t != "by_src" && t != "by_dst"))
      return fail("track: none, by_src or by_dst");
    s->track = t.get<std::string>();
  }
  if (s->track == "none") {
    if (j.contains("cidr")) return fail("cidr: only with track by_src or by_dst");
  } else {
    const json& c = j.contains("cidr") ? j["cidr"] : json();
    auto cidr = c.is_string() ? Cidr::parse(c.get<std::string>()) : std::nullopt;
    if (!cidr) return fail("cidr: an IPv4 or IPv6 address or network, like 10.0.0.0/8 or 2001:db8::/32");
    s->cidr = cidr->str();
  }
  const json& r = j.contains("reason") ? j["reason"] : json();
  if (!r.is_string() || r.get<std::string>().empty() || r.get<std::string>().size() > kMaxReasonLen)
    return fail("reason: required, 1 to " + std::to_string(kMaxReasonLen) + " bytes");
  s->reason = r.get<std::string>();
  const json& e = j.contains("expires_at") ? j["expires_at"] : json();
  if (e == "never") {
    s->expires_at = 0;
  } else if (auto n = as_uint(e); n && *n > static_cast<uint64_t>(now) && *n < 100000000000ULL) {
    s->expires_at = static_cast<int64_t>(*n);
  } else {
    return fail("expires_at: required; unix seconds in the future, or \"never\"");
  }
  return true;
}

Response CollectorServer::list_suppressions(const Caller&, const RequestHead& h, std::string) {
  bool all = false;
  if (const std::string* v = h.param("all")) {
    if (*v != "0" && *v != "1") return Response::error(400, "bad all", "0 or 1");
    all = *v == "1";
  }
  int64_t now = unix_now_s();
  json arr = json::array();
  int64_t total = 0;
  for (const auto& s : store_.list_suppressions(true, now)) {
    total += s.hits;
    if (all || s.active(now)) arr.push_back(s.to_json(now));
  }
  auto set = suppressions_.current(now);
  return Response::json(200, json{{"suppressions", arr},
                                  {"suppressed_total", total},
                                  {"threshold", set->threshold()},
                                  {"version_suffix", set->version_suffix()}});
}

Response CollectorServer::add_suppression(const Caller& c, const RequestHead& h, std::string body) {
  int64_t now = unix_now_s();
  Suppression s;
  std::string why;
  if (!parse_suppression(json::parse(body, nullptr, false), now, &s, &why))
    return Response::error(400, "bad suppression", why);
  s.author = c.actor;
  s.created_at = now;
  AuditEntry audit{0, now, c.actor, "suppression.add", "", h.peer, s.to_json(now)};
  audit.detail.erase("id");
  audit.detail.erase("hits");
  StoreStatus st = store_.add_suppression(&s, audit);
  if (!st.ok) {
    spdlog::error("suppression: {}", st.message);
    return Response::error(500, "internal error");
  }
  suppressions_.invalidate();
  spdlog::info("suppression {} (gid {} sid {}) added by {}", s.id, s.gid, s.sid, c.actor);
  return Response::json(201, s.to_json(now));
}

Response CollectorServer::remove_suppression(const Caller& c, const RequestHead& h, std::string) {
  const std::string& seg = c.param;
  if (seg.empty() || seg.size() > 18 || seg.find_first_not_of("0123456789") != std::string::npos)
    return Response::error(404, "no such suppression");
  int64_t id = std::stoll(seg), now = unix_now_s();
  bool found = false;
  AuditEntry audit{0, now, c.actor, "suppression.remove", "suppression:" + seg, h.peer, nullptr};
  StoreStatus st = store_.remove_suppression(id, now, audit, &found);
  if (!st.ok) {
    spdlog::error("suppression: {}", st.message);
    return Response::error(500, "internal error");
  }
  if (!found) return Response::error(404, "no such active suppression", "see GET /api/v1/suppressions?all=1");
  suppressions_.invalidate();
  return Response::json(200, json{{"removed", id}});
}

}  // namespace vigil::collector

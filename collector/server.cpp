#include "collector/server.h"

#include <openssl/crypto.h>
#include <spdlog/spdlog.h>

#include <charconv>
#include <chrono>

#include "collector/auth/credentials.h"
#include "collector/forward/forwarder.h"
#include "collector/http/http_server.h"
#include "collector/ingest.h"
#include "collector/store/sqlite_db.h"
#include "common/time.h"
#include "common/wire.h"

namespace vigil::collector {
namespace {

using nlohmann::json;

Response refuse(int status, std::string_view why, std::string_view detail = {}) {
  return Response::error(status, why, detail);
}

std::string bearer(const RequestHead& req) {
  const std::string* h = req.header("authorization");
  constexpr std::string_view kPrefix = "Bearer ";
  if (!h || h->size() <= kPrefix.size() || h->compare(0, kPrefix.size(), kPrefix) != 0) return {};
  return h->substr(kPrefix.size());
}

bool same_hash(const std::string& a, const std::string& b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// A hostname as an agent reports it at enrolment: 1..255 printable ASCII bytes.
bool valid_hostname(const std::string& h) {
  if (h.empty() || h.size() > 255) return false;
  for (unsigned char c : h)
    if (c < 0x20 || c > 0x7e) return false;
  return true;
}

// "/api/v1/agents/*/heartbeats" against a path; "*" is one segment of
// [A-Za-z0-9-] (an agent id), returned in *param.
bool match_path(std::string_view pattern, std::string_view path, std::string* param) {
  size_t star = pattern.find('*');
  if (star == std::string_view::npos) return pattern == path;
  std::string_view pre = pattern.substr(0, star), post = pattern.substr(star + 1);
  if (path.size() <= pre.size() + post.size() || path.substr(0, pre.size()) != pre ||
      path.substr(path.size() - post.size()) != post)
    return false;
  std::string_view seg = path.substr(pre.size(), path.size() - pre.size() - post.size());
  if (seg.size() > 64) return false;
  for (char c : seg)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-')) return false;
  *param = std::string(seg);
  return true;
}

}  // namespace

int upload_ruleset(Store& store, const RulesetValidator& validator, const std::string& text,
                   bool allow_errors, json* result, const std::string& author) {
  RulesetCheck chk = validator(text);
  *result = chk.to_json();
  if (!chk.usable || (!chk.errors.empty() && !allow_errors)) {
    (*result)["error"] =
        chk.usable ? "rule set has errors (use allow_errors to load the good rules)" : "rule set is unusable";
    return 422;
  }
  std::string version;
  StoreStatus st = store.put_ruleset(text, chk.to_json(), unix_now_s(), author, &version);
  if (!st.ok) {
    *result = json{{"error", st.message}};
    return 500;
  }
  (*result)["version"] = version;
  return 200;
}

namespace {
// Who may call a route, and which body cap applies.
// kMetrics: anyone, or any API key when metrics.api_key_required is set.
enum class Who { kAnyone, kAgent, kKey, kAgentOrKey, kMetrics };
enum class Cap { kOther, kEvents, kRuleset, kHeartbeat };
}  // namespace

struct CollectorServer::Route {
  const char* method;
  const char* path;  // exact, or with one "*" segment
  Who who;
  Role role;  // for kKey
  Cap cap;
  bool body_required;
  Response (CollectorServer::*fn)(const Caller&, const RequestHead&, std::string);
};

CollectorServer::CollectorServer(Store& store, ServerOptions opts, RulesetValidator validator)
    : store_(store), opts_(std::move(opts)), validator_(std::move(validator)) {}

CollectorServer::~CollectorServer() = default;

bool CollectorServer::start(std::string* error) {
  http_ = std::make_unique<HttpServer>(
      opts_.limits, opts_.threads, [this](const RequestHead& h) { return admit(h); }, counters_);
  if (!http_->start(opts_.host, opts_.port, opts_.cert_path, opts_.key_path, error)) return false;
  port_ = http_->port();
  if (opts_.accounts) dummy_hash();  // made now, so the first unknown name costs no more than a known one
  return true;
}

void CollectorServer::run() {
  http_->run();
}

void CollectorServer::stop() {
  if (http_) http_->stop();
}

int CollectorServer::upload_ruleset(const std::string& text, bool allow_errors, json* result,
                                    const std::string& author) {
  return vigil::collector::upload_ruleset(store_, validator_, text, allow_errors, result, author);
}

// Agent credentials: "Bearer AGENT_ID.KEY". 401 unknown/missing, 403 revoked.
std::optional<Response> CollectorServer::auth_agent(const RequestHead& req, std::string* agent_id) {
  std::string cred = bearer(req);
  size_t dot = cred.find('.');
  if (cred.empty() || dot == std::string::npos)
    return refuse(401, "agent credentials required", "send Authorization: Bearer AGENT_ID.KEY");
  std::string id = cred.substr(0, dot);
  AgentAuth a = store_.agent_auth(id);
  if (!a.exists || !same_hash(a.key_hash, sha256_hex(std::string_view(cred).substr(dot + 1))))
    return refuse(401, "unknown agent or wrong key", "enrol the agent again");
  if (a.revoked) return refuse(403, "agent revoked", "an administrator revoked this agent");
  *agent_id = id;
  return std::nullopt;
}

// API key with at least the role `need`.
// Also a user token ("vgu_...") or, without Authorization, the session cookie.
std::optional<Response> CollectorServer::auth_key(const RequestHead& req, Role need, Caller* caller) {
  std::string key = bearer(req);
  if (opts_.accounts) {
    if (key.empty()) {
      std::string cookie = session_cookie(req);
      if (!cookie.empty()) return auth_session(req, cookie, need, caller);
    } else if (key.rfind(kUserTokenPrefix, 0) == 0) {
      return auth_user_token(key, need, caller);
    }
  }
  if (key.empty() || key.find('.') != std::string::npos)
    return refuse(401, "API key required", "send Authorization: Bearer API_KEY");
  std::string hash = sha256_hex(key);
  auto role = store_.api_key_role(hash);
  if (!role) return refuse(401, "unknown API key", "create one with vigil-collector apikey create");
  if (static_cast<int>(*role) < static_cast<int>(need))
    return refuse(403, std::string("role ") + role_name(need) + " required", "use a key with that role");
  caller->actor = "apikey:" + hash.substr(0, kCredentialIdLen);
  caller->role = *role;
  return std::nullopt;
}

const std::vector<CollectorServer::Route>& CollectorServer::route_table() {
  using S = CollectorServer;
  static const std::vector<Route> kRoutes = {
      {"POST", wire::kEnrollPath, Who::kAnyone, Role::kViewer, Cap::kOther, true, &S::enroll},
      {"POST", wire::kEventsPath, Who::kAgent, Role::kViewer, Cap::kEvents, true, &S::events},
      {"POST", wire::kHeartbeatPath, Who::kAgent, Role::kViewer, Cap::kHeartbeat, true, &S::heartbeat},
      {"GET", wire::kRulesetPath, Who::kAgentOrKey, Role::kViewer, Cap::kOther, false, &S::get_ruleset},
      {"PUT", wire::kRulesetPath, Who::kKey, Role::kAdmin, Cap::kRuleset, true, &S::put_ruleset},
      {"GET", "/api/v1/alerts", Who::kKey, Role::kViewer, Cap::kOther, false, &S::alerts},
      {"GET", "/api/v1/alerts/export", Who::kKey, Role::kViewer, Cap::kOther, false, &S::alerts_export},
      {"GET", "/api/v1/alerts/*", Who::kKey, Role::kViewer, Cap::kOther, false, &S::alert_detail},
      {"GET", "/api/v1/stats/alerts", Who::kKey, Role::kViewer, Cap::kOther, false, &S::alert_stats},
      {"GET", "/api/v1/agents", Who::kKey, Role::kViewer, Cap::kOther, false, &S::agents},
      {"GET", "/api/v1/agents/*/heartbeats", Who::kKey, Role::kViewer, Cap::kOther, false, &S::heartbeats},
      {"GET", "/api/v1/server/stats", Who::kKey, Role::kAdmin, Cap::kOther, false, &S::stats},
      {"POST", "/api/v1/session", Who::kAnyone, Role::kViewer, Cap::kOther, true, &S::login},
      {"GET", "/api/v1/session", Who::kKey, Role::kViewer, Cap::kOther, false, &S::session_get},
      {"DELETE", "/api/v1/session", Who::kKey, Role::kViewer, Cap::kOther, false, &S::logout},
      {"GET", "/api/v1/users", Who::kKey, Role::kAdmin, Cap::kOther, false, &S::users_list},
      {"POST", "/api/v1/users", Who::kKey, Role::kAdmin, Cap::kOther, true, &S::users_add},
      {"PATCH", "/api/v1/users/*", Who::kKey, Role::kViewer, Cap::kOther, true, &S::users_patch},
      {"POST", "/api/v1/users/me/tokens", Who::kKey, Role::kViewer, Cap::kOther, true, &S::tokens_create},
      {"GET", "/api/v1/users/me/tokens", Who::kKey, Role::kViewer, Cap::kOther, false, &S::tokens_list},
      {"DELETE", "/api/v1/users/me/tokens/*", Who::kKey, Role::kViewer, Cap::kOther, false,
       &S::tokens_revoke},
      {"GET", "/api/v1/audit", Who::kKey, Role::kAdmin, Cap::kOther, false, &S::audit_list},
      {"GET", "/api/v1/openapi.json", Who::kAnyone, Role::kViewer, Cap::kOther, false, &S::openapi},
      {"POST", "/api/v1/alerts/triage", Who::kKey, Role::kAnalyst, Cap::kOther, true, &S::bulk_triage},
      {"PATCH", "/api/v1/alerts/*", Who::kKey, Role::kAnalyst, Cap::kOther, true, &S::patch_alert},
      {"GET", "/api/v1/alerts/*/triage", Who::kKey, Role::kViewer, Cap::kOther, false, &S::alert_triage},
      {"GET", "/api/v1/suppressions", Who::kKey, Role::kViewer, Cap::kOther, false, &S::list_suppressions},
      {"POST", "/api/v1/suppressions", Who::kKey, Role::kAdmin, Cap::kOther, true, &S::add_suppression},
      {"DELETE", "/api/v1/suppressions/*", Who::kKey, Role::kAdmin, Cap::kOther, false,
       &S::remove_suppression},
      {"POST", "/api/v1/enrollment-tokens", Who::kKey, Role::kAdmin, Cap::kOther, false,
       &S::enrollment_token_create},
      {"GET", "/api/v1/enrollment-tokens", Who::kKey, Role::kAdmin, Cap::kOther, false,
       &S::enrollment_token_list},
      {"DELETE", "/api/v1/enrollment-tokens/*", Who::kKey, Role::kAdmin, Cap::kOther, false,
       &S::enrollment_token_revoke},
      {"DELETE", "/api/v1/agents/*", Who::kKey, Role::kAdmin, Cap::kOther, false, &S::agent_revoke},
      {"GET", "/api/v1/rulesets", Who::kKey, Role::kViewer, Cap::kOther, false, &S::rulesets_list},
      {"POST", "/api/v1/rulesets", Who::kKey, Role::kAdmin, Cap::kRuleset, true, &S::rulesets_upload},
      {"GET", "/api/v1/rulesets/*", Who::kKey, Role::kViewer, Cap::kOther, false, &S::ruleset_get},
      {"GET", "/api/v1/rules/disabled", Who::kKey, Role::kViewer, Cap::kOther, false, &S::rules_disabled},
      {"PATCH", "/api/v1/rules/*", Who::kKey, Role::kAdmin, Cap::kOther, true, &S::rule_patch},
      {"GET", "/metrics", Who::kMetrics, Role::kViewer, Cap::kOther, false, &S::metrics},
  };
  return kRoutes;
}

std::vector<std::pair<std::string, std::string>> CollectorServer::route_list() {
  std::vector<std::pair<std::string, std::string>> out;
  for (const Route& r : route_table()) out.emplace_back(r.method, r.path);
  return out;
}

Admission CollectorServer::admit(const RequestHead& h) {
  Admission a;
  if (WebUi::handles(h.path)) {  // static files: no credentials; the page logs in through the API
    a.answer = web_.serve(h);
    return a;
  }
  const Route* route = nullptr;
  bool path_known = false;
  Caller caller;
  for (const Route& r : route_table()) {
    std::string param;
    if (!match_path(r.path, h.path, &param)) continue;
    path_known = true;
    if (h.method == r.method) {
      route = &r;
      caller.param = std::move(param);
      break;
    }
  }
  if (!route) {
    a.answer = path_known ? refuse(405, "method not allowed") : refuse(404, "not found", "see the API table");
    return a;
  }
  std::optional<Response> refused;
  switch (route->who) {
    case Who::kAnyone:
      break;
    case Who::kAgent:
      refused = auth_agent(h, &caller.agent_id);
      break;
    case Who::kKey:
      refused = auth_key(h, route->role, &caller);
      break;
    case Who::kMetrics:
      if (opts_.metrics_api_key_required) refused = auth_key(h, Role::kViewer, &caller);
      break;
    case Who::kAgentOrKey:
      refused = bearer(h).find('.') != std::string::npos ? auth_agent(h, &caller.agent_id)
                                                         : auth_key(h, Role::kViewer, &caller);
      break;
  }
  if (refused) {
    a.answer = std::move(refused);
    return a;
  }
  const HttpLimits& l = opts_.limits;
  switch (route->cap) {
    case Cap::kEvents:
      a.max_body = static_cast<uint64_t>(l.max_body_events);
      a.max_inflated = static_cast<uint64_t>(l.max_inflated_events);
      break;
    case Cap::kRuleset:
      a.max_body = a.max_inflated = static_cast<uint64_t>(l.max_body_ruleset);
      break;
    case Cap::kHeartbeat:
      a.max_body = a.max_inflated = static_cast<uint64_t>(l.max_body_heartbeat);
      break;
    case Cap::kOther:
      a.max_body = a.max_inflated = static_cast<uint64_t>(l.max_body_other);
      break;
  }
  a.body_required = route->body_required;
  a.handle = [this, fn = route->fn, caller = std::move(caller)](const RequestHead& head, std::string body) {
    return (this->*fn)(caller, head, std::move(body));
  };
  return a;
}

// Enrolment: the body is checked in full (common/wire.h) before the token is used up.
Response CollectorServer::enroll(const Caller&, const RequestHead& h, std::string text) {
  wire::EnrollRequest req;
  std::string why;
  if (!wire::decode_enroll_request(text, &req, &why)) return refuse(400, "bad enrolment request", why);
  if (!req.hostname.empty() && !valid_hostname(req.hostname))
    return refuse(400, "bad hostname", "a string of 1 to 255 printable ASCII characters");
  TokenUse u = store_.use_token(sha256_hex(req.token), unix_now_s());
  if (u == TokenUse::kUnknown)
    return refuse(401, "unknown token", "create one with vigil-collector token create");
  if (u == TokenUse::kExpired) return refuse(403, "token expired", "create a new token");
  if (u == TokenUse::kUsedUp) return refuse(403, "token used up", "create a new token");
  std::string id = "ag-" + random_hex(8), key = random_hex(32);
  StoreStatus st = store_.add_agent(id, sha256_hex(key), req.hostname, unix_now_s(), h.peer);
  if (!st.ok) {
    spdlog::error("enrolment: {}", st.message);
    return refuse(500, "internal error");
  }
  spdlog::info("enrolled agent {} ({})", id, req.hostname);
  Response r;
  r.status = 200;
  r.body = wire::encode_enroll_answer({id, key, opts_.heartbeat_interval_s});
  return r;
}

namespace {
Response from_api_reply(ApiReply a) {
  Response r;
  r.status = a.status;
  r.body = std::move(a.body);
  return r;
}
}  // namespace

// The batch and heartbeat logic is collector/ingest.h (transport-free).
Response CollectorServer::events(const Caller& c, const RequestHead&, std::string body) {
  int64_t now = unix_now_s();
  return from_api_reply(handle_ingest(store_, c.agent_id, body, now, suppressions_.current(now).get(),
                                      &ingest_counters_, &store_ingest_seconds_, opts_.forward));
}

Response CollectorServer::heartbeat(const Caller& c, const RequestHead& h, std::string body) {
  int64_t now = unix_now_s();
  return from_api_reply(handle_heartbeat(store_, c.agent_id, body, now, opts_.heartbeat_interval_s,
                                         suppressions_.current(now)->version_suffix(), h.peer));
}

Response CollectorServer::get_ruleset(const Caller&, const RequestHead&, std::string) {
  auto rs = store_.current_ruleset();
  if (!rs) return refuse(404, "no rule set uploaded", "upload one with PUT /api/v1/ruleset");
  // Active suppressions travel with the rule set as threshold.config lines;
  // the version names both, so agents fetch again when either changes.
  auto sup = suppressions_.current(unix_now_s());
  return Response::json(200, json{{"version", rs->version + sup->version_suffix()},
                                  {"text", rs->text},
                                  {"threshold", sup->threshold()},
                                  {"report", rs->report}});
}

Response CollectorServer::put_ruleset(const Caller& c, const RequestHead& h, std::string body) {
  bool allow = opts_.ruleset_allow_errors;
  if (const std::string* v = h.param("allow_errors")) {
    if (*v != "0" && *v != "1") return refuse(400, "bad allow_errors", "0 or 1");
    allow = *v == "1";
  }
  json result;
  int status = upload_ruleset(body, allow, &result, c.actor);
  if (status == 500) {
    spdlog::error("rule set upload: {}", result.value("error", ""));
    return refuse(500, "internal error");
  }
  if (status == 200) {
    spdlog::info("rule set {} accepted", result["version"].get<std::string>());
    audit(c, h, "ruleset.upload", result["version"].get<std::string>());
  }
  return Response::json(status, result);
}

const char* agent_status(const AgentRecord& a, int64_t now, int offline_after_s) {
  return a.revoked                             ? "revoked"
         : a.last_seen == 0                    ? "never_seen"
         : now - a.last_seen > offline_after_s ? "offline"
                                               : "online";
}

Response CollectorServer::agents(const Caller&, const RequestHead&, std::string) {
  json arr = json::array();
  int64_t now = unix_now_s();
  for (const auto& a : store_.list_agents()) {
    std::string status = agent_status(a, now, opts_.offline_after_s);
    arr.push_back(json{{"id", a.id},
                       {"hostname", a.hostname},
                       {"address", a.address.empty() ? json(nullptr) : json(a.address)},
                       {"status", status},
                       {"last_seen", a.last_seen},
                       {"enrolled_at", a.enrolled_at},
                       {"version", a.version},
                       {"ruleset_version", a.ruleset_version},
                       {"heartbeat", a.last_heartbeat}});
  }
  return Response::json(200, json{{"agents", arr}});
}

Response CollectorServer::heartbeats(const Caller& c, const RequestHead&, std::string) {
  return Response::json(200, json{{"heartbeats", store_.heartbeat_history(c.param, 100)}});
}

Response CollectorServer::stats(const Caller&, const RequestHead&, std::string) {
  json out = counters_.to_json();
  auth_counters_.add_to(out);
  out["store.corrupt_errors"] = store_corrupt_errors();
  ingest_counters_.visit([&](const char* name, uint64_t v) { out[name] = v; });
  if (opts_.forward) opts_.forward->add_to(out);  // forward.<name>.*
  return Response::json(200, out);
}

}  // namespace vigil::collector

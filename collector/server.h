// The collector's HTTPS server: agent enrolment, event ingest, heartbeats,
// rule-set distribution and the read API, on one address.
//
// main() constructs it, calls start() (binds; port 0 picks a free port) and
// run() (blocks until stop() from another thread or a signal handler thread).
// The transport (collector/http/) reads each request's head, asks admit()
// here which route it is and whether its credentials are good, and only then
// reads the body under the route's caps. Route code runs on a bounded pool of
// handler threads (`threads`) and shares the thread-safe Store.
//
// Endpoints (JSON unless said otherwise):
//   POST /api/v1/enroll           {token, hostname} -> {agent_id, key}           (no credentials)
//   POST /api/v1/events           {agent_id, batch_seq, events:[{uid, eve}]}, gzip -> {acked_seq} (agent)
//   POST /api/v1/heartbeat        agent stats -> {ruleset_version, heartbeat_interval_s, highest_seq} (agent)
//   GET  /api/v1/ruleset          -> {version, text}                             (agent or API key)
//   PUT  /api/v1/ruleset          rule text -> {version, ...} | 422 {errors}     (admin key)
//   GET  /api/v1/alerts           filters -> {total, total_exact, alerts, next_cursor};
//                                 group=1 -> {groups}                        (viewer)
//   GET  /api/v1/alerts/ID        -> {alert, triage, flow_alerts, flow_events} (viewer)
//   GET  /api/v1/alerts/export    filters, format=csv|json -> streamed rows  (viewer)
//   PATCH /api/v1/alerts/ID       {status, assignee, comment} -> its triage  (analyst)
//   GET  /api/v1/alerts/ID/triage -> {status, assignee, history, comments}   (viewer)
//   POST /api/v1/alerts/triage    {ids | filter, status, ...} -> {updated}   (analyst)
//   GET  /api/v1/suppressions     [?all=1] -> {suppressions, ...}            (viewer)
//   POST /api/v1/suppressions     {sid, gid, track, cidr, reason, expires_at} (admin)
//   DELETE /api/v1/suppressions/ID -> {removed}                              (admin)
//   GET  /api/v1/stats/alerts     from to interval top ... -> aggregations   (viewer)
//   GET  /api/v1/agents           -> {agents:[...]}                          (viewer)
//   GET  /api/v1/agents/ID/heartbeats -> {heartbeats:[...]}                  (viewer)
//   GET  /metrics                 -> the counters, gauges and store latencies in the
//                                 Prometheus text format (collector/api/metrics_route.cpp)
//                                 (no credentials; any API key with metrics.api_key_required)
//   GET  /api/v1/server/stats     -> the transport's and forwarding counters (admin)
//   POST|GET /api/v1/enrollment-tokens, DELETE .../ID; DELETE /api/v1/agents/ID (admin)
//   GET /api/v1/rulesets[/VERSION] (viewer), POST /api/v1/rulesets, PATCH /api/v1/rules/SID (admin),
//   GET /api/v1/rules/disabled (viewer)
//   /api/v1/session, /api/v1/users..., /api/v1/audit: people (collector/api/)
//   GET  /api/v1/openapi.json     -> the whole API as OpenAPI 3.0            (no credentials)
//   GET  / and /ui/...            -> the web UI's files (collector/web_ui.h)  (no credentials)
// Route code: collector/api/*_routes.cpp (alerts, triage, suppressions,
// sessions, users, stats) and here.
// The bodies and answers of the agent endpoints are common/wire.h; their
// logic is collector/ingest.h.
// Agents authenticate with "Authorization: Bearer AGENT_ID.KEY", scripts with
// "Authorization: Bearer API_KEY" or a user's token ("Bearer vgu_..."), people
// with the session cookie of POST /api/v1/session plus, on every request
// other than GET, "X-CSRF-Token" (403 without it). Missing or unknown credentials: 401;
// revoked agents and insufficient roles: 403. Nothing is stored on refusal.
// Every refusal is {"error": short reason, "detail": what to do}.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "collector/auth/auth_counters.h"
#include "collector/auth/login_throttle.h"
#include "collector/auth/password.h"
#include "collector/http/http_counters.h"
#include "collector/http/limits.h"
#include "collector/http/message.h"
#include "collector/ingest.h"
#include "collector/ruleset_check.h"
#include "collector/store/account_store.h"
#include "collector/store/store.h"
#include "collector/suppression.h"
#include "collector/tls_material.h"
#include "collector/web_ui.h"
#include "common/prometheus.h"

namespace vigil::collector {

class HttpServer;
struct Admission;
class RetentionRunner;
namespace forward {
class Forwarder;
}

struct ServerOptions {
  std::string host = "0.0.0.0";
  int port = 8443;  // 0: any free port (see CollectorServer::port())
  std::string cert_path, key_path;
  int heartbeat_interval_s = 5;
  int offline_after_s = 15;
  bool ruleset_allow_errors = false;
  int threads = 16;   // handler threads (store calls); the event loop has limits.io_threads
  HttpLimits limits;  // connections, timeouts, body caps
  // People (sessions, users, user tokens); null: only API keys and agents.
  // Not owned; outlives the server.
  AccountStore* accounts = nullptr;
  SessionPolicy session;       // collector.yaml session.*
  ThrottlePolicy login;        // collector.yaml login.*
  PasswordCost password_cost;  // for passwords set through the API
  // collector.yaml triage.bulk_max: alerts one bulk triage may change.
  size_t bulk_triage_max = 100000;
  // collector.yaml web.dir: serve the UI from this folder; empty: the embedded files.
  std::string web_dir;
  // collector.yaml metrics.api_key_required: GET /metrics wants an API key (any role).
  bool metrics_api_key_required = false;
  // collector.yaml forward: alerts newly stored are handed to it; null: none.
  // Not owned; outlives the server.
  forward::Forwarder* forward = nullptr;
};

class CollectorServer {
 public:
  CollectorServer(Store& store, ServerOptions opts, RulesetValidator validator);
  ~CollectorServer();
  // Loads the certificate and binds; false + *error when it cannot.
  bool start(std::string* error);
  int port() const { return port_; }
  void run();   // serves until stop()
  void stop();  // thread-safe

  // Validates and stores a rule set (also used by the CLI); fills *result
  // with {version} or {errors}; returns the HTTP status it maps to (200/422/500).
  int upload_ruleset(const std::string& text, bool allow_errors, nlohmann::json* result,
                     const std::string& author = "");

  // Every route as (method, path) with "*" for its one variable segment:
  // the OpenAPI test checks each is documented.
  static std::vector<std::pair<std::string, std::string>> route_list();

  // What the retention thread deleted, shown by GET /metrics; set before run()
  // (it is made after the server), cleared before it goes.
  void set_retention(const RetentionRunner* r) { retention_.store(r); }

 private:
  struct Route;
  // Who calls a route (routes defined in collector/api/*.cpp read it too).
  struct Caller {
    std::string agent_id;  // set for agent routes
    std::string param;     // the path's "*" segment, if any
    // Set for person and script routes: who is calling, as the audit log and
    // triage history name them ("apikey:ID" for an API key), and their role.
    std::string actor;
    Role role = Role::kViewer;
    std::string user;          // the person (session or user token); empty for an API key
    std::string session_hash;  // set when authenticated by the session cookie
  };
  static const std::vector<Route>& route_table();
  // On a handler thread, from the head alone: the route, its caps and the
  // caller's credentials (asked of the store on every request, never cached,
  // so a revocation holds from the next request on).
  Admission admit(const RequestHead& head);
  std::optional<Response> auth_agent(const RequestHead& head, std::string* agent_id);
  std::optional<Response> auth_key(const RequestHead& head, Role need, Caller* caller);
  // collector/api/session_routes.cpp, user_routes.cpp: the session cookie (+ CSRF) and user tokens.
  std::optional<Response> auth_session(const RequestHead& head, const std::string& cookie, Role need,
                                       Caller* caller);
  std::optional<Response> auth_user_token(const std::string& token, Role need, Caller* caller);
  // Appends one audit entry for a state-changing action (logged if it fails).
  void audit(const Caller& c, const RequestHead& h, std::string action, std::string target,
             nlohmann::json detail = nullptr);

  Response enroll(const Caller&, const RequestHead&, std::string body);
  Response events(const Caller&, const RequestHead&, std::string body);
  Response heartbeat(const Caller&, const RequestHead&, std::string body);
  Response get_ruleset(const Caller&, const RequestHead&, std::string body);
  Response put_ruleset(const Caller&, const RequestHead&, std::string body);
  // Defined in collector/api/alerts_routes.cpp and collector/api/alerts_export.cpp.
  Response alerts(const Caller&, const RequestHead&, std::string body);
  Response alert_detail(const Caller&, const RequestHead&, std::string body);
  Response alerts_export(const Caller&, const RequestHead&, std::string body);
  Response agents(const Caller&, const RequestHead&, std::string body);
  Response heartbeats(const Caller&, const RequestHead&, std::string body);
  Response stats(const Caller&, const RequestHead&, std::string body);
  // collector/api/metrics_route.cpp
  Response metrics(const Caller&, const RequestHead&, std::string body);
  // collector/api/session_routes.cpp, user_routes.cpp
  Response login(const Caller&, const RequestHead&, std::string body);
  Response session_get(const Caller&, const RequestHead&, std::string body);
  Response logout(const Caller&, const RequestHead&, std::string body);
  Response users_list(const Caller&, const RequestHead&, std::string body);
  Response users_add(const Caller&, const RequestHead&, std::string body);
  Response users_patch(const Caller&, const RequestHead&, std::string body);
  Response tokens_create(const Caller&, const RequestHead&, std::string body);
  Response tokens_list(const Caller&, const RequestHead&, std::string body);
  Response tokens_revoke(const Caller&, const RequestHead&, std::string body);
  Response audit_list(const Caller&, const RequestHead&, std::string body);
  // collector/api/openapi.cpp
  Response openapi(const Caller&, const RequestHead&, std::string body);
  const std::string& dummy_hash();  // verified for unknown users: the same time as a known one
  Response patch_alert(const Caller&, const RequestHead&, std::string body);
  Response alert_triage(const Caller&, const RequestHead&, std::string body);
  Response bulk_triage(const Caller&, const RequestHead&, std::string body);
  Response list_suppressions(const Caller&, const RequestHead&, std::string body);
  Response add_suppression(const Caller&, const RequestHead&, std::string body);
  Response remove_suppression(const Caller&, const RequestHead&, std::string body);
  Response alert_stats(const Caller&, const RequestHead&, std::string body);
  // collector/api/agent_admin_routes.cpp: enrolment tokens, agent revocation (admin).
  Response enrollment_token_create(const Caller&, const RequestHead&, std::string body);
  Response enrollment_token_list(const Caller&, const RequestHead&, std::string body);
  Response enrollment_token_revoke(const Caller&, const RequestHead&, std::string body);
  Response agent_revoke(const Caller&, const RequestHead&, std::string body);
  // collector/api/ruleset_routes.cpp: rule-set history, upload, per-signature enable/disable.
  Response rulesets_list(const Caller&, const RequestHead&, std::string body);
  Response rulesets_upload(const Caller&, const RequestHead&, std::string body);
  Response ruleset_get(const Caller&, const RequestHead&, std::string body);
  Response rules_disabled(const Caller&, const RequestHead&, std::string body);
  Response rule_patch(const Caller&, const RequestHead&, std::string body);

  Store& store_;
  ServerOptions opts_;
  RulesetValidator validator_;
  HttpCounters counters_;
  AuthCounters auth_counters_;
  IngestCounters ingest_counters_;
  // Seconds spent in store calls, by op (GET /metrics): the ingest commit, the
  // alert list (and groups) and the dashboard statistics.
  prometheus::Histogram store_ingest_seconds_, store_alert_query_seconds_, store_stats_query_seconds_;
  std::atomic<const RetentionRunner*> retention_{nullptr};
  LoginThrottle throttle_{opts_.login};
  std::once_flag dummy_once_;
  std::string dummy_hash_;
  // Password checks running now: each takes 64 MiB and a core for a while,
  // so past the number of cores a login is answered 503 at once.
  std::atomic<int> hashing_{0};
  SuppressionCache suppressions_{store_};
  WebUi web_{opts_.web_dir};  // GET / and /ui/...: the web UI (collector/web/)
  std::unique_ptr<HttpServer> http_;
  int port_ = 0;
};

// "online", "offline" (no heartbeat for offline_after_s), "never_seen" or
// "revoked": the agents page and GET /metrics say the same.
const char* agent_status(const AgentRecord& a, int64_t now, int offline_after_s);

// Shared by the server and the CLI: validates, then stores on success.
// `author` names who published it in the rule-set history.
int upload_ruleset(Store& store, const RulesetValidator& validator, const std::string& text,
                   bool allow_errors, nlohmann::json* result, const std::string& author = "");

}  // namespace vigil::collector

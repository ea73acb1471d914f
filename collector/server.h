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
//   GET  /api/v1/alerts           filters -> {total, total_exact, alerts, next_cursor} | group=1 -> {groups}
//   (API key) GET  /api/v1/alerts/ID        -> {alert, triage, flow_alerts, flow_events}   (API key) GET
//   /api/v1/agents           -> {agents:[...]}                              (API key) GET
//   /api/v1/agents/ID/heartbeats -> {heartbeats:[...]}                      (API key) GET
//   /api/v1/server/stats     -> the transport's counters {"http.accepted": N, ...}  (admin key)
// The bodies and answers of the agent endpoints are common/wire.h; their
// logic is collector/ingest.h.
// Agents authenticate with "Authorization: Bearer AGENT_ID.KEY", scripts with
// "Authorization: Bearer API_KEY". Missing or unknown credentials: 401;
// revoked agents and insufficient roles: 403. Nothing is stored on refusal.
// Every refusal is {"error": short reason, "detail": what to do}.
#pragma once

#include <memory>
#include <string>

#include "collector/http/http_counters.h"
#include "collector/http/limits.h"
#include "collector/http/message.h"
#include "collector/ruleset_check.h"
#include "collector/store/store.h"
#include "collector/tls_material.h"

namespace vigil::collector {

class HttpServer;
struct Admission;

struct ServerOptions {
  std::string host = "0.0.0.0";
  int port = 8443;  // 0: any free port (see CollectorServer::port())
  std::string cert_path, key_path;
  int heartbeat_interval_s = 5;
  int offline_after_s = 15;
  bool ruleset_allow_errors = false;
  int threads = 16;   // handler threads (store calls); the event loop has limits.io_threads
  HttpLimits limits;  // connections, timeouts, body caps
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
  int upload_ruleset(const std::string& text, bool allow_errors, nlohmann::json* result);

 private:
  struct Route;
  struct Caller;
  // On a handler thread, from the head alone: the route, its caps and the
  // caller's credentials (asked of the store on every request, never cached,
  // so a revocation holds from the next request on).
  Admission admit(const RequestHead& head);
  std::optional<Response> auth_agent(const RequestHead& head, std::string* agent_id);
  std::optional<Response> auth_key(const RequestHead& head, Role need, Caller* caller);

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

  Store& store_;
  ServerOptions opts_;
  RulesetValidator validator_;
  HttpCounters counters_;
  std::unique_ptr<HttpServer> http_;
  int port_ = 0;
};

// Shared by the server and the CLI: validates, then stores on success.
int upload_ruleset(Store& store, const RulesetValidator& validator, const std::string& text,
                   bool allow_errors, nlohmann::json* result);

}  // namespace vigil::collector

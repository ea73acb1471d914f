// Enrolment tokens and agent revocation over the API (CollectorServer
// members declared in collector/server.h), admin only:
//   POST   /api/v1/enrollment-tokens       {ttl?, uses?} -> 201 {id, token, expires_at, uses, command}
//   GET    /api/v1/enrollment-tokens       -> {tokens:[{id, created_at, expires_at, uses_left, status}]}
//   DELETE /api/v1/enrollment-tokens/{id}  -> {revoked}; refused from the next enrolment on
//   DELETE /api/v1/agents/{id}             -> {revoked}; the agent's next request is 403
// The same store calls as `vigil-collector token create|list|revoke` and
// `agent revoke`. The token is shown once (only its hash is stored); every
// change is audited. An agent is revoked, not deleted: it stays listed with
// status "revoked", like a removed suppression stays listed.
// Runs on handler threads.
#include <spdlog/spdlog.h>

#include "collector/api/route_util.h"
#include "collector/auth/credentials.h"
#include "collector/config.h"
#include "collector/server.h"
#include "collector/tls_material.h"
#include "common/time.h"

namespace vigil::collector {
namespace {

using nlohmann::json;

constexpr int64_t kMaxTokenTtlS = int64_t{365} * 86400;
constexpr int kMaxTokenUses = 100000;

// The Host header the admin's browser or script used to reach us, when it is
// a plain host[:port] (it goes into a command line shown to a person).
std::string usable_host(const std::string* h) {
  if (!h || h->empty() || h->size() > 255) return {};
  for (unsigned char c : *h)
    if (!(std::isalnum(c) || c == '.' || c == '-' || c == ':' || c == '[' || c == ']')) return {};
  return *h;
}

json token_json(const TokenRecord& t, int64_t now) {
  std::string status = t.revoked             ? "revoked"
                       : t.expires_at <= now ? "expired"
                       : t.uses_left <= 0    ? "used_up"
                                             : "active";
  return json{{"id", t.id},
              {"created_at", t.created_at},
              {"expires_at", t.expires_at},
              {"uses_left", t.uses_left},
              {"status", status}};
}

}  // namespace

// The body of POST /api/v1/enrollment-tokens: ttl (seconds, or "90s", "15m",
// "24h", "7d"; default 24h, at most 365 days) and uses (default 1).
bool parse_token_request(const json& j, int64_t* ttl_s, int* uses, std::string* why) {
  *ttl_s = 86400;
  *uses = 1;
  if (!j.is_object()) return *why = "a JSON object", false;
  for (const auto& [k, v] : j.items())
    if (k != "ttl" && k != "uses") return *why = k + ": unknown field (ttl, uses)", false;
  if (j.contains("ttl")) {
    const json& t = j["ttl"];
    int64_t s = -1;
    if (t.is_number_integer()) s = t.get<int64_t>();
    if (t.is_string() && t.get<std::string>().size() <= 12) s = parse_duration(t.get<std::string>());
    if (s <= 0 || s > kMaxTokenTtlS)
      return *why = "ttl: seconds, or a number with s, m, h or d (24h); at most 365 days", false;
    *ttl_s = s;
  }
  if (j.contains("uses")) {
    const json& u = j["uses"];
    if (!u.is_number_integer() || u.get<int64_t>() < 1 || u.get<int64_t>() > kMaxTokenUses)
      return *why = "uses: 1 to " + std::to_string(kMaxTokenUses), false;
    *uses = u.get<int>();
  }
  return true;
}

Response CollectorServer::enrollment_token_create(const Caller& c, const RequestHead& h, std::string body) {
  json j = body.empty() ? json::object() : json::parse(body, nullptr, false);
  int64_t ttl = 0;
  int uses = 0;
  std::string why;
  if (!parse_token_request(j, &ttl, &uses, &why)) return Response::error(400, "bad token request", why);
  std::string tok = "vt_" + random_hex(20), hash = sha256_hex(tok);
  int64_t now = unix_now_s();
  StoreStatus st = store_.create_token(hash, now, now + ttl, uses);
  if (!st.ok) {
    spdlog::error("enrolment token: {}", st.message);
    return Response::error(500, "internal error");
  }
  std::string id = hash.substr(0, kCredentialIdLen);
  audit(c, h, "enrollment_token.create", "token:" + id,
        json{{"ttl_s", ttl}, {"uses", uses}, {"expires_at", now + ttl}});
  std::string host = usable_host(h.header("host"));
  if (host.empty()) {
    bool any = opts_.host.empty() || opts_.host == "0.0.0.0" || opts_.host == "::";
    std::string name = any                                         ? "HOST"
                       : opts_.host.find(':') != std::string::npos ? "[" + opts_.host + "]"
                                                                   : opts_.host;
    host = name + ":" + std::to_string(port_);
  }
  std::string pin = cert_fingerprint_sha256(opts_.cert_path);
  // For a host installed from the package: its state directory, as its user.
  std::string cmd = "runuser -u vigil -- vigil-agent enroll --collector https://" + host + " --token " + tok +
                    (pin.empty() ? " --ca-file ca.pem" : " --pin " + pin) +
                    " --state-dir /var/lib/vigil/agent";
  return Response::json(201, json{{"id", id},
                                  {"token", tok},
                                  {"created_at", now},
                                  {"expires_at", now + ttl},
                                  {"uses", uses},
                                  {"collector", "https://" + host},
                                  {"pin", pin},
                                  {"command", cmd}});
}

Response CollectorServer::enrollment_token_list(const Caller&, const RequestHead&, std::string) {
  int64_t now = unix_now_s();
  json arr = json::array();
  for (const auto& t : store_.list_tokens()) arr.push_back(token_json(t, now));
  return Response::json(200, json{{"tokens", arr}});
}

Response CollectorServer::enrollment_token_revoke(const Caller& c, const RequestHead& h, std::string) {
  if (!store_.revoke_token(c.param))
    return Response::error(404, "no such token", "see GET /api/v1/enrollment-tokens");
  audit(c, h, "enrollment_token.revoke", "token:" + c.param);
  return Response::json(200, json{{"revoked", c.param}});
}

Response CollectorServer::agent_revoke(const Caller& c, const RequestHead& h, std::string) {
  if (!store_.revoke_agent(c.param)) return Response::error(404, "no such agent", "see GET /api/v1/agents");
  audit(c, h, "agent.revoke", "agent:" + c.param);
  spdlog::info("agent {} revoked by {}", c.param, c.actor);
  return Response::json(200, json{{"revoked", c.param}});
}

}  // namespace vigil::collector

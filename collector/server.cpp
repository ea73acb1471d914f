#include "collector/server.h"

#include <httplib.h>
#include <openssl/crypto.h>
#include <spdlog/spdlog.h>

#include <chrono>

#include "collector/ingest.h"
#include "common/time.h"
#include "common/wire.h"

namespace vigil::collector {
namespace {

using nlohmann::json;

int64_t now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void reply(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

void refuse(httplib::Response& res, int status, const std::string& why) {
  reply(res, status, json{{"error", why}});
}

std::string bearer(const httplib::Request& req) {
  std::string h = req.get_header_value("Authorization");
  constexpr std::string_view kPrefix = "Bearer ";
  if (h.size() <= kPrefix.size() || h.compare(0, kPrefix.size(), kPrefix) != 0) return {};
  return h.substr(kPrefix.size());
}

bool same_hash(const std::string& a, const std::string& b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// Agent credentials: "AGENT_ID.KEY". Returns the agent id, or "" after
// writing the refusal (401 unknown/missing, 403 revoked).
std::string auth_agent(Store& store, const httplib::Request& req, httplib::Response& res) {
  std::string cred = bearer(req);
  size_t dot = cred.find('.');
  if (cred.empty() || dot == std::string::npos) {
    refuse(res, 401, "agent credentials required");
    return {};
  }
  std::string id = cred.substr(0, dot);
  AgentAuth a = store.agent_auth(id);
  if (!a.exists || !same_hash(a.key_hash, sha256_hex(std::string_view(cred).substr(dot + 1)))) {
    refuse(res, 401, "unknown agent or wrong key");
    return {};
  }
  if (a.revoked) {
    refuse(res, 403, "agent revoked");
    return {};
  }
  return id;
}

// API key with at least `need`; false after writing the refusal.
bool auth_key(Store& store, const httplib::Request& req, httplib::Response& res, Role need) {
  std::string key = bearer(req);
  if (key.empty() || key.find('.') != std::string::npos) {
    refuse(res, 401, "API key required");
    return false;
  }
  auto role = store.api_key_role(sha256_hex(key));
  if (!role) {
    refuse(res, 401, "unknown API key");
    return false;
  }
  if (static_cast<int>(*role) < static_cast<int>(need)) {
    refuse(res, 403, std::string("role ") + role_name(need) + " required");
    return false;
  }
  return true;
}

// A time filter: unix seconds or an ISO/EVE timestamp.
std::optional<int64_t> parse_time_param(const std::string& v) {
  if (!v.empty() && v.find_first_not_of("0123456789") == std::string::npos) return std::stoll(v) * 1000000;
  std::string s = v;
  if (s.size() == 10) s += "T00:00:00";
  if (!s.empty() && s.back() == 'Z') s.pop_back();
  return parse_eve_time_us(s);
}

std::optional<int64_t> parse_int(const std::string& v) {
  if (v.empty() || v.size() > 18 || v.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  return std::stoll(v);
}

}  // namespace

int upload_ruleset(Store& store, const RulesetValidator& validator, const std::string& text,
                   bool allow_errors, json* result) {
  RulesetCheck chk = validator(text);
  *result = chk.to_json();
  if (!chk.usable || (!chk.errors.empty() && !allow_errors)) {
    (*result)["error"] =
        chk.usable ? "rule set has errors (use allow_errors to load the good rules)" : "rule set is unusable";
    return 422;
  }
  std::string version;
  StoreStatus st = store.put_ruleset(text, chk.to_json(), now_s(), &version);
  if (!st.ok) {
    *result = json{{"error", st.message}};
    return 500;
  }
  (*result)["version"] = version;
  return 200;
}

CollectorServer::CollectorServer(Store& store, ServerOptions opts, RulesetValidator validator)
    : store_(store), opts_(std::move(opts)), validator_(std::move(validator)) {}

CollectorServer::~CollectorServer() = default;

bool CollectorServer::start(std::string* error) {
  svr_ = std::make_unique<httplib::SSLServer>(opts_.cert_path.c_str(), opts_.key_path.c_str());
  if (!svr_->is_valid()) {
    *error = "cannot load TLS certificate " + opts_.cert_path + " / key " + opts_.key_path;
    return false;
  }
  SSL_CTX_set_min_proto_version(svr_->ssl_context(), TLS1_2_VERSION);
  int threads = opts_.threads;
  svr_->new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
  svr_->set_payload_max_length(64u << 20);
  svr_->set_read_timeout(30, 0);
  routes();
  if (opts_.port == 0) {
    port_ = svr_->bind_to_any_port(opts_.host);
  } else {
    port_ = svr_->bind_to_port(opts_.host, opts_.port) ? opts_.port : -1;
  }
  if (port_ <= 0) {
    *error = "cannot listen on " + opts_.host + ":" + std::to_string(opts_.port);
    return false;
  }
  return true;
}

void CollectorServer::run() {
  svr_->listen_after_bind();
}

void CollectorServer::stop() {
  if (svr_) svr_->stop();
}

int CollectorServer::upload_ruleset(const std::string& text, bool allow_errors, json* result) {
  return vigil::collector::upload_ruleset(store_, validator_, text, allow_errors, result);
}

void CollectorServer::routes() {
  auto& s = *svr_;
  s.Post(wire::kEnrollPath, [this](const httplib::Request& req, httplib::Response& res) {
    wire::EnrollRequest body;
    std::string why;
    if (!wire::decode_enroll_request(req.body, &body, &why)) return refuse(res, 400, why);
    TokenUse u = store_.use_token(sha256_hex(body.token), now_s());
    if (u == TokenUse::kUnknown) return refuse(res, 401, "unknown token");
    if (u == TokenUse::kExpired) return refuse(res, 403, "token expired");
    if (u == TokenUse::kUsedUp) return refuse(res, 403, "token used up");
    std::string id = "ag-" + random_hex(8), key = random_hex(32);
    const std::string& host = body.hostname;
    StoreStatus st = store_.add_agent(id, sha256_hex(key), host, now_s());
    if (!st.ok) return refuse(res, 500, st.message);
    spdlog::info("enrolled agent {} ({})", id, host);
    res.status = 200;
    res.set_content(wire::encode_enroll_answer({id, key, opts_.heartbeat_interval_s}), "application/json");
  });

  s.Post(wire::kEventsPath, [this](const httplib::Request& req, httplib::Response& res) {
    std::string agent = auth_agent(store_, req, res);
    if (agent.empty()) return;
    ApiReply r = handle_ingest(store_, agent, req.body, now_s());
    res.status = r.status;
    res.set_content(r.body, "application/json");
  });

  s.Post(wire::kHeartbeatPath, [this](const httplib::Request& req, httplib::Response& res) {
    std::string agent = auth_agent(store_, req, res);
    if (agent.empty()) return;
    ApiReply r = handle_heartbeat(store_, agent, req.body, now_s(), opts_.heartbeat_interval_s);
    res.status = r.status;
    res.set_content(r.body, "application/json");
  });

  s.Get(wire::kRulesetPath, [this](const httplib::Request& req, httplib::Response& res) {
    if (bearer(req).find('.') != std::string::npos) {
      if (auth_agent(store_, req, res).empty()) return;
    } else if (!auth_key(store_, req, res, Role::kViewer)) {
      return;
    }
    auto rs = store_.current_ruleset();
    if (!rs) return refuse(res, 404, "no rule set uploaded");
    reply(res, 200, json{{"version", rs->version}, {"text", rs->text}, {"report", rs->report}});
  });

  s.Put(wire::kRulesetPath, [this](const httplib::Request& req, httplib::Response& res) {
    if (!auth_key(store_, req, res, Role::kAdmin)) return;
    bool allow = opts_.ruleset_allow_errors;
    if (req.has_param("allow_errors")) allow = req.get_param_value("allow_errors") == "1";
    json result;
    int status = upload_ruleset(req.body, allow, &result);
    if (status == 200) spdlog::info("rule set {} accepted", result["version"].get<std::string>());
    reply(res, status, result);
  });

  s.Get("/api/v1/alerts", [this](const httplib::Request& req, httplib::Response& res) {
    if (!auth_key(store_, req, res, Role::kViewer)) return;
    AlertQuery q;
    auto p = [&](const char* k) { return req.has_param(k) ? req.get_param_value(k) : std::string(); };
    if (!p("agent").empty()) q.agent_id = p("agent");
    if (!p("src_ip").empty()) q.src_ip = p("src_ip");
    if (!p("dest_ip").empty()) q.dest_ip = p("dest_ip");
    for (auto [name, dst] : {std::pair{"from", &q.from_us}, std::pair{"to", &q.to_us}}) {
      if (p(name).empty()) continue;
      *dst = parse_time_param(p(name));
      if (!*dst) return refuse(res, 400, std::string("bad time in ") + name);
    }
    if (!p("sid").empty()) {
      auto v = parse_int(p("sid"));
      if (!v) return refuse(res, 400, "bad sid");
      q.sid = static_cast<uint32_t>(*v);
    }
    if (!p("severity").empty()) {
      auto v = parse_int(p("severity"));
      if (!v) return refuse(res, 400, "bad severity");
      q.severity = static_cast<int>(*v);
    }
    if (!p("limit").empty()) {
      auto v = parse_int(p("limit"));
      if (!v) return refuse(res, 400, "bad limit");
      q.limit = static_cast<int>(std::min<int64_t>(*v, 10000));
    }
    if (!p("cursor").empty()) {
      std::string c = p("cursor");
      size_t u = c.find('_');
      auto ts = parse_int(c.substr(0, u)),
           id = u == std::string::npos ? std::nullopt : parse_int(c.substr(u + 1));
      if (!ts || !id) return refuse(res, 400, "bad cursor");
      q.cursor = std::make_pair(*ts, *id);
    }
    AlertPage page;
    StoreStatus st = store_.query_alerts(q, &page);
    if (!st.ok) return refuse(res, 500, st.message);
    json out{{"total", page.total}, {"alerts", page.alerts}, {"next_cursor", nullptr}};
    if (page.next_cursor) {
      out["next_cursor"] =
          std::to_string(page.next_cursor->first) + "_" + std::to_string(page.next_cursor->second);
    }
    reply(res, 200, out);
  });

  s.Get("/api/v1/agents", [this](const httplib::Request& req, httplib::Response& res) {
    if (!auth_key(store_, req, res, Role::kViewer)) return;
    json arr = json::array();
    int64_t now = now_s();
    for (const auto& a : store_.list_agents()) {
      std::string status = a.revoked                                   ? "revoked"
                           : a.last_seen == 0                          ? "never_seen"
                           : now - a.last_seen > opts_.offline_after_s ? "offline"
                                                                       : "online";
      arr.push_back(json{{"id", a.id},
                         {"hostname", a.hostname},
                         {"status", status},
                         {"last_seen", a.last_seen},
                         {"enrolled_at", a.enrolled_at},
                         {"version", a.version},
                         {"ruleset_version", a.ruleset_version},
                         {"heartbeat", a.last_heartbeat}});
    }
    reply(res, 200, json{{"agents", arr}});
  });

  s.Get(R"(/api/v1/agents/([A-Za-z0-9-]+)/heartbeats)",
        [this](const httplib::Request& req, httplib::Response& res) {
          if (!auth_key(store_, req, res, Role::kViewer)) return;
          reply(res, 200, json{{"heartbeats", store_.heartbeat_history(req.matches[1], 100)}});
        });
}

}  // namespace vigil::collector

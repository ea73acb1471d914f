// People's routes of CollectorServer (declared in collector/server.h): the
// session cookie and CSRF check, user tokens, login with its throttle,
// users, tokens and the audit log. Runs on handler threads; every state
// read comes from the AccountStore on each request (nothing cached), so a
// disabled user or a changed role holds from the next request.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "collector/auth/credentials.h"
#include "collector/server.h"
#include "collector/tls_material.h"
#include "common/digest.h"

namespace vigil::collector {
namespace {

using nlohmann::json;

int64_t now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

Response no_accounts() {
  return Response::error(503, "user accounts are not enabled", "this server was started without them");
}

json user_json(const UserRecord& u) {
  return json{{"name", u.name},
              {"role", role_name(u.role)},
              {"disabled", u.disabled},
              {"created_at", u.created_at},
              {"updated_at", u.updated_at}};
}

json token_json(const UserTokenRecord& t) {
  return json{{"id", t.id},
              {"user", t.user},
              {"name", t.name},
              {"created_at", t.created_at},
              {"expires_at", t.expires_at},
              {"last_used", t.last_used},
              {"revoked", t.revoked}};
}

// The body as a JSON object, or why not.
std::optional<json> object_body(const std::string& body, Response* refused) {
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    *refused = Response::error(400, "bad request", "send a JSON object");
    return std::nullopt;
  }
  return j;
}

bool is_string(const json& j, const char* k) {
  return j.contains(k) && j[k].is_string();
}

bool safe_method(const std::string& m) {
  return m == "GET" || m == "HEAD";
}

}  // namespace

void CollectorServer::audit(const Caller& c, const RequestHead& h, std::string action, std::string target,
                            json detail) {
  AuditEntry e;
  e.ts = now_s();
  e.actor = c.actor;
  e.action = std::move(action);
  e.target = std::move(target);
  e.peer = h.peer;
  e.detail = std::move(detail);
  StoreStatus st = store_.append_audit(e);
  if (!st.ok) spdlog::error("audit {} {}: {}", e.action, e.target, st.message);
}

const std::string& CollectorServer::dummy_hash() {
  std::call_once(dummy_once_, [this] { dummy_hash_ = hash_password(random_hex(16), opts_.password_cost); });
  return dummy_hash_;
}

std::optional<Response> CollectorServer::auth_session(const RequestHead& h, const std::string& cookie,
                                                      Role need, Caller* caller) {
  SessionInfo s;
  std::string hash = sha256_hex(cookie);
  SessionCheck chk = opts_.accounts->check_session(hash, now_s(), opts_.session, &s);
  if (chk != SessionCheck::kOk) {
    bump(chk == SessionCheck::kExpired ? auth_counters_.session_expired : auth_counters_.session_unknown);
    Response r = Response::error(401, chk == SessionCheck::kExpired ? "session expired" : "not logged in",
                                 "log in with POST /api/v1/session");
    r.headers.emplace_back("Set-Cookie", session_clear_cookie());
    return r;
  }
  // The cookie is sent by the browser on its own; a state-changing request
  // must also prove it comes from our page, which alone can read the token.
  if (!safe_method(h.method)) {
    const std::string* t = h.header("x-csrf-token");
    if (!t || !constant_time_equal(*t, s.csrf_token)) {
      bump(auth_counters_.csrf_refused);
      return Response::error(403, "CSRF token missing or wrong",
                             "send X-CSRF-Token with the csrf_token the login answered");
    }
  }
  if (static_cast<int>(s.role) < static_cast<int>(need))
    return Response::error(403, std::string("role ") + role_name(need) + " required", "ask an administrator");
  caller->actor = caller->user = s.user;
  caller->role = s.role;
  caller->session_hash = hash;
  return std::nullopt;
}

std::optional<Response> CollectorServer::auth_user_token(const std::string& token, Role need,
                                                         Caller* caller) {
  auto owner = opts_.accounts->user_token_auth(sha256_hex(token), now_s());
  if (!owner) {
    bump(auth_counters_.user_token_refused);
    return Response::error(401, "unknown, revoked or expired token, or its user is disabled",
                           "create a token with POST /api/v1/users/me/tokens");
  }
  if (static_cast<int>(owner->role) < static_cast<int>(need))
    return Response::error(403, std::string("role ") + role_name(need) + " required", "ask an administrator");
  caller->actor = caller->user = owner->user;
  caller->role = owner->role;
  return std::nullopt;
}

// Login. Throttled per user name and per address before the password is
// looked at; an unknown name verifies a dummy hash so that it costs the
// same time as a known one.
Response CollectorServer::login(const Caller&, const RequestHead& h, std::string body) {
  if (!opts_.accounts) return no_accounts();
  Response bad;
  auto j = object_body(body, &bad);
  if (!j) return bad;
  if (!is_string(*j, "username") || !is_string(*j, "password"))
    return Response::error(400, "bad login", "send {\"username\": ..., \"password\": ...}");
  std::string name = (*j)["username"], password = (*j)["password"];
  if (name.size() > 256 || password.size() > kMaxPasswordLen)
    return Response::error(400, "bad login", "user name or password too long");
  std::string ukey = "user:" + name, akey = "addr:" + h.peer;
  int64_t t0 = now_ms();
  ThrottleVerdict vu = throttle_.check(ukey, t0), va = throttle_.check(akey, t0);
  if (!vu.allowed || !va.allowed) {
    bool locked = vu.locked || va.locked;
    bump(locked ? auth_counters_.login_locked : auth_counters_.login_delayed);
    Response r =
        Response::error(429, locked ? "locked out after repeated failed logins" : "too many failed logins",
                        "wait for Retry-After seconds");
    r.headers.emplace_back("Retry-After", std::to_string(std::max(vu.retry_after, va.retry_after)));
    return r;
  }
  static const int kMaxHashing = static_cast<int>(std::max(2u, std::thread::hardware_concurrency()));
  if (hashing_.fetch_add(1) >= kMaxHashing) {
    hashing_.fetch_sub(1);
    bump(auth_counters_.login_busy);
    Response r = Response::error(503, "too many logins at once", "try again in a second");
    r.headers.emplace_back("Retry-After", "1");
    return r;
  }
  auto user = opts_.accounts->get_user(name);
  bool ok = verify_password(password, user ? user->password_hash : dummy_hash()) && user;
  hashing_.fetch_sub(1);
  Caller who;
  who.actor = name;
  if (!ok) {
    int64_t t1 = now_ms();
    throttle_.failure(ukey, t1);
    throttle_.failure(akey, t1);
    bump(auth_counters_.login_failed);
    audit(who, h, "session.login_failed", name,
          json{{"user_failures", throttle_.failures(ukey, t1)},
               {"address_failures", throttle_.failures(akey, t1)}});
    return Response::error(401, "wrong user name or password");
  }
  if (user->disabled) {
    bump(auth_counters_.login_disabled);
    audit(who, h, "session.login_failed", name, json{{"reason", "disabled"}});
    return Response::error(403, "account disabled", "ask an administrator");
  }
  throttle_.success(ukey);
  int64_t now = now_s();
  std::string token = random_hex(32), csrf = random_hex(32);  // 256 bits each
  StoreStatus st = opts_.accounts->create_session(sha256_hex(token), name, csrf, now);
  if (!st.ok) {
    spdlog::error("login: {}", st.message);
    return Response::error(500, "internal error");
  }
  bump(auth_counters_.login_ok);
  audit(who, h, "session.login", name);
  Response r =
      Response::json(200, json{{"csrf_token", csrf}, {"user", name}, {"role", role_name(user->role)}});
  r.headers.emplace_back("Set-Cookie", session_set_cookie(token, opts_.session.absolute_s));
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

Response CollectorServer::session_get(const Caller& c, const RequestHead& h, std::string) {
  json out{{"actor", c.actor},
           {"role", role_name(c.role)},
           {"user", c.user.empty() ? json(nullptr) : json(c.user)}};
  if (!c.session_hash.empty()) {
    SessionInfo s;
    if (opts_.accounts->check_session(c.session_hash, now_s(), opts_.session, &s) == SessionCheck::kOk) {
      out["csrf_token"] = s.csrf_token;
      out["created_at"] = s.created_at;
      out["expires_at"] =
          std::min(s.created_at + opts_.session.absolute_s, s.last_seen + opts_.session.idle_s);
    }
  }
  (void)h;
  return Response::json(200, out);
}

Response CollectorServer::logout(const Caller& c, const RequestHead& h, std::string) {
  if (c.session_hash.empty()) return Response::error(400, "no session", "this request did not come with one");
  opts_.accounts->delete_session(c.session_hash);
  audit(c, h, "session.logout", c.user);
  Response r = Response::json(200, json{{"logged_out", true}});
  r.headers.emplace_back("Set-Cookie", session_clear_cookie());
  return r;
}

Response CollectorServer::users_list(const Caller&, const RequestHead&, std::string) {
  if (!opts_.accounts) return no_accounts();
  json arr = json::array();
  for (const auto& u : opts_.accounts->list_users()) arr.push_back(user_json(u));
  return Response::json(200, json{{"users", arr}});
}

Response CollectorServer::users_add(const Caller& c, const RequestHead& h, std::string body) {
  if (!opts_.accounts) return no_accounts();
  Response bad;
  auto j = object_body(body, &bad);
  if (!j) return bad;
  if (!is_string(*j, "name") || !is_string(*j, "role") || !is_string(*j, "password"))
    return Response::error(400, "bad user", "send {\"name\", \"role\", \"password\"}");
  std::string name = (*j)["name"], password = (*j)["password"];
  if (auto why = user_name_problem(name); !why.empty()) return Response::error(400, "bad user name", why);
  auto role = role_from_string((*j)["role"].get<std::string>());
  if (!role) return Response::error(400, "bad role", "admin, analyst or viewer");
  if (auto why = password_problem(password); !why.empty()) return Response::error(400, "bad password", why);
  UserRecord u;
  u.name = name;
  u.role = *role;
  u.created_at = u.updated_at = now_s();
  u.password_hash = hash_password(password, opts_.password_cost);
  if (u.password_hash.empty()) return Response::error(500, "internal error");
  StoreStatus st = opts_.accounts->add_user(u);
  if (!st.ok) {
    if (opts_.accounts->get_user(name)) return Response::error(409, "user exists");
    spdlog::error("user add: {}", st.message);
    return Response::error(500, "internal error");
  }
  audit(c, h, "user.add", name, json{{"role", role_name(*role)}});
  return Response::json(201, user_json(u));
}

// Admins change anyone's role, disabled flag and password (their own role and
// flag excepted: another admin does that, so the last one cannot lock all
// out); everyone changes their own password with the old one.
Response CollectorServer::users_patch(const Caller& c, const RequestHead& h, std::string body) {
  if (!opts_.accounts) return no_accounts();
  Response bad;
  auto j = object_body(body, &bad);
  if (!j) return bad;
  const std::string& name = c.param;
  bool admin = c.role == Role::kAdmin, self = !c.user.empty() && c.user == name;
  UserUpdate up;
  json detail = json::object();
  for (auto& [k, v] : j->items()) {
    if (k == "role") {
      auto r = v.is_string() ? role_from_string(v.get<std::string>()) : std::nullopt;
      if (!r) return Response::error(400, "bad role", "admin, analyst or viewer");
      up.role = r;
      detail["role"] = role_name(*r);
    } else if (k == "disabled") {
      if (!v.is_boolean()) return Response::error(400, "bad disabled", "true or false");
      up.disabled = v.get<bool>();
      detail["disabled"] = *up.disabled;
    } else if (k == "password") {
      if (!v.is_string()) return Response::error(400, "bad password", "a string");
      if (auto why = password_problem(v.get<std::string>()); !why.empty())
        return Response::error(400, "bad password", why);
      up.password_hash = v.get<std::string>();  // hashed below, once allowed
      detail["password_changed"] = true;
    } else if (k != "old_password") {
      return Response::error(400, "unknown field " + k, "role, disabled, password, old_password");
    }
  }
  if (!up.role && !up.disabled && !up.password_hash)
    return Response::error(400, "nothing to change", "role, disabled or password");
  if (!admin) {
    if (!self || up.role || up.disabled)
      return Response::error(403, "role admin required", "ask an administrator");
  } else if (self && (up.role || up.disabled)) {
    return Response::error(403, "admins do not change their own role or disable themselves",
                           "ask another administrator");
  }
  auto user = opts_.accounts->get_user(name);
  if (!user) return Response::error(404, "no such user");
  if (self && up.password_hash) {  // a stolen session alone cannot take the account over
    if (!is_string(*j, "old_password") ||
        !verify_password((*j)["old_password"].get<std::string>(), user->password_hash))
      return Response::error(403, "old password wrong or missing", "send old_password with the current one");
  }
  if (up.password_hash) {
    up.password_hash = hash_password(*up.password_hash, opts_.password_cost);
    if (up.password_hash->empty()) return Response::error(500, "internal error");
  }
  bool found = false;
  StoreStatus st = opts_.accounts->update_user(name, up, now_s(), &found);
  if (!st.ok) {
    spdlog::error("user update: {}", st.message);
    return Response::error(500, "internal error");
  }
  if (!found) return Response::error(404, "no such user");
  audit(c, h, up.password_hash && !up.role && !up.disabled ? "user.passwd" : "user.update", name, detail);
  return Response::json(200, user_json(*opts_.accounts->get_user(name)));
}

Response CollectorServer::tokens_create(const Caller& c, const RequestHead& h, std::string body) {
  if (c.user.empty())
    return Response::error(403, "a user's session or token required", "API keys have no user");
  Response bad;
  auto j = object_body(body, &bad);
  if (!j) return bad;
  if (!is_string(*j, "name") || (*j)["name"].get<std::string>().empty() ||
      (*j)["name"].get<std::string>().size() > 100)
    return Response::error(400, "bad token name",
                           "send {\"name\": 1 to 100 characters, \"expires_in_s\": N}");
  int64_t now = now_s(), expires_at = 0;
  if (j->contains("expires_in_s")) {
    const json& e = (*j)["expires_in_s"];
    if (!e.is_number_integer() || e.get<int64_t>() <= 0 || e.get<int64_t>() > 3650LL * 86400)
      return Response::error(400, "bad expires_in_s", "seconds, 1 to 10 years");
    expires_at = now + e.get<int64_t>();
  }
  std::string token = std::string(kUserTokenPrefix) + random_hex(32), hash = sha256_hex(token);
  std::string name = (*j)["name"];
  StoreStatus st = opts_.accounts->create_user_token(hash, c.user, name, now, expires_at);
  if (!st.ok) {
    spdlog::error("token create: {}", st.message);
    return Response::error(500, "internal error");
  }
  std::string id = hash.substr(0, kCredentialIdLen);
  audit(c, h, "token.create", id, json{{"name", name}, {"user", c.user}, {"expires_at", expires_at}});
  return Response::json(
      201, json{{"id", id}, {"name", name}, {"user", c.user}, {"expires_at", expires_at}, {"token", token}});
}

Response CollectorServer::tokens_list(const Caller& c, const RequestHead& h, std::string) {
  if (!opts_.accounts) return no_accounts();
  std::string user = c.user;
  if (const std::string* u = h.param("user")) {
    if (c.role != Role::kAdmin) return Response::error(403, "role admin required", "to list others' tokens");
    user = *u == "*" ? "" : *u;
  } else if (user.empty()) {
    return Response::error(403, "a user's session or token required", "or ?user=NAME|* as an admin");
  }
  json arr = json::array();
  for (const auto& t : opts_.accounts->list_user_tokens(user)) arr.push_back(token_json(t));
  return Response::json(200, json{{"tokens", arr}});
}

Response CollectorServer::tokens_revoke(const Caller& c, const RequestHead& h, std::string) {
  if (!opts_.accounts) return no_accounts();
  if (c.user.empty() && c.role != Role::kAdmin)
    return Response::error(403, "a user's session or token required");
  std::optional<std::string> owner;
  if (c.role != Role::kAdmin) owner = c.user;
  if (!opts_.accounts->revoke_user_token(c.param, owner)) return Response::error(404, "no such token");
  audit(c, h, "token.revoke", c.param);
  return Response::json(200, json{{"revoked", c.param}});
}

Response CollectorServer::audit_list(const Caller&, const RequestHead& h, std::string) {
  AuditQuery q;
  auto num = [&](const char* k, std::optional<int64_t>* dst) {
    const std::string* v = h.param(k);
    if (!v) return true;
    if (v->empty() || v->size() > 18 || v->find_first_not_of("0123456789") != std::string::npos) return false;
    *dst = std::stoll(*v);
    return true;
  };
  if (const std::string* v = h.param("actor")) q.actor = *v;
  if (const std::string* v = h.param("action")) q.action = *v;
  std::optional<int64_t> limit;
  for (auto [k, dst] : {std::pair{"from", &q.from}, std::pair{"to", &q.to},
                        std::pair{"before_id", &q.before_id}, std::pair{"limit", &limit}}) {
    if (!num(k, dst)) return Response::error(400, std::string("bad ") + k, "a non-negative integer");
  }
  if (limit) q.limit = static_cast<int>(std::clamp<int64_t>(*limit, 1, 1000));
  json arr = json::array();
  for (const auto& e : store_.list_audit(q)) {
    arr.push_back(json{{"id", e.id},
                       {"ts", e.ts},
                       {"actor", e.actor},
                       {"action", e.action},
                       {"target", e.target},
                       {"peer", e.peer},
                       {"detail", e.detail}});
  }
  json out{{"entries", arr}, {"next_before_id", nullptr}};
  if (static_cast<int>(arr.size()) == q.limit && !arr.empty()) out["next_before_id"] = arr.back()["id"];
  return Response::json(200, out);
}

}  // namespace vigil::collector

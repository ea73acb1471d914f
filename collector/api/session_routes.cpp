// Sessions and credentials of people (CollectorServer members declared in
// collector/server.h): the session cookie and its CSRF check, user tokens,
// login with its throttle, who-am-I, logout, and the audit helper. Runs on
// handler threads; the session and the user are read from the AccountStore
// on every request (nothing cached), so a disabled user or a changed role
// holds from the next request.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "collector/api/route_util.h"
#include "collector/auth/credentials.h"
#include "collector/server.h"
#include "collector/tls_material.h"
#include "common/digest.h"
#include "common/time.h"

namespace vigil::collector {
namespace {

using nlohmann::json;
using namespace api_util;

bool safe_method(const std::string& m) {
  return m == "GET" || m == "HEAD";
}

}  // namespace

void CollectorServer::audit(const Caller& c, const RequestHead& h, std::string action, std::string target,
                            json detail) {
  AuditEntry e;
  e.ts = unix_now_s();
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
  SessionCheck chk = opts_.accounts->check_session(hash, unix_now_s(), opts_.session, &s);
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
  auto owner = opts_.accounts->user_token_auth(sha256_hex(token), unix_now_s());
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
  int64_t now = unix_now_s();
  std::string token = random_hex(32), csrf = random_hex(32);  // 256 bits each
  StoreStatus st = opts_.accounts->create_session(sha256_hex(token), name, csrf, now);
  if (!st.ok) {
    spdlog::error("login: {}", st.message);
    return Response::error(500, "internal error");
  }
  bump(auth_counters_.login_ok);
  audit(who, h, "session.login", name);
  Response r =
      Response::json(200, json{{"csrf_token", csrf},
                               {"user", name},
                               {"role", role_name(user->role)},
                               {"language", user->language.empty() ? json(nullptr) : json(user->language)}});
  r.headers.emplace_back("Set-Cookie", session_set_cookie(token, opts_.session.absolute_s));
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

Response CollectorServer::session_get(const Caller& c, const RequestHead& h, std::string) {
  json out{{"actor", c.actor},
           {"role", role_name(c.role)},
           {"user", c.user.empty() ? json(nullptr) : json(c.user)},
           {"language", nullptr}};
  if (opts_.accounts && !c.user.empty()) {
    if (auto u = opts_.accounts->get_user(c.user); u && !u->language.empty()) out["language"] = u->language;
  }
  if (!c.session_hash.empty()) {
    SessionInfo s;
    if (opts_.accounts->check_session(c.session_hash, unix_now_s(), opts_.session, &s) == SessionCheck::kOk) {
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

}  // namespace vigil::collector

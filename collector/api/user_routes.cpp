// The users API, users' own API tokens and the audit log (CollectorServer
// members declared in collector/server.h). Runs on handler threads; every
// change is audited.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

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

json user_json(const UserRecord& u) {
  return json{{"name", u.name},
              {"role", role_name(u.role)},
              {"disabled", u.disabled},
              {"language", u.language.empty() ? json(nullptr) : json(u.language)},
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

}  // namespace

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
  u.created_at = u.updated_at = unix_now_s();
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
  // "me": the caller's own user (a session or a user token; an API key has none).
  if (c.param == "me" && c.user.empty())
    return Response::error(400, "this credential has no user", "log in, or use a user token");
  const std::string& name = c.param == "me" ? c.user : c.param;
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
    } else if (k == "language") {
      if (!v.is_string() || (v != "en" && v != "vi"))
        return Response::error(400, "bad language", "\"en\" or \"vi\"");
      up.language = v.get<std::string>();
      detail["language"] = *up.language;
    } else if (k != "old_password") {
      return Response::error(400, "unknown field " + k, "role, disabled, password, language, old_password");
    }
  }
  if (!up.role && !up.disabled && !up.password_hash && !up.language)
    return Response::error(400, "nothing to change", "role, disabled, password or language");
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
  StoreStatus st = opts_.accounts->update_user(name, up, unix_now_s(), &found);
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
  int64_t now = unix_now_s(), expires_at = 0;
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
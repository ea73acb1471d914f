// Enrolment tokens and agent revocation over HTTPS: only admins may create,
// list and revoke (viewer and analyst 403); a created token enrols an agent
// and its secret is never listed; a revoked token or agent is refused from the
// next request on; each change is in the audit log with its author and
// address; a browser session must send X-CSRF-Token on these writes (and on
// the rule-set writes of collector/api/ruleset_routes.cpp).
#include <catch2/catch.hpp>

#include "../collector_fixture.h"
#include "collector/auth/password.h"

using namespace vigil::collector;
using nlohmann::json;

namespace {

struct AdminFixture : Fixture {
  std::string analyst_key = "vk_" + random_hex(16);
  explicit AdminFixture(const char* name) : Fixture(name) {
    REQUIRE(store->create_api_key(sha256_hex(analyst_key), Role::kAnalyst, 1).ok);
  }
  httplib::Result post(const std::string& key, const std::string& path, const json& body) {
    return client(key).Post(path, body.dump(), "application/json");
  }
  int enroll_with(const std::string& token) {
    auto r =
        client().Post("/api/v1/enroll", json{{"token", token}, {"hostname", "h"}}.dump(), "application/json");
    REQUIRE(r);
    return r->status;
  }
  std::vector<AuditEntry> audit(const std::string& action) {
    AuditQuery q;
    q.action = action;
    return store->list_audit(q);
  }
};

}  // namespace

TEST_CASE("enrolment tokens: admin creates, lists without the secret, revokes - others are refused",
          "[agent_admin]") {
  AdminFixture f("enrol-tokens");
  for (const auto& key : {f.viewer_key, f.analyst_key}) {
    auto r = f.post(key, "/api/v1/enrollment-tokens", json::object());
    REQUIRE(r);
    CHECK(r->status == 403);
    auto l = f.client(key).Get("/api/v1/enrollment-tokens");
    REQUIRE(l);
    CHECK(l->status == 403);
  }
  CHECK(f.store->list_tokens().empty());

  auto r = f.post(f.admin_key, "/api/v1/enrollment-tokens", json{{"ttl", "2h"}, {"uses", 2}});
  REQUIRE(r);
  REQUIRE(r->status == 201);
  json t = json::parse(r->body);
  std::string token = t["token"], id = t["id"];
  CHECK(token.rfind("vt_", 0) == 0);
  CHECK(id == sha256_hex(token).substr(0, kCredentialIdLen));
  CHECK(t["uses"] == 2);
  CHECK(t["expires_at"].get<int64_t>() - t["created_at"].get<int64_t>() == 7200);
  std::string pin = cert_fingerprint_sha256(f.tls.server_cert_path);
  REQUIRE(!pin.empty());
  CHECK(t["pin"] == pin);
  std::string addr = "127.0.0.1:" + std::to_string(f.port());
  CHECK(t["command"] == "runuser -u vigil -- vigil-agent enroll --collector https://" + addr + " --token " +
                            token + " --pin " + pin + " --state-dir /var/lib/vigil/agent");

  auto l = f.client(f.admin_key).Get("/api/v1/enrollment-tokens");
  REQUIRE(l);
  REQUIRE(l->status == 200);
  CHECK(l->body.find(token) == std::string::npos);  // the secret is never listed
  json list = json::parse(l->body)["tokens"];
  REQUIRE(list.size() == 1);
  CHECK(list[0]["id"] == id);
  CHECK(list[0]["uses_left"] == 2);
  CHECK(list[0]["status"] == "active");

  CHECK(f.enroll_with(token) == 200);  // the token works, once of twice

  for (const auto& key : {f.viewer_key, f.analyst_key}) {
    auto d = f.client(key).Delete("/api/v1/enrollment-tokens/" + id);
    REQUIRE(d);
    CHECK(d->status == 403);
  }
  auto d = f.client(f.admin_key).Delete("/api/v1/enrollment-tokens/" + id);
  REQUIRE(d);
  CHECK(d->status == 200);
  CHECK(f.enroll_with(token) == 401);  // its second use is refused after the revocation
  auto d404 = f.client(f.admin_key).Delete("/api/v1/enrollment-tokens/000000000000");
  REQUIRE(d404);
  CHECK(d404->status == 404);
  l = f.client(f.admin_key).Get("/api/v1/enrollment-tokens");
  CHECK(json::parse(l->body)["tokens"][0]["status"] == "revoked");

  auto created = f.audit("enrollment_token.create");
  REQUIRE(created.size() == 1);
  CHECK(created[0].actor.rfind("apikey:", 0) == 0);
  CHECK(created[0].actor == "apikey:" + sha256_hex(f.admin_key).substr(0, kCredentialIdLen));
  CHECK(created[0].target == "token:" + id);
  CHECK(created[0].peer == "127.0.0.1");
  CHECK(created[0].detail["uses"] == 2);
  CHECK(created[0].detail.dump().find(token) == std::string::npos);
  auto revoked = f.audit("enrollment_token.revoke");
  REQUIRE(revoked.size() == 1);
  CHECK(revoked[0].target == "token:" + id);
}

TEST_CASE("enrolment tokens: bad ttl and uses are refused with 400 and create nothing", "[agent_admin]") {
  AdminFixture f("enrol-bad");
  for (const json& body : {json{{"ttl", "soon"}}, json{{"ttl", 0}}, json{{"ttl", "400d"}}, json{{"uses", 0}},
                           json{{"uses", "2"}}, json{{"ttl", "1h"}, {"user", "x"}}, json::array()}) {
    INFO(body.dump());
    auto r = f.post(f.admin_key, "/api/v1/enrollment-tokens", body);
    REQUIRE(r);
    CHECK(r->status == 400);
  }
  CHECK(f.store->list_tokens().empty());
  // No body at all: the defaults (24 h, one use).
  auto r = f.client(f.admin_key).Post("/api/v1/enrollment-tokens");
  REQUIRE(r);
  REQUIRE(r->status == 201);
  json t = json::parse(r->body);
  CHECK(t["uses"] == 1);
  CHECK(t["expires_at"].get<int64_t>() - t["created_at"].get<int64_t>() == 86400);
}

TEST_CASE("DELETE /api/v1/agents/{id}: admin revokes, the agent's next request is refused", "[agent_admin]") {
  AdminFixture f("agent-revoke");
  std::string cred = f.enroll();
  std::string agent = cred.substr(0, cred.find('.'));
  auto hb = [&] {
    auto r = f.client(cred).Post("/api/v1/heartbeat", json{{"version", "t"}}.dump(), "application/json");
    REQUIRE(r);
    return r->status;
  };
  REQUIRE(hb() == 200);
  for (const auto& key : {f.viewer_key, f.analyst_key}) {
    auto d = f.client(key).Delete("/api/v1/agents/" + agent);
    REQUIRE(d);
    CHECK(d->status == 403);
  }
  CHECK(hb() == 200);
  auto d = f.client(f.admin_key).Delete("/api/v1/agents/" + agent);
  REQUIRE(d);
  CHECK(d->status == 200);
  CHECK(json::parse(d->body)["revoked"] == agent);
  CHECK(hb() == 403);
  auto ev = f.client(cred).Post("/api/v1/events",
                                json{{"agent_id", agent}, {"batch_seq", 1}, {"events", json::array()}}.dump(),
                                "application/json");
  REQUIRE(ev);
  CHECK(ev->status == 403);
  auto g = f.client(f.viewer_key).Get("/api/v1/agents");
  REQUIRE(g);
  CHECK(json::parse(g->body)["agents"][0]["status"] == "revoked");
  auto d404 = f.client(f.admin_key).Delete("/api/v1/agents/ag-nothere");
  REQUIRE(d404);
  CHECK(d404->status == 404);
  auto a = f.audit("agent.revoke");
  REQUIRE(a.size() == 1);
  CHECK(a[0].target == "agent:" + agent);
  CHECK(a[0].peer == "127.0.0.1");
}

TEST_CASE("enrolment tokens and agent revoke: a session must send its CSRF token", "[agent_admin]") {
  AdminFixture f("agent-admin-csrf");
  std::string err;
  auto accounts = AccountStore::open(f.dir + "/c.db", &err);
  REQUIRE(accounts);
  PasswordCost cheap{1, 8, 1};
  UserRecord u;
  u.name = "boss";
  u.role = Role::kAdmin;
  u.password_hash = hash_password("boss-password-1", cheap);
  REQUIRE(accounts->add_user(u).ok);
  f.stop_server();
  f.opts.accounts = accounts.get();
  f.opts.password_cost = cheap;
  f.start_server();
  auto login =
      f.client().Post("/api/v1/session", json{{"username", "boss"}, {"password", "boss-password-1"}}.dump(),
                      "application/json");
  REQUIRE(login);
  REQUIRE(login->status == 200);
  std::string csrf = json::parse(login->body)["csrf_token"];
  std::string cookie = login->get_header_value("Set-Cookie");
  cookie = cookie.substr(0, cookie.find(';'));
  std::string cred = f.enroll();
  std::string agent = cred.substr(0, cred.find('.'));

  httplib::Headers no_csrf{{"Cookie", cookie}}, with_csrf{{"Cookie", cookie}, {"X-CSRF-Token", csrf}},
      bad_csrf{{"Cookie", cookie}, {"X-CSRF-Token", std::string(csrf.size(), '0')}};
  for (const auto& h : {no_csrf, bad_csrf}) {
    auto r = f.client().Post("/api/v1/enrollment-tokens", h, "{}", "application/json");
    REQUIRE(r);
    CHECK(r->status == 403);
    auto d = f.client().Delete("/api/v1/agents/" + agent, h);
    REQUIRE(d);
    CHECK(d->status == 403);
  }
  // The other state-changing routes of the admin pages: refused before they look at the body.
  for (const auto& h : {no_csrf, bad_csrf}) {
    auto up = f.client().Post("/api/v1/rulesets", h, "alert ip any any -> any any (sid:1;)", "text/plain");
    REQUIRE(up);
    CHECK(up->status == 403);
    auto p =
        f.client().Patch("/api/v1/rules/1", h, R"({"enabled": false, "reason": "x"})", "application/json");
    REQUIRE(p);
    CHECK(p->status == 403);
    auto d = f.client().Delete("/api/v1/enrollment-tokens/" + f.store->list_tokens()[0].id, h);
    REQUIRE(d);
    CHECK(d->status == 403);
  }
  CHECK(f.store->list_rulesets(10).empty());
  CHECK(!f.store->list_tokens()[0].revoked);
  CHECK(f.store->list_tokens().size() == 1);  // the fixture's enrolment token only
  CHECK(!f.store->agent_auth(agent).revoked);
  auto g = f.client().Get("/api/v1/enrollment-tokens", no_csrf);  // a read needs no CSRF token
  REQUIRE(g);
  CHECK(g->status == 200);
  auto r = f.client().Post("/api/v1/enrollment-tokens", with_csrf, "{}", "application/json");
  REQUIRE(r);
  CHECK(r->status == 201);
  auto d = f.client().Delete("/api/v1/agents/" + agent, with_csrf);
  REQUIRE(d);
  CHECK(d->status == 200);
  CHECK(f.store->agent_auth(agent).revoked);
  auto a = f.audit("agent.revoke");
  REQUIRE(a.size() == 1);
  CHECK(a[0].actor == "boss");
  f.stop_server();  // before the account store goes
}

// Rule-set history, upload with errors per line, and per-signature
// enable/disable over HTTPS: only admins change rules (viewer and analyst
// 403); a disabled sid is commented out of a new version that agents are
// told of at their next heartbeat and download, stays out of later uploads,
// and comes back when enabled; each change is audited with its author.
#include <catch2/catch.hpp>

#include "../collector_fixture.h"

using namespace vigil::collector;
using nlohmann::json;

namespace {

const std::string kRules =
    "alert tcp any any -> any 80 (msg:\"one\"; sid:1;)\n"
    "alert tcp any any -> any 80 (msg:\"two\"; sid:2;)\n"
    "alert udp any any -> any 53 (msg:\"three\"; sid:3;)\n";

struct RulesFixture : Fixture {
  std::string analyst_key = "vk_" + random_hex(16);
  explicit RulesFixture(const char* name) : Fixture(name) {
    REQUIRE(store->create_api_key(sha256_hex(analyst_key), Role::kAnalyst, 1).ok);
  }
  httplib::Result patch(const std::string& key, int64_t sid, const json& body) {
    return client(key).Patch("/api/v1/rules/" + std::to_string(sid), body.dump(), "application/json");
  }
  std::string admin_actor() { return "apikey:" + sha256_hex(admin_key).substr(0, kCredentialIdLen); }
};

}  // namespace

TEST_CASE("POST /api/v1/rulesets: admin only, errors as items per line, history with author and counts",
          "[rulesets]") {
  RulesFixture f("rulesets-upload");
  for (const auto& key : {f.viewer_key, f.analyst_key}) {
    auto r = f.client(key).Post("/api/v1/rulesets", kRules, "text/plain");
    REQUIRE(r);
    CHECK(r->status == 403);
  }
  CHECK(f.store->list_rulesets(10).empty());

  // The fixture's validator reports "rules:2: sid 9: bad rule" for a text containing "bad".
  auto bad = f.client(f.admin_key).Post("/api/v1/rulesets", kRules + "bad\n", "text/plain");
  REQUIRE(bad);
  REQUIRE(bad->status == 422);
  json e = json::parse(bad->body);
  REQUIRE(e["errors"].size() == 1);
  CHECK(e["errors"][0] == json{{"file", "rules"},
                               {"line", 2},
                               {"sid", 9},
                               {"reason", "bad rule"},
                               {"text", "rules:2: sid 9: bad rule"}});
  CHECK(f.store->list_rulesets(10).empty());

  auto ok = f.client(f.admin_key).Post("/api/v1/rulesets?allow_errors=1", kRules + "bad\n", "text/plain");
  REQUIRE(ok);
  REQUIRE(ok->status == 201);
  std::string v1 = json::parse(ok->body)["version"];
  CHECK(json::parse(ok->body)["errors"][0]["line"] == 2);
  auto ok2 = f.client(f.admin_key).Post("/api/v1/rulesets", kRules, "text/plain");
  REQUIRE(ok2);
  REQUIRE(ok2->status == 201);
  std::string v2 = json::parse(ok2->body)["version"];

  auto h = f.client(f.viewer_key).Get("/api/v1/rulesets");
  REQUIRE(h);
  REQUIRE(h->status == 200);
  json hist = json::parse(h->body);
  CHECK(hist["current"] == v2);
  REQUIRE(hist["rulesets"].size() == 2);
  CHECK(hist["rulesets"][0]["version"] == v2);
  CHECK(hist["rulesets"][1]["version"] == v1);
  CHECK(hist["rulesets"][1]["author"] == f.admin_actor());
  CHECK(hist["rulesets"][1]["errors"] == 1);
  CHECK(hist["rulesets"][1]["rules_failed"] == 1);
  CHECK(hist["rulesets"][0]["errors"] == 0);
  CHECK(hist["rulesets"][0]["change"]["kind"] == "upload");
  CHECK(hist["rulesets"][0].contains("created_at"));
  CHECK_FALSE(hist["rulesets"][0].contains("text"));

  auto g = f.client(f.viewer_key).Get("/api/v1/rulesets/" + v1);
  REQUIRE(g);
  REQUIRE(g->status == 200);
  json one = json::parse(g->body);
  CHECK(one["text"] == kRules + "bad\n");
  CHECK(one["report"]["errors"][0]["sid"] == 9);
  auto g404 = f.client(f.viewer_key).Get("/api/v1/rulesets/9-000000000000");
  REQUIRE(g404);
  CHECK(g404->status == 404);
  AuditQuery q;
  q.action = "ruleset.upload";
  CHECK(f.store->list_audit(q).size() == 2);
}

TEST_CASE(
    "PATCH /api/v1/rules/{sid}: disable comments the rule out of a new version agents get - enable undoes",
    "[rulesets]") {
  RulesFixture f("rules-toggle");
  auto none = f.patch(f.admin_key, 2, json{{"enabled", false}, {"reason", "noisy"}});
  REQUIRE(none);
  CHECK(none->status == 404);  // no rule set yet
  REQUIRE(f.client(f.admin_key).Post("/api/v1/rulesets", kRules, "text/plain")->status == 201);
  std::string cred = f.enroll();
  auto& agent = f.client(cred);
  auto heartbeat_version = [&] {
    auto r = agent.Post("/api/v1/heartbeat", json{{"ruleset_version", ""}}.dump(), "application/json");
    REQUIRE(r);
    REQUIRE(r->status == 200);
    return json::parse(r->body)["ruleset_version"].get<std::string>();
  };
  std::string v1 = heartbeat_version();

  for (const auto& key : {f.viewer_key, f.analyst_key}) {
    auto r = f.patch(key, 2, json{{"enabled", false}, {"reason", "noisy"}});
    REQUIRE(r);
    CHECK(r->status == 403);
  }
  for (const json& bad : {json{{"enabled", false}}, json{{"enabled", "no"}}, json{{"reason", "x"}},
                          json{{"enabled", false}, {"reason", "x"}, {"why", 1}}}) {
    INFO(bad.dump());
    auto r = f.patch(f.admin_key, 2, bad);
    REQUIRE(r);
    CHECK(r->status == 400);
  }
  auto unknown = f.patch(f.admin_key, 77, json{{"enabled", false}, {"reason", "noisy"}});
  REQUIRE(unknown);
  CHECK(unknown->status == 404);
  CHECK(heartbeat_version() == v1);  // nothing refused made a version

  auto d = f.patch(f.admin_key, 2, json{{"enabled", false}, {"reason", "noisy on the mail relay"}});
  REQUIRE(d);
  REQUIRE(d->status == 200);
  json dj = json::parse(d->body);
  CHECK(dj["changed"] == true);
  std::string v2 = dj["version"];
  CHECK(v2 != v1);
  CHECK(heartbeat_version() == v2);  // agents are told at their next heartbeat
  auto rs = agent.Get("/api/v1/ruleset");
  REQUIRE(rs);
  std::string pushed = json::parse(rs->body)["text"];
  CHECK(pushed ==
        "alert tcp any any -> any 80 (msg:\"one\"; sid:1;)\n"
        "# alert tcp any any -> any 80 (msg:\"two\"; sid:2;)\n"
        "alert udp any any -> any 53 (msg:\"three\"; sid:3;)\n");
  auto again = f.patch(f.admin_key, 2, json{{"enabled", false}, {"reason", "again"}});
  REQUIRE(again);
  CHECK(json::parse(again->body)["changed"] == false);
  CHECK(heartbeat_version() == v2);

  auto dl = f.client(f.viewer_key).Get("/api/v1/rules/disabled");
  REQUIRE(dl);
  json dis = json::parse(dl->body)["rules"];
  REQUIRE(dis.size() == 1);
  CHECK(dis[0]["sid"] == 2);
  CHECK(dis[0]["reason"] == "noisy on the mail relay");
  CHECK(dis[0]["author"] == f.admin_actor());

  // A later upload keeps the sid disabled.
  std::string more = kRules + "alert ip any any -> any any (msg:\"four\"; sid:4;)\n";
  auto up = f.client(f.admin_key).Post("/api/v1/rulesets", more, "text/plain");
  REQUIRE(up);
  REQUIRE(up->status == 201);
  std::string v3 = json::parse(up->body)["version"];
  auto cur = f.store->current_ruleset();
  REQUIRE(cur);
  CHECK(cur->version == v3);
  CHECK(cur->text.find("# alert tcp any any -> any 80 (msg:\"two\"; sid:2;)") != std::string::npos);
  CHECK(cur->base == more);

  auto en = f.patch(f.admin_key, 2, json{{"enabled", true}});
  REQUIRE(en);
  REQUIRE(en->status == 200);
  std::string v4 = json::parse(en->body)["version"];
  CHECK(heartbeat_version() == v4);
  CHECK(json::parse(agent.Get("/api/v1/ruleset")->body)["text"] == more);
  CHECK(json::parse(f.client(f.viewer_key).Get("/api/v1/rules/disabled")->body)["rules"].empty());

  json hist = json::parse(f.client(f.viewer_key).Get("/api/v1/rulesets")->body)["rulesets"];
  REQUIRE(hist.size() == 4);
  CHECK(hist[0]["change"] == json{{"kind", "enable"}, {"sid", 2}});
  CHECK(hist[2]["change"]["kind"] == "disable");
  CHECK(hist[2]["change"]["reason"] == "noisy on the mail relay");
  CHECK(hist[2]["author"] == f.admin_actor());

  AuditQuery q;
  q.action = "rule.disable";
  auto a = f.store->list_audit(q);
  REQUIRE(a.size() == 1);
  CHECK(a[0].actor == f.admin_actor());
  CHECK(a[0].target == "sid:2");
  CHECK(a[0].peer == "127.0.0.1");
  CHECK(a[0].detail["version"] == v2);
  q.action = "rule.enable";
  CHECK(f.store->list_audit(q).size() == 1);
}

// The triage and suppression routes over HTTPS with API keys of each role:
// who may do what (viewer cannot triage, analyst cannot suppress), the
// answers' shapes and refusals, the audit entries, and suppressions taking
// effect at ingest, in the heartbeat's version and in GET /api/v1/ruleset.
#include <catch2/catch.hpp>

#include "../collector_fixture.h"

using namespace vigil::collector;
using nlohmann::json;

namespace {

struct TriageFixture : Fixture {
  std::string analyst_key = "vk_" + random_hex(16);
  explicit TriageFixture(const char* name) : Fixture(name) {
    REQUIRE(store->create_api_key(sha256_hex(analyst_key), Role::kAnalyst, 1).ok);
  }
  // Stores alerts of the given sids (one each) from agent ag-t; returns their ids, oldest first.
  std::vector<int64_t> alerts(const std::vector<int>& sids, uint64_t seq = 1) {
    std::vector<IngestEvent> ev;
    for (size_t i = 0; i < sids.size(); ++i) {
      json eve = {{"timestamp", "2026-01-01T00:00:01.000000+0000"},
                  {"event_type", "alert"},
                  {"src_ip", "10.0.0.1"},
                  {"dest_ip", "10.0.0.2"},
                  {"alert", {{"signature_id", sids[i]}, {"gid", 1}, {"severity", 2}}}};
      ev.emplace_back("s" + std::to_string(seq) + "-" + std::to_string(i), eve);
    }
    IngestResult r;
    REQUIRE(store->ingest_batch("ag-t", seq, ev, 1, &r).ok);
    AlertQuery q;
    q.limit = 1000;
    AlertPage page;
    REQUIRE(store->query_alerts(q, &page).ok);
    std::vector<int64_t> ids;
    for (const auto& a : page.alerts) ids.push_back(a["id"].get<int64_t>());
    std::sort(ids.begin(), ids.end());
    return ids;
  }
  httplib::Result patch(const std::string& key, const std::string& path, const json& body) {
    return client(key).Patch(path, body.dump(), "application/json");
  }
  httplib::Result post(const std::string& key, const std::string& path, const json& body) {
    return client(key).Post(path, body.dump(), "application/json");
  }
};

}  // namespace

TEST_CASE("PATCH /api/v1/alerts/{id}: analyst and admin may triage, a viewer may not", "[triage]") {
  TriageFixture f("triage-roles");
  auto ids = f.alerts({100, 101});
  std::string path = "/api/v1/alerts/" + std::to_string(ids[0]);

  auto v = f.patch(f.viewer_key, path, json{{"status", "closed"}});
  REQUIRE(v);
  CHECK(v->status == 403);
  CHECK(f.store->get_triage(ids[0])->status == "new");

  auto a = f.patch(f.analyst_key, path,
                   json{{"status", "acknowledged"}, {"assignee", "alice"}, {"comment", "mine"}});
  REQUIRE(a);
  REQUIRE(a->status == 200);
  json t = json::parse(a->body);
  CHECK(t["status"] == "acknowledged");
  CHECK(t["assignee"] == "alice");
  CHECK(t["history"].size() == 2);
  CHECK(t["comments"][0]["text"] == "mine");

  auto ad = f.patch(f.admin_key, path, json{{"status", "closed"}});
  REQUIRE(ad);
  CHECK(ad->status == 200);

  auto g = f.client(f.viewer_key).Get(path + "/triage");  // a viewer may read it
  REQUIRE(g);
  REQUIRE(g->status == 200);
  json got = json::parse(g->body);
  CHECK(got["status"] == "closed");
  REQUIRE(got["history"].size() == 3);
  CHECK(got["history"][2]["old"] == "acknowledged");
  CHECK(got["history"][2]["actor"].get<std::string>().rfind("apikey:", 0) == 0);

  // The alert's detail embeds the same triage object.
  auto d = f.client(f.viewer_key).Get(path);
  REQUIRE(d);
  REQUIRE(d->status == 200);
  CHECK(json::parse(d->body)["triage"] == got);

  auto audit = f.store->list_audit({});
  REQUIRE(audit.size() == 2);
  CHECK(audit[0].action == "alert.triage");
  CHECK(audit[0].target == "alert:" + std::to_string(ids[0]));
  CHECK(audit[0].actor == "apikey:" + sha256_hex(f.admin_key).substr(0, kCredentialIdLen));
  CHECK(audit[0].peer == "127.0.0.1");
}

TEST_CASE("PATCH refusals: unknown status 400, unknown alert 404, no key 401", "[triage]") {
  TriageFixture f("triage-refuse");
  auto ids = f.alerts({100});
  std::string path = "/api/v1/alerts/" + std::to_string(ids[0]);
  auto bad = f.patch(f.analyst_key, path, json{{"status", "done"}});
  REQUIRE(bad);
  CHECK(bad->status == 400);
  CHECK(json::parse(bad->body)["detail"].get<std::string>().rfind("status", 0) == 0);
  auto missing =
      f.patch(f.analyst_key, "/api/v1/alerts/" + std::to_string(ids[0] + 100), json{{"status", "closed"}});
  REQUIRE(missing);
  CHECK(missing->status == 404);
  auto word = f.patch(f.analyst_key, "/api/v1/alerts/abc", json{{"status", "closed"}});
  REQUIRE(word);
  CHECK(word->status == 404);
  auto anon = f.patch("", path, json{{"status", "closed"}});
  REQUIRE(anon);
  CHECK(anon->status == 401);
  auto none = f.client(f.viewer_key).Get("/api/v1/alerts/" + std::to_string(ids[0] + 100) + "/triage");
  REQUIRE(none);
  CHECK(none->status == 404);
  CHECK(f.store->list_audit({}).empty());
}

TEST_CASE("POST /api/v1/alerts/triage by ids and by filter - one audit entry each", "[triage]") {
  TriageFixture f("triage-bulk");
  auto ids = f.alerts({100, 100, 100, 200, 200});
  auto v = f.post(f.viewer_key, "/api/v1/alerts/triage", json{{"ids", {ids[0]}}, {"status", "closed"}});
  REQUIRE(v);
  CHECK(v->status == 403);

  auto byid =
      f.post(f.analyst_key, "/api/v1/alerts/triage", json{{"ids", {ids[0], ids[3]}}, {"assignee", "bob"}});
  REQUIRE(byid);
  REQUIRE(byid->status == 200);
  CHECK(json::parse(byid->body)["updated"] == 2);
  CHECK(f.store->get_triage(ids[3])->assignee == std::optional<std::string>("bob"));
  CHECK(!f.store->get_triage(ids[1])->assignee);

  auto byf =
      f.post(f.analyst_key, "/api/v1/alerts/triage",
             json{{"filter", {{"sid", 100}}}, {"status", "false_positive"}, {"comment", "lab scanner"}});
  REQUIRE(byf);
  REQUIRE(byf->status == 200);
  CHECK(json::parse(byf->body)["updated"] == 3);
  for (int i = 0; i < 5; ++i)
    CHECK(f.store->get_triage(ids[i])->status == (i < 3 ? "false_positive" : "new"));
  CHECK(f.store->get_triage(ids[2])->comments.size() == 1);
  auto audit = f.store->list_audit({});
  REQUIRE(audit.size() == 2);
  CHECK(audit[0].detail["count"] == 3);
  CHECK(audit[0].detail["filter"]["sid"] == 100);

  // The alert list's filter names apply, triage status included: the rest of the new ones.
  auto rest = f.post(f.analyst_key, "/api/v1/alerts/triage",
                     json{{"filter", {{"status", "new"}}}, {"status", "closed"}});
  REQUIRE(rest);
  REQUIRE(rest->status == 200);
  CHECK(json::parse(rest->body)["updated"] == 2);
  CHECK(f.store->get_triage(ids[4])->status == "closed");
  CHECK(f.store->get_triage(ids[0])->status == "false_positive");

  auto bad =
      f.post(f.analyst_key, "/api/v1/alerts/triage", json{{"filter", {{"nope", 1}}}, {"status", "closed"}});
  REQUIRE(bad);
  CHECK(bad->status == 400);
}

TEST_CASE("suppressions: admin only to add and remove, anyone to list - audited", "[suppression]") {
  TriageFixture f("sup-roles");
  json body{{"sid", 2001}, {"reason", "noisy"}, {"expires_at", "never"}};
  auto an = f.post(f.analyst_key, "/api/v1/suppressions", body);
  REQUIRE(an);
  CHECK(an->status == 403);
  auto vi = f.post(f.viewer_key, "/api/v1/suppressions", body);
  REQUIRE(vi);
  CHECK(vi->status == 403);
  auto bad = f.post(f.admin_key, "/api/v1/suppressions", json{{"sid", 2001}, {"expires_at", "never"}});
  REQUIRE(bad);
  CHECK(bad->status == 400);
  auto ok = f.post(f.admin_key, "/api/v1/suppressions", body);
  REQUIRE(ok);
  REQUIRE(ok->status == 201);
  int64_t id = json::parse(ok->body)["id"].get<int64_t>();
  CHECK(json::parse(ok->body)["author"] == "apikey:" + sha256_hex(f.admin_key).substr(0, kCredentialIdLen));

  auto list = f.client(f.viewer_key).Get("/api/v1/suppressions");
  REQUIRE(list);
  REQUIRE(list->status == 200);
  CHECK(json::parse(list->body)["suppressions"].size() == 1);
  CHECK(json::parse(list->body)["threshold"] == "suppress gen_id 1, sig_id 2001\n");

  std::string path = "/api/v1/suppressions/" + std::to_string(id);
  auto del_an = f.client(f.analyst_key).Delete(path);
  REQUIRE(del_an);
  CHECK(del_an->status == 403);
  auto del = f.client(f.admin_key).Delete(path);
  REQUIRE(del);
  CHECK(del->status == 200);
  auto again = f.client(f.admin_key).Delete(path);
  REQUIRE(again);
  CHECK(again->status == 404);
  auto active = f.client(f.viewer_key).Get("/api/v1/suppressions");
  CHECK(json::parse(active->body)["suppressions"].empty());
  auto all = f.client(f.viewer_key).Get("/api/v1/suppressions?all=1");
  REQUIRE(json::parse(all->body)["suppressions"].size() == 1);
  CHECK(json::parse(all->body)["suppressions"][0]["removed_at"].is_number());
  auto audit = f.store->list_audit({});
  REQUIRE(audit.size() == 2);
  CHECK(audit[0].action == "suppression.remove");
  CHECK(audit[1].action == "suppression.add");
}

TEST_CASE("a suppression drops matching alerts at ingest and changes the version agents see",
          "[suppression]") {
  TriageFixture f("sup-ingest");
  json put;
  REQUIRE(f.server->upload_ruleset("alert ip any any -> any any (sid:1;)", false, &put) == 200);
  std::string base = put["version"];
  std::string agent = f.enroll();
  std::string agent_id = agent.substr(0, agent.find('.'));
  auto version = [&] {
    auto r = f.client(agent).Post("/api/v1/heartbeat", "{}", "application/json");
    REQUIRE(r);
    REQUIRE(r->status == 200);
    return json::parse(r->body)["ruleset_version"].get<std::string>();
  };
  CHECK(version() == base);
  auto send = [&](uint64_t seq, std::vector<std::pair<std::string, int>> uid_sid) {
    json ev = json::array();
    for (auto& [uid, sid] : uid_sid) {
      json eve = {{"timestamp", "2026-01-01T00:00:01.000000+0000"},
                  {"event_type", "alert"},
                  {"src_ip", "10.1.2.3"},
                  {"dest_ip", "192.0.2.1"},
                  {"alert", {{"signature_id", sid}, {"gid", 1}}}};
      ev.push_back({{"uid", uid}, {"eve", eve}});
    }
    auto r = f.client(agent).Post("/api/v1/events",
                                  json{{"agent_id", agent_id}, {"batch_seq", seq}, {"events", ev}}.dump(),
                                  "application/json");
    REQUIRE(r);
    return r->status;
  };
  auto uid = [](char c) { return std::string(64, c); };
  auto add = f.post(f.admin_key, "/api/v1/suppressions",
                    json{{"sid", 2001},
                         {"track", "by_src"},
                         {"cidr", "10.0.0.0/8"},
                         {"reason", "lab"},
                         {"expires_at", "never"}});
  REQUIRE(add);
  REQUIRE(add->status == 201);
  int64_t id = json::parse(add->body)["id"];

  std::string v1 = version();
  CHECK(v1.rfind(base + "+", 0) == 0);
  auto rs = f.client(agent).Get("/api/v1/ruleset");
  REQUIRE(rs);
  CHECK(json::parse(rs->body)["version"] == v1);
  CHECK(json::parse(rs->body)["threshold"] ==
        "suppress gen_id 1, sig_id 2001, track by_src, ip 10.0.0.0/8\n");

  CHECK(send(1, {{uid('a'), 2001}, {uid('b'), 2002}}) == 200);
  AlertQuery q;
  AlertPage page;
  q.sid = 2001;
  REQUIRE(f.store->query_alerts(q, &page).ok);
  CHECK(page.total == 0);
  q.sid = 2002;
  REQUIRE(f.store->query_alerts(q, &page).ok);
  CHECK(page.total == 1);
  auto list = f.client(f.viewer_key).Get("/api/v1/suppressions");
  CHECK(json::parse(list->body)["suppressions"][0]["hits"] == 1);
  CHECK(json::parse(list->body)["suppressed_total"] == 1);

  // Removed: the version is the rule set's again, and a resend of batch 1
  // (the same events) is a resend, not a conflict, and counts no new hit.
  auto del = f.client(f.admin_key).Delete("/api/v1/suppressions/" + std::to_string(id));
  REQUIRE(del);
  CHECK(del->status == 200);
  CHECK(version() == base);
  CHECK(send(1, {{uid('a'), 2001}, {uid('b'), 2002}}) == 200);
  list = f.client(f.viewer_key).Get("/api/v1/suppressions?all=1");
  CHECK(json::parse(list->body)["suppressions"][0]["hits"] == 1);
  CHECK(send(2, {{uid('c'), 2001}}) == 200);
  q.sid = 2001;
  REQUIRE(f.store->query_alerts(q, &page).ok);
  CHECK(page.total == 1);
}

TEST_CASE("a suppression that expires stops applying without a request to remove it", "[suppression]") {
  TriageFixture f("sup-expiry");
  auto now =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch());
  auto add = f.post(f.admin_key, "/api/v1/suppressions",
                    json{{"sid", 7}, {"reason", "short"}, {"expires_at", now.count() + 2}});
  REQUIRE(add);
  REQUIRE(add->status == 201);
  auto sup = [&] {
    auto r = f.client(f.viewer_key).Get("/api/v1/suppressions");
    return json::parse(r->body);
  };
  CHECK(sup()["version_suffix"] != "");
  std::this_thread::sleep_for(std::chrono::milliseconds(3100));
  CHECK(sup()["version_suffix"] == "");
  CHECK(sup()["suppressions"].empty());
}

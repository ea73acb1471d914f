// The collector server over real TLS on loopback: enrolment, authentication
// refusals, exactly-once ingest, heartbeats, rule-set upload and read API.
#include <httplib.h>
#include <unistd.h>
#include <zlib.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <thread>

#include "tests/collector/collector_fixture.h"

using namespace vigil::collector;
using nlohmann::json;

namespace {

std::string batch(const std::string& agent, uint64_t seq, int first, int n) {
  json ev = json::array();
  for (int i = first; i < first + n; ++i) {
    ev.push_back({{"uid", sha256_hex("uid" + std::to_string(i))},
                  {"eve",
                   {{"timestamp", "2026-01-01T00:00:00.000000+0000"},
                    {"event_type", "alert"},
                    {"src_ip", "10.0.0.1"},
                    {"dest_ip", "10.0.0.2"},
                    {"alert", {{"signature_id", 1000 + i}, {"severity", 1}}}}}});
  }
  return json{{"agent_id", agent}, {"batch_seq", seq}, {"events", ev}}.dump();
}

std::string gzip(const std::string& s) {
  z_stream z{};
  deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY);
  std::string out(compressBound(s.size()) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(s.data()));
  z.avail_in = static_cast<uInt>(s.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

}  // namespace

TEST_CASE("enrolment trades a token once - expired and unknown tokens are refused") {
  Fixture f("enroll");
  std::string cred = f.enroll();
  CHECK(cred.rfind("ag-", 0) == 0);
  std::string used = random_hex(8), expired = random_hex(8);
  REQUIRE(f.store->create_token(sha256_hex(used), 0, INT64_MAX, 1).ok);
  REQUIRE(f.store->create_token(sha256_hex(expired), 0, 1, 5).ok);
  auto& c = f.client();
  auto r1 = c.Post("/api/v1/enroll", json{{"token", used}}.dump(), "application/json");
  REQUIRE(r1);
  CHECK(r1->status == 200);
  auto r2 = c.Post("/api/v1/enroll", json{{"token", used}}.dump(), "application/json");
  REQUIRE(r2);
  CHECK(r2->status == 403);
  auto r3 = c.Post("/api/v1/enroll", json{{"token", expired}}.dump(), "application/json");
  REQUIRE(r3);
  CHECK(r3->status == 403);
  auto r4 = c.Post("/api/v1/enroll", json{{"token", "nope"}}.dump(), "application/json");
  REQUIRE(r4);
  CHECK(r4->status == 401);
  CHECK(f.store->list_agents().size() == 2);
}

TEST_CASE("a malformed enrolment request is refused with 400 before the token is used") {
  Fixture f("enroll-bad");
  std::string token = random_hex(8);
  REQUIRE(f.store->create_token(sha256_hex(token), 0, INT64_MAX, 1).ok);
  auto& c = f.client();
  for (const json& bad : {json{{"token", token}, {"hostname", 5}},
                          json{{"token", token}, {"hostname", std::string(256, 'h')}}, json{{"token", 7}}}) {
    auto r = c.Post("/api/v1/enroll", bad.dump(), "application/json");
    REQUIRE(r);
    CHECK(r->status == 400);
    CHECK_FALSE(json::parse(r->body, nullptr, false).value("error", "").empty());
  }
  CHECK(f.store->list_agents().empty());
  auto ok = c.Post("/api/v1/enroll", json{{"token", token}, {"hostname", "h"}}.dump(), "application/json");
  REQUIRE(ok);
  CHECK(ok->status == 200);  // the token was not used by the refusals
}

TEST_CASE("ingest is exactly-once per batch and refused without valid agent credentials") {
  Fixture f("ingest");
  std::string cred = f.enroll();
  std::string agent = cred.substr(0, cred.find('.'));
  httplib::Headers gz = {{"Content-Encoding", "gzip"}};
  auto& c = f.client(cred);
  auto r = c.Post("/api/v1/events", gz, gzip(batch(agent, 2, 0, 10)), "application/json");
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(json::parse(r->body)["acked_seq"] == 2);
  auto again = c.Post("/api/v1/events", gz, gzip(batch(agent, 2, 0, 10)), "application/json");
  REQUIRE(again);
  CHECK(again->status == 200);
  CHECK(json::parse(again->body)["duplicate_batch"] == true);
  auto overlap = c.Post("/api/v1/events", batch(agent, 3, 5, 10), "application/json");
  REQUIRE(overlap);
  CHECK(overlap->status == 200);
  CHECK(f.store->count_events("alert") == 15);

  int64_t before = f.store->count_events("alert");
  auto none = f.client().Post("/api/v1/events", batch(agent, 4, 100, 5), "application/json");
  REQUIRE(none);
  CHECK(none->status == 401);
  auto unknown = f.client("ag-0000." + random_hex(32))
                     .Post("/api/v1/events", batch("ag-0000", 4, 100, 5), "application/json");
  REQUIRE(unknown);
  CHECK(unknown->status == 401);
  auto wrong_key = f.client(agent + "." + random_hex(32))
                       .Post("/api/v1/events", batch(agent, 4, 100, 5), "application/json");
  REQUIRE(wrong_key);
  CHECK(wrong_key->status == 401);
  auto api_key = f.client(f.admin_key).Post("/api/v1/events", batch(agent, 4, 100, 5), "application/json");
  REQUIRE(api_key);
  CHECK(api_key->status == 401);
  std::string other = f.enroll();
  auto spoof = f.client(other).Post("/api/v1/events", batch(agent, 4, 100, 5), "application/json");
  REQUIRE(spoof);
  CHECK(spoof->status == 403);
  REQUIRE(f.store->revoke_agent(agent));
  auto revoked = c.Post("/api/v1/events", batch(agent, 4, 100, 5), "application/json");
  REQUIRE(revoked);
  CHECK(revoked->status == 403);
  auto hb = c.Post("/api/v1/heartbeat", "{}", "application/json");
  REQUIRE(hb);
  CHECK(hb->status == 403);
  auto garbage = f.client(other).Post("/api/v1/events", "{not json", "application/json");
  REQUIRE(garbage);
  CHECK(garbage->status == 400);
  CHECK(f.store->count_events("alert") == before);
}

TEST_CASE("heartbeats mark agents online and carry the current rule-set version") {
  Fixture f("hb");
  std::string cred = f.enroll();
  auto& c = f.client(cred);
  auto put =
      f.client(f.admin_key).Put("/api/v1/ruleset", "alert ip any any -> any any (sid:1;)", "text/plain");
  REQUIRE(put);
  REQUIRE(put->status == 200);
  std::string version = json::parse(put->body)["version"];
  auto r =
      c.Post("/api/v1/heartbeat", json{{"hostname", "h1"}, {"ruleset_version", ""}, {"packets", 5}}.dump(),
             "application/json");
  REQUIRE(r);
  REQUIRE(r->status == 200);
  CHECK(json::parse(r->body)["ruleset_version"] == version);
  auto rs = c.Get("/api/v1/ruleset");
  REQUIRE(rs);
  REQUIRE(rs->status == 200);
  CHECK(json::parse(rs->body)["text"] == "alert ip any any -> any any (sid:1;)");

  auto agents = f.client(f.viewer_key).Get("/api/v1/agents");
  REQUIRE(agents);
  REQUIRE(agents->status == 200);
  json a = json::parse(agents->body)["agents"];
  REQUIRE(a.size() == 1);
  CHECK(a[0]["status"] == "online");
  CHECK(a[0]["hostname"] == "h1");
  CHECK(a[0]["heartbeat"]["packets"] == 5);
  CHECK(f.client().Get("/api/v1/agents")->status == 401);
  CHECK(f.client(cred).Get("/api/v1/agents")->status == 401);
}

TEST_CASE("rule-set upload: admin only, errors refused with lines unless allowed") {
  Fixture f("rules");
  auto viewer = f.client(f.viewer_key).Put("/api/v1/ruleset", "x", "text/plain");
  REQUIRE(viewer);
  CHECK(viewer->status == 403);
  auto bad = f.client(f.admin_key).Put("/api/v1/ruleset", "good\nbad", "text/plain");
  REQUIRE(bad);
  CHECK(bad->status == 422);
  CHECK(json::parse(bad->body)["errors"][0] == "rules:2: sid 9: bad rule");
  CHECK_FALSE(f.store->current_ruleset());
  auto allowed = f.client(f.admin_key).Put("/api/v1/ruleset?allow_errors=1", "good\nbad", "text/plain");
  REQUIRE(allowed);
  CHECK(allowed->status == 200);
  CHECK(json::parse(allowed->body)["rules_failed"] == 1);
  REQUIRE(f.store->current_ruleset());
}

TEST_CASE("alerts API filters, counts and pages") {
  Fixture f("alerts");
  std::string cred = f.enroll();
  std::string agent = cred.substr(0, cred.find('.'));
  REQUIRE(f.client(cred).Post("/api/v1/events", batch(agent, 1, 0, 30), "application/json")->status == 200);
  auto& c = f.client(f.viewer_key);
  auto r = c.Get("/api/v1/alerts?limit=20");
  REQUIRE(r);
  REQUIRE(r->status == 200);
  json j = json::parse(r->body);
  CHECK(j["total"] == 30);
  CHECK(j["alerts"].size() == 20);
  REQUIRE(j["next_cursor"].is_string());
  auto r2 = c.Get(("/api/v1/alerts?limit=20&cursor=" + j["next_cursor"].get<std::string>()).c_str());
  json j2 = json::parse(r2->body);
  CHECK(j2["alerts"].size() == 10);
  CHECK(j2["next_cursor"].is_null());
  CHECK(json::parse(c.Get("/api/v1/alerts?sid=1005")->body)["total"] == 1);
  CHECK(json::parse(c.Get(("/api/v1/alerts?agent=" + agent).c_str())->body)["total"] == 30);
  CHECK(json::parse(c.Get("/api/v1/alerts?src_ip=10.0.0.9")->body)["total"] == 0);
  CHECK(json::parse(c.Get("/api/v1/alerts?from=2026-01-02")->body)["total"] == 0);
  CHECK(json::parse(c.Get("/api/v1/alerts?severity=1")->body)["total"] == 30);
  CHECK(c.Get("/api/v1/alerts?sid=abc")->status == 400);
  CHECK(f.client().Get("/api/v1/alerts")->status == 401);
}

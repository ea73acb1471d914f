// The agent's uplink against a real collector on loopback: enrolment (CA
// file and pin), exactly-once delivery through replays and collector
// restarts, refusal of revoked agents, heartbeats and rule-set updates.
#include "agent/uplink/uplink.h"

#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <fstream>

#include "tests/collector/collector_fixture.h"

using namespace vigil;
using namespace vigil::collector;
using namespace std::chrono_literals;

namespace {

std::string state_dir(const char* name) {
  auto d = std::filesystem::temp_directory_path() /
           (std::string("vigil-agent-") + name + std::to_string(getpid()));
  std::filesystem::remove_all(d);
  return d.string();
}

std::string new_token(Fixture& f, int64_t expires = INT64_MAX, int uses = 1) {
  std::string t = "vt_" + random_hex(10);
  REQUIRE(f.store->create_token(sha256_hex(t), 0, expires, uses).ok);
  return t;
}

std::string url(Fixture& f) {
  return "https://127.0.0.1:" + std::to_string(f.port());
}

std::string alert_json(int i) {
  char ts[64];
  std::snprintf(ts, sizeof ts, "2026-01-01T00:%02d:%02d.%06d+0000", (i / 60) % 60, i % 60, i);
  return std::string(R"({"timestamp":")") + ts + R"(","flow_id":)" + std::to_string(1000 + i) +
         R"(,"event_type":"alert","src_ip":"10.0.0.1","src_port":1024,"dest_ip":"10.0.0.2","dest_port":80,)" +
         R"("proto":"TCP","alert":{"signature_id":)" + std::to_string(2000 + i % 7) +
         R"(,"gid":1,"rev":1,"signature":"t","severity":2}})";
}

uint64_t counter(const Uplink& u, std::string_view name) {
  uint64_t v = UINT64_MAX;
  u.visit_counters([&](std::string_view n, uint64_t x) {
    if (n == name) v = x;
  });
  return v;
}

std::unique_ptr<Uplink> open_uplink(const std::string& dir, uint64_t spool_max = 512ull << 20) {
  UplinkConfig cfg;
  cfg.state_dir = dir;
  cfg.heartbeat_interval_s = 1;
  cfg.batch_max_events = 100;
  cfg.batch_max_age_ms = 50;
  cfg.backoff_initial_ms = 50;
  cfg.backoff_max_ms = 400;
  cfg.spool_max_bytes = spool_max;
  std::string err;
  auto u = Uplink::open(cfg, &err);
  INFO(err);
  REQUIRE(u);
  return u;
}

}  // namespace

TEST_CASE("enrol with the CA file, ship alerts exactly once, survive a collector restart") {
  Fixture f("uplink");
  std::string dir = state_dir("ca");
  EnrollOptions eo{url(f), new_token(f), f.tls.ca_cert_path, "", dir, "agent-host"};
  REQUIRE(run_enroll(eo) == 0);
  struct stat sb;
  REQUIRE(stat((dir + "/agent.json").c_str(), &sb) == 0);
  CHECK((sb.st_mode & 0777) == 0600);
  CHECK(is_enrolled(dir));
  CHECK(run_enroll(eo) != 0);  // already enrolled

  auto up = open_uplink(dir);
  up->start();
  for (int i = 0; i < 250; ++i) up->submit("alert", alert_json(i));
  up->submit("flow", R"({"event_type":"flow"})");  // not an uplink type: ignored
  REQUIRE(up->drain(20s));
  CHECK(f.store->count_events("alert") == 250);
  CHECK(f.store->count_events("flow") == 0);

  // The same events again (a replay of the capture after a crash): no duplicates.
  for (int i = 0; i < 250; ++i) up->submit("alert", alert_json(i));
  REQUIRE(up->drain(20s));
  CHECK(f.store->count_events("alert") == 250);

  // Collector down: submit still returns (spooled), delivery resumes after restart.
  f.stop_server();
  for (int i = 250; i < 400; ++i) up->submit("alert", alert_json(i));
  CHECK_FALSE(up->drain(300ms));
  CHECK(counter(*up, "spool.depth") == 150);
  CHECK(counter(*up, "uplink.errors") > 0);
  f.start_server();
  REQUIRE(up->drain(20s));
  CHECK(f.store->count_events("alert") == 400);
  CHECK(counter(*up, "spool.depth") == 0);
  up->stop();

  // Restart the agent on the same state directory: nothing left to send.
  auto up2 = open_uplink(dir);
  up2->start();
  CHECK(up2->drain(5s));
  CHECK(f.store->count_events("alert") == 400);
}

TEST_CASE("heartbeats reach the collector and a new rule set is handed to the agent") {
  Fixture f("hbrules");
  std::string dir = state_dir("hb");
  REQUIRE(run_enroll({url(f), new_token(f), f.tls.ca_cert_path, "", dir, "h"}) == 0);
  auto up = open_uplink(dir);
  std::atomic<int> calls{0};
  std::string got_text;
  std::mutex mu;
  up->set_heartbeat_source([] { return nlohmann::json{{"packets", 42}, {"capture_drops", 0}}; });
  up->set_ruleset_handler([&](const std::string&, const std::string& text) {
    std::lock_guard lk(mu);
    got_text = text;
    return ++calls == 1 || text.find("sid:2") != std::string::npos;
  });
  up->start();
  nlohmann::json res;
  REQUIRE(upload_ruleset(*f.store, f.validator, "alert ip any any -> any any (sid:1;)", false, &res) == 200);
  std::string v1 = res["version"];
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (up->ruleset_version() != v1 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(50ms);
  CHECK(up->ruleset_version() == v1);
  {
    std::lock_guard lk(mu);
    CHECK(got_text == "alert ip any any -> any any (sid:1;)");
  }
  // The collector learns the version from the next heartbeat.
  deadline = std::chrono::steady_clock::now() + 5s;
  std::string seen;
  while (std::chrono::steady_clock::now() < deadline) {
    auto agents = f.store->list_agents();
    REQUIRE(agents.size() == 1);
    seen = agents[0].ruleset_version;
    if (seen == v1) {
      CHECK(agents[0].last_heartbeat["packets"] == 42);
      CHECK(agents[0].last_heartbeat["spool"].contains("dropped"));
      CHECK(agents[0].last_heartbeat["process"]["rss_bytes"].get<uint64_t>() > 0);
      CHECK(agents[0].hostname == "h");
      break;
    }
    std::this_thread::sleep_for(50ms);
  }
  CHECK(seen == v1);
  // A rule set the agent cannot load is not retried and the old one stays.
  REQUIRE(upload_ruleset(*f.store, f.validator, "alert ip any any -> any any (sid:3;)", false, &res) == 200);
  std::this_thread::sleep_for(2500ms);
  CHECK(up->ruleset_version() == v1);
  CHECK(calls == 2);
  CHECK(counter(*up, "ruleset.update_failures") == 1);
  CHECK(counter(*up, "heartbeat.sent") >= 2);
}

TEST_CASE("pinned enrolment, wrong pins, used-up tokens and revoked agents") {
  Fixture f("pin");
  std::string pin = cert_fingerprint_sha256(f.tls.server_cert_path);
  REQUIRE(pin.size() == 64);
  std::string bad_pin(64, 'a');
  std::string t = new_token(f);
  CHECK(run_enroll({url(f), t, "", bad_pin, state_dir("badpin"), "h"}) != 0);
  CHECK(f.store->list_agents().empty());
  std::string dir = state_dir("pin");
  REQUIRE(run_enroll({url(f), t, "", pin, dir, "h"}) == 0);
  CHECK(run_enroll({url(f), t, "", pin, state_dir("reuse"), "h"}) != 0);              // used up
  CHECK(run_enroll({url(f), new_token(f, 1), "", pin, state_dir("exp"), "h"}) != 0);  // expired
  CHECK(run_enroll({url(f), "vt_unknown", f.tls.ca_cert_path, "", state_dir("unk"), "h"}) != 0);

  auto up = open_uplink(dir);
  up->start();
  for (int i = 0; i < 10; ++i) up->submit("alert", alert_json(i));
  REQUIRE(up->drain(10s));
  CHECK(f.store->count_events("alert") == 10);
  REQUIRE(f.store->revoke_agent(up->agent_id()));
  for (int i = 10; i < 20; ++i) up->submit("alert", alert_json(i));
  CHECK_FALSE(up->drain(1500ms));
  CHECK(counter(*up, "uplink.refused") > 0);
  CHECK(counter(*up, "spool.depth") == 10);  // kept, not lost
  CHECK(f.store->count_events("alert") == 10);
}

TEST_CASE("a spool smaller than the backlog drops the oldest, counts it, and delivers the rest") {
  Fixture f("cap");
  std::string dir = state_dir("cap");
  REQUIRE(run_enroll({url(f), new_token(f), f.tls.ca_cert_path, "", dir, "h"}) == 0);
  uint64_t one = 64 + 5 + alert_json(0).size() + 16;
  f.stop_server();
  {
    auto up = open_uplink(dir, one * 50);
    up->start();
    for (int i = 0; i < 200; ++i) up->submit("alert", alert_json(i));
    REQUIRE(up->flush());  // submit() only queues; the counters count commits
    uint64_t dropped = counter(*up, "spool.dropped");
    uint64_t depth = counter(*up, "spool.depth");
    CHECK(dropped > 0);
    CHECK(dropped + depth == 200);
    f.start_server();
    REQUIRE(up->drain(20s));
    CHECK(f.store->count_events("alert") == static_cast<int64_t>(depth));
    // The newest event made it; the oldest did not.
    AlertQuery q;
    q.sid = 2000 + 199 % 7;
    AlertPage page;
    REQUIRE(f.store->query_alerts(q, &page).ok);
    CHECK(page.total > 0);
    // Heartbeat carries the drop count.
    auto deadline = std::chrono::steady_clock::now() + 5s;
    uint64_t hb_dropped = 0;
    while (std::chrono::steady_clock::now() < deadline) {
      auto a = f.store->list_agents();
      if (!a.empty() && a[0].last_heartbeat.is_object()) {
        hb_dropped = a[0].last_heartbeat["spool"].value("dropped", uint64_t{0});
        if (hb_dropped == dropped) break;
      }
      std::this_thread::sleep_for(100ms);
    }
    CHECK(hb_dropped == dropped);
  }
}

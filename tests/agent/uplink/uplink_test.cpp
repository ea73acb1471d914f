// The agent's uplink against a real collector on loopback: enrolment (CA
// file and pin), exactly-once delivery through replays and collector
// restarts, refusal of revoked agents, heartbeats and rule-set updates (on a
// manual clock), batch caps, refused events and reused batch numbers.
#include "agent/uplink/uplink.h"

#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <set>

#include "agent/uplink/agent_state.h"
#include "agent/uplink/spool.h"
#include "common/clock.h"
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

std::string up_agent_id(const std::string& dir) {
  AgentState st;
  std::string err;
  REQUIRE(load_agent_state(dir, &st, &err));
  return st.agent_id;
}

uint64_t counter(const Uplink& u, std::string_view name) {
  uint64_t v = UINT64_MAX;
  u.visit_counters([&](std::string_view n, uint64_t x) {
    if (n == name) v = x;
  });
  return v;
}

// Waits (bounded) for something the uplink's threads do.
template <class F>
bool eventually(F&& cond, std::chrono::milliseconds limit = 10s) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!cond()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

std::unique_ptr<Uplink> open_uplink(const std::string& dir, uint64_t spool_max = 512ull << 20,
                                    std::shared_ptr<Clock> clock = real_clock(),
                                    uint64_t batch_max_bytes = 4ull << 20, int heartbeat_s = 1) {
  UplinkConfig cfg;
  cfg.clock = std::move(clock);
  cfg.batch_max_bytes = batch_max_bytes;
  cfg.state_dir = dir;
  cfg.heartbeat_interval_s = heartbeat_s;
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
  // Heartbeats run on a manual clock: one beat at start, then one each time
  // the test moves time on by the interval (an hour: on the real clock this
  // test could not pass), whatever the machine's speed.
  auto clock = std::make_shared<ManualClock>();
  auto up = open_uplink(dir, 512ull << 20, clock, 4ull << 20, 3600);
  std::atomic<int> calls{0};
  std::string got_text;
  std::mutex mu;
  up->set_heartbeat_source([] { return nlohmann::json{{"packets", 42}, {"capture_drops", 0}}; });
  up->set_ruleset_handler([&](const std::string&, const std::string& text, const std::string&) {
    std::lock_guard lk(mu);
    got_text = text;
    return ++calls == 1 || text.find("sid:2") != std::string::npos;
  });
  // One beat, then the heartbeat thread waits on the clock.
  auto beat = [&] {
    uint64_t n = counter(*up, "heartbeat.sent");
    REQUIRE(eventually([&] { return clock->waiters() > 0; }));
    clock->advance(1h);
    REQUIRE(eventually([&] { return counter(*up, "heartbeat.sent") > n && clock->waiters() > 0; }));
  };
  up->start();
  REQUIRE(eventually([&] { return counter(*up, "heartbeat.sent") == 1 && clock->waiters() > 0; }));
  // Time does not move: no second heartbeat, however long we wait.
  std::this_thread::sleep_for(50ms);
  CHECK(counter(*up, "heartbeat.sent") == 1);

  nlohmann::json res;
  REQUIRE(upload_ruleset(*f.store, f.validator, "alert ip any any -> any any (sid:1;)", false, &res) == 200);
  std::string v1 = res["version"];
  beat();
  // The beat that announced v1 downloaded it and told the collector at once.
  REQUIRE(eventually([&] { return up->ruleset_version() == v1; }));
  {
    std::lock_guard lk(mu);
    CHECK(got_text == "alert ip any any -> any any (sid:1;)");
  }
  REQUIRE(eventually([&] { return f.store->list_agents()[0].ruleset_version == v1; }));
  auto agents = f.store->list_agents();
  REQUIRE(agents.size() == 1);
  CHECK(agents[0].last_heartbeat["packets"] == 42);
  CHECK(agents[0].last_heartbeat["spool"].contains("dropped"));
  // The uplink's and spool's counters ride in "counters" (the agents page's spool column).
  const auto& hc = agents[0].last_heartbeat["counters"];
  REQUIRE(hc.is_object());
  for (const char* name : {"spool.depth", "spool.write_errors", "spool.quarantined", "uplink.cert_mismatch"})
    CHECK(hc.contains(name));
  CHECK(agents[0].last_heartbeat["process"]["rss_bytes"].get<uint64_t>() > 0);
  CHECK(agents[0].hostname == "h");

  // A rule set the agent cannot load is not retried and the old one stays.
  REQUIRE(upload_ruleset(*f.store, f.validator, "alert ip any any -> any any (sid:3;)", false, &res) == 200);
  beat();
  REQUIRE(eventually([&] { return counter(*up, "ruleset.update_failures") == 1; }));
  beat();
  beat();
  CHECK(up->ruleset_version() == v1);
  CHECK(calls == 2);
  CHECK(counter(*up, "ruleset.update_failures") == 1);
  CHECK(counter(*up, "heartbeat.sent") >= 5);
}

TEST_CASE(
    "the collector's suppressions reach the agent with the rule set, under a version that follows them") {
  Fixture f("hbsup");
  std::string dir = state_dir("hbsup");
  REQUIRE(run_enroll({url(f), new_token(f), f.tls.ca_cert_path, "", dir, "h"}) == 0);
  nlohmann::json res;
  REQUIRE(upload_ruleset(*f.store, f.validator, "alert ip any any -> any any (sid:5;)", false, &res) == 200);
  std::string v1 = res["version"];
  Suppression s;
  s.sid = 5;
  s.reason = "test";
  s.author = "admin";
  REQUIRE(f.store->add_suppression(&s, {0, 1, "admin", "suppression.add", "", "", nullptr}).ok);
  auto clock = std::make_shared<ManualClock>();
  auto up = open_uplink(dir, 512ull << 20, clock, 4ull << 20, 3600);
  std::mutex mu;
  std::string got_threshold = "unset";
  up->set_heartbeat_source([] { return nlohmann::json::object(); });
  up->set_ruleset_handler([&](const std::string&, const std::string&, const std::string& threshold) {
    std::lock_guard lk(mu);
    got_threshold = threshold;
    return true;
  });
  up->start();
  REQUIRE(eventually([&] { return up->ruleset_version().rfind(v1 + "+", 0) == 0; }));
  {
    std::lock_guard lk(mu);
    CHECK(got_threshold == "suppress gen_id 1, sig_id 5\n");
  }
  // Removed on the collector: the next heartbeat names the bare version and
  // the agent reloads without the suppression.
  auto del = f.client(f.admin_key).Delete("/api/v1/suppressions/" + std::to_string(s.id));
  REQUIRE(del);
  REQUIRE(del->status == 200);
  REQUIRE(eventually([&] { return clock->waiters() > 0; }));
  clock->advance(1h);
  REQUIRE(eventually([&] { return up->ruleset_version() == v1; }));
  std::lock_guard lk(mu);
  CHECK(got_threshold.empty());
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

TEST_CASE(
    "a batch number the collector holds with other events is renumbered above its highest, nothing lost") {
  Fixture f("reuse");
  std::string dir = state_dir("reuse");
  REQUIRE(run_enroll({url(f), new_token(f), f.tls.ca_cert_path, "", dir, "h"}) == 0);
  auto up = open_uplink(dir);
  up->start();
  for (int i = 0; i < 150; ++i) up->submit("alert", alert_json(i));
  REQUIRE(up->drain(20s));  // batches 1 and 2
  CHECK(f.store->count_events("alert") == 150);
  up->stop();
  up.reset();

  // The spool is lost: the agent starts again from an empty one...
  std::filesystem::remove(dir + "/spool.db");
  std::filesystem::remove(dir + "/spool.db-wal");
  std::filesystem::remove(dir + "/spool.db-shm");
  // ...and meanwhile the collector holds numbers up to 7 (e.g. from a run the
  // restored backup never saw).
  std::vector<IngestEvent> old = {{std::string(64, 'e'), nlohmann::json{{"event_type", "alert"}}}};
  IngestResult r;
  REQUIRE(f.store->ingest_batch(up_agent_id(dir), 7, old, 1, &r).ok);
  CHECK(f.store->count_events("alert") == 151);

  // The new spool already numbered its first batches 1..3 (formed before the
  // collector was heard from), and the collector holds 1 and 2 with other
  // events: 409, renumbered above 7, delivered.
  {
    std::string err;
    auto sp = Spool::open({dir + "/spool.db"}, &err);
    REQUIRE(sp);
    std::string id = up_agent_id(dir);
    for (int i = 1000; i < 1250; ++i) {
      std::string j = alert_json(i);
      sp->append(compute_event_uid(id, j), "alert", j);
    }
    REQUIRE(sp->flush());
    auto b = sp->next_batch(100, true);
    REQUIRE(b);
    CHECK(b->seq == 1);
    REQUIRE(sp->split_batch(1));  // 1: 50 events, 2: 50
    REQUIRE(sp->split_batch(1));  // 1: 25, 3: 25
    CHECK(sp->next_seq() == 4);
  }
  auto up2 = open_uplink(dir);
  up2->start();
  REQUIRE(up2->drain(20s));
  CHECK(f.store->count_events("alert") == 151 + 250);
  CHECK(counter(*up2, "uplink.conflicts") >= 1);
  CHECK(counter(*up2, "uplink.batches_renumbered") >= 1);
  CHECK(f.store->highest_batch_seq(up2->agent_id()) > 7);
  // Every one of the new alerts is there once.
  AlertQuery q;
  q.agent_id = up2->agent_id();
  q.limit = 10000;
  AlertPage page;
  REQUIRE(f.store->query_alerts(q, &page).ok);
  std::set<std::string> ts;
  for (const auto& a : page.alerts) ts.insert(a.value("timestamp", ""));
  CHECK(page.total == 401);
  CHECK(ts.size() == 401);
}

TEST_CASE("a heartbeat reply moves a new spool's numbering above the collector's highest batch") {
  Fixture f("hbseq");
  std::string dir = state_dir("hbseq");
  REQUIRE(run_enroll({url(f), new_token(f), f.tls.ca_cert_path, "", dir, "h"}) == 0);
  std::vector<IngestEvent> old = {{std::string(64, 'd'), nlohmann::json{{"event_type", "alert"}}}};
  IngestResult r;
  REQUIRE(f.store->ingest_batch(up_agent_id(dir), 40, old, 1, &r).ok);
  auto up = open_uplink(dir);
  up->start();
  REQUIRE(eventually([&] { return counter(*up, "heartbeat.sent") >= 1; }));
  for (int i = 0; i < 20; ++i) up->submit("alert", alert_json(i));
  REQUIRE(up->drain(20s));
  CHECK(f.store->count_events("alert") == 21);
  CHECK(counter(*up, "uplink.conflicts") == 0);  // numbered 41, never 1
  CHECK(f.store->highest_batch_seq(up->agent_id()) == 41);
}

TEST_CASE(
    "a tiny batch byte cap still delivers everything - an event larger than the cap is dropped and counted") {
  Fixture f("tinycap");
  std::string dir = state_dir("tinycap");
  REQUIRE(run_enroll({url(f), new_token(f), f.tls.ca_cert_path, "", dir, "h"}) == 0);
  size_t one = alert_json(0).size() + 64 + 100;
  auto up = open_uplink(dir, 512ull << 20, real_clock(), 3 * one);
  up->start();
  for (int i = 0; i < 60; ++i) up->submit("alert", alert_json(i));
  std::string huge = alert_json(999);
  huge.insert(huge.size() - 1, R"(,"payload":")" + std::string(4 * one, 'A') + '"');
  up->submit("alert", huge);
  REQUIRE(up->drain(20s));
  CHECK(f.store->count_events("alert") == 60);
  CHECK(counter(*up, "uplink.event_too_large") == 1);
  CHECK(counter(*up, "uplink.batches_acked") >= 20);  // at most 3 per batch
  CHECK(counter(*up, "spool.depth") == 0);
}

TEST_CASE(
    "batches formed under a bigger cap are split, and an event the collector refuses is dropped alone") {
  Fixture f("split");
  std::string dir = state_dir("split");
  REQUIRE(run_enroll({url(f), new_token(f), f.tls.ca_cert_path, "", dir, "h"}) == 0);
  f.stop_server();
  {
    auto up = open_uplink(dir);
    up->start();
    for (int i = 0; i < 40; ++i) up->submit("alert", alert_json(i));
    // Not JSON: the collector answers 400 naming it.
    up->submit("alert", R"({"event_type":"alert","timestamp":"2026-01-01T00:00:00+0000","junk":tru})");
    for (int i = 40; i < 80; ++i) up->submit("alert", alert_json(i));
    CHECK_FALSE(up->drain(300ms));  // batches formed (100 events each), none acknowledged
    up->stop();
  }
  f.start_server();
  size_t one = alert_json(0).size() + 64 + 100;
  auto up = open_uplink(dir, 512ull << 20, real_clock(), 10 * one);
  up->start();
  REQUIRE(up->drain(20s));
  CHECK(f.store->count_events("alert") == 80);
  CHECK(counter(*up, "uplink.splits") >= 4);
  CHECK(counter(*up, "uplink.event_refused") == 1);
  CHECK(counter(*up, "spool.depth") == 0);
}

// Dashboard aggregations under every filter of the alert list: for random
// filters over a few thousand generated alerts (with triage), the store's
// stats (series by severity, totals, the four top lists) equal a count over
// the alerts the list query returns for the same filter; a filter the
// rollups answer gives the same answer as the same filter counted from rows.
#include <catch2/catch.hpp>
#include <map>
#include <random>
#include <thread>
#include <unordered_map>

#include "../store_test_util.h"
#include "collector/store/store.h"
#include "common/time.h"

using namespace vigil::collector;
using nlohmann::json;

namespace {

// 2026-01-01T00:00:00Z
constexpr int64_t kBase = 1767225600LL * 1'000'000;
constexpr int64_t kHourUs = 3'600'000'000LL;

// n random alerts by agent, with uids uid0, uid1, ...
std::map<std::string, std::vector<IngestEvent>> random_events(std::mt19937_64& rng, int n,
                                                              const std::string& uid) {
  const char* agents[] = {"ag-a", "ag-b", "ag-c"};
  const char* srcs[] = {"10.0.0.1", "10.0.1.7", "10.1.2.3", "192.168.1.20", "2001:db8::5", "2001:db8:1::9"};
  const char* dests[] = {"10.0.0.2", "172.16.0.9", "192.168.1.1", "2001:db8::1"};
  const char* apps[] = {"http", "dns", "tls", ""};
  const char* words[] = {"trojan", "scan", "policy", "exploit"};
  std::map<std::string, std::vector<IngestEvent>> by_agent;
  for (int i = 0; i < n; ++i) {
    int64_t ts = kBase + static_cast<int64_t>(rng() % (72 * kHourUs));
    int sid = 1000 + static_cast<int>(rng() % 25);
    json a = {{"signature_id", sid},
              {"gid", 1},
              {"signature", std::string("ET ") + words[sid % 4] + " rule " + std::to_string(sid)},
              {"category", sid % 3 ? "Attempted Recon" : "Trojan Activity"}};
    if (rng() % 10) a["severity"] = 1 + static_cast<int>(rng() % 3);
    json eve = {{"timestamp", test::eve_time_us(ts)}, {"event_type", "alert"},
                {"src_ip", srcs[rng() % 6]},          {"src_port", 1024 + static_cast<int>(rng() % 4)},
                {"dest_ip", dests[rng() % 4]},        {"dest_port", rng() % 2 ? 80 : 53},
                {"proto", rng() % 3 ? "TCP" : "UDP"}, {"alert", a}};
    std::string app = apps[rng() % 4];
    if (!app.empty()) eve["app_proto"] = app;
    if (app == "http") eve["http"] = {{"hostname", rng() % 2 ? "mail.example.vn" : "portal.gov.vn"}};
    by_agent[agents[rng() % 3]].emplace_back(uid + std::to_string(i), eve);
  }
  return by_agent;
}

uint64_t next_seq() {
  static std::atomic<uint64_t> seq{0};  // a new batch number each time (a store may be filled twice)
  return ++seq;
}

std::vector<int64_t> fill(Store& store, std::mt19937_64& rng, int n, const std::string& uid = "u") {
  auto by_agent = random_events(rng, n, uid);  // a new batch number each time (a store may be filled twice)
  for (auto& [agent, ev] : by_agent) {
    IngestResult r;
    REQUIRE(store.ingest_batch(agent, next_seq(), ev, 1, &r).ok);
  }
  // Ids of every alert, for triage.
  std::vector<int64_t> ids;
  AlertListQuery all;
  all.limit = 10000;
  all.want_total = false;
  AlertListPage page;
  REQUIRE(store.list_alerts(all, &page).ok);
  for (const auto& a : page.alerts) ids.push_back(a["id"].get<int64_t>());
  REQUIRE(static_cast<int>(ids.size()) >= n);
  std::vector<int64_t> ack, closed;
  for (int64_t id : ids) {
    if (rng() % 5 == 0) ack.push_back(id);
    if (rng() % 7 == 0) closed.push_back(id);
  }
  uint64_t matched = 0;
  REQUIRE(
      store.triage_alerts(ack, TriageChange{"acknowledged", "lan", std::nullopt}, "t", 1, nullptr, &matched)
          .ok);
  REQUIRE(store
              .triage_alerts(closed, TriageChange{"closed", std::nullopt, std::nullopt}, "t", 1, nullptr,
                             &matched)
              .ok);
  return ids;
}

IpNet net(const char* lo, const char* hi, const char* exact = nullptr) {
  IpNet n;
  n.lo = *ip16(lo);
  n.hi = *ip16(hi);
  if (exact) n.exact = exact;
  return n;
}

AlertFilter random_filter(std::mt19937_64& rng) {
  AlertFilter f;
  auto maybe = [&](int in) { return rng() % in == 0; };
  if (maybe(3)) f.severities = {1 + static_cast<int>(rng() % 3)};
  if (maybe(5)) f.severities = {1, 3};
  if (maybe(3)) f.sids = {1000 + static_cast<int64_t>(rng() % 25), 1000 + static_cast<int64_t>(rng() % 25)};
  if (maybe(6)) f.signature = rng() % 2 ? "TROJAN" : "scan rule";
  if (maybe(6)) f.category = "Trojan Activity";
  if (maybe(4)) f.agent_id = rng() % 2 ? "ag-a" : "ag-c";
  if (maybe(4))
    f.src_ip = rng() % 2 ? net("10.0.0.0", "10.0.255.255") : net("10.0.0.1", "10.0.0.1", "10.0.0.1");
  if (maybe(5))
    f.dest_ip = rng() % 2 ? net("2001:db8::", "2001:db8::ffff:ffff:ffff:ffff")
                          : net("::ffff:192.168.1.1", "::ffff:192.168.1.1", "192.168.1.1");
  if (maybe(6)) f.port = rng() % 2 ? 80 : 1025;
  if (maybe(8)) f.src_port = 1026;
  if (maybe(8)) f.dest_port = 53;
  if (maybe(4)) f.proto = rng() % 2 ? "TCP" : "UDP";
  if (maybe(4)) f.app_proto = rng() % 2 ? "http" : "dns";
  if (maybe(4))
    f.statuses =
        rng() % 2 ? std::vector<std::string>{"new"} : std::vector<std::string>{"acknowledged", "closed"};
  if (maybe(6)) f.assignee = "lan";
  if (maybe(6)) f.q = rng() % 2 ? "portal" : "mail.example";
  return f;
}

// The answer expected for (q, f), by counting what the list returns for f
// (plus q's range, agent and severity).
AlertStats count_listed(Store& store, const StatsQuery& q, AlertFilter f) {
  f.from_us = q.from_us;
  f.to_us = q.to_us;
  // The query's agent and severity and the filter's must both hold.
  if (q.agent_id && f.agent_id && *f.agent_id != *q.agent_id) return {};
  if (q.agent_id) f.agent_id = q.agent_id;
  if (q.severity && !f.severities.empty() &&
      std::find(f.severities.begin(), f.severities.end(), *q.severity) == f.severities.end())
    return {};
  if (q.severity) f.severities = {*q.severity};
  if (!q.severities.empty()) {
    std::vector<int> both;
    for (int v : q.severities)
      if (f.severities.empty() ||
          std::find(f.severities.begin(), f.severities.end(), v) != f.severities.end())
        both.push_back(v);
    if (both.empty()) return {};
    f.severities = both;
  }
  AlertListQuery lq;
  lq.filter = f;
  lq.limit = 10000;
  lq.want_total = false;
  AlertListPage page;
  REQUIRE(store.list_alerts(lq, &page).ok);
  REQUIRE(page.alerts.size() < 10000);
  std::map<int64_t, std::map<int, int64_t>> series;
  std::map<int, int64_t> sev;
  std::unordered_map<std::string, int64_t> tops[4];
  AlertStats s;
  for (const auto& a : page.alerts) {
    int64_t ts = *vigil::parse_eve_time_us(a["timestamp"].get<std::string>());
    int severity = a["alert"].value("severity", 0);
    int64_t bucket = ts / (q.interval_s * 1'000'000) * q.interval_s;
    series[bucket][severity]++;
    sev[severity]++;
    s.total++;
    tops[0][std::to_string(a["alert"]["signature_id"].get<int64_t>())]++;
    tops[1][a["src_ip"].get<std::string>()]++;
    tops[2][a["dest_ip"].get<std::string>()]++;
    tops[3][a["agent_id"].get<std::string>()]++;
  }
  for (const auto& [start, m] : series) {
    StatsBucket b;
    b.start_s = start;
    for (const auto& [k, n] : m) {
      b.by_severity.emplace_back(k, n);
      b.total += n;
    }
    s.series.push_back(b);
  }
  for (const auto& [k, n] : sev) s.by_severity.emplace_back(k, n);
  std::vector<TopEntry>* lists[] = {&s.top_signatures, &s.top_sources, &s.top_destinations, &s.top_agents};
  for (int d = 0; d < 4; ++d) {
    for (const auto& [k, n] : tops[d]) lists[d]->push_back({k, "", n});
    std::sort(lists[d]->begin(), lists[d]->end(), [](const TopEntry& a, const TopEntry& b) {
      return a.count != b.count ? a.count > b.count : a.key < b.key;
    });
    if (static_cast<int>(lists[d]->size()) > q.top) lists[d]->resize(static_cast<size_t>(q.top));
  }
  return s;
}

void check_same(const AlertStats& got, const AlertStats& want) {
  CHECK(got.total == want.total);
  CHECK(got.by_severity == want.by_severity);
  REQUIRE(got.series.size() == want.series.size());
  for (size_t i = 0; i < got.series.size(); ++i) {
    CHECK(got.series[i].start_s == want.series[i].start_s);
    CHECK(got.series[i].by_severity == want.series[i].by_severity);
    CHECK(got.series[i].total == want.series[i].total);
  }
  auto same_list = [](const std::vector<TopEntry>& a, const std::vector<TopEntry>& b) {
    REQUIRE(a.size() == b.size());
    for (size_t i = 0; i < a.size(); ++i) {
      CHECK(a[i].key == b[i].key);
      CHECK(a[i].count == b[i].count);
    }
  };
  same_list(got.top_signatures, want.top_signatures);
  same_list(got.top_sources, want.top_sources);
  same_list(got.top_destinations, want.top_destinations);
  same_list(got.top_agents, want.top_agents);
}

StatsQuery random_range(std::mt19937_64& rng) {
  StatsQuery q;
  // Whole hours, so that the rollups' top lists (whole hours) are exact too.
  int64_t h0 = static_cast<int64_t>(rng() % 60), h1 = h0 + 1 + static_cast<int64_t>(rng() % 20);
  q.from_us = kBase + h0 * kHourUs;
  q.to_us = kBase + h1 * kHourUs;
  static const int64_t kIntervals[] = {3600, 900, 60, 7200, 45};
  q.interval_s = kIntervals[rng() % 5];
  q.top = 1 + static_cast<int>(rng() % 8);
  return q;
}

}  // namespace

TEST_CASE("stats under any alert filter equal a count over the list of that filter", "[stats_filter]") {
  std::mt19937_64 rng(GENERATE(21, 22));
  std::string err;
  auto store = test::open_test_store(test::fresh_temp_dir("vigil-statsf-", "eq"), &err);
  INFO(err);
  REQUIRE(store);
  fill(*store, rng, 3000);
  int raw = 0;
  for (int i = 0; i < 80; ++i) {
    StatsQuery q = random_range(rng);
    AlertFilter f = random_filter(rng);
    if (rng() % 5 == 0) q.agent_id = "ag-b";
    if (rng() % 5 == 0) q.severity = 2;
    if (rng() % 5 == 0) q.severities = {2, 3};
    q.filter = f;
    INFO("query " << i << " from " << q.from_us << " to " << q.to_us << " interval " << q.interval_s);
    AlertStats got;
    REQUIRE(store->alert_stats(q, &got).ok);
    check_same(got, count_listed(*store, q, f));
    if (!f.empty()) {
      ++raw;
      CHECK(got.raw);
      CHECK(got.top_from_us == q.from_us);
      CHECK(got.top_to_us == q.to_us);
    }
  }
  CHECK(raw > 40);
}

TEST_CASE("a filter the rollups answer gives the same stats as the same filter counted from rows",
          "[stats_filter]") {
  std::mt19937_64 rng(5);
  std::string err;
  auto store = test::open_test_store(test::fresh_temp_dir("vigil-statsf-", "same"), &err);
  INFO(err);
  REQUIRE(store);
  fill(*store, rng, 2000);
  for (int i = 0; i < 20; ++i) {
    StatsQuery rollup = random_range(rng);
    if (i % 2) rollup.severity = 1 + i % 3;
    if (i % 4 == 2) rollup.severities = {1, 3};
    StatsQuery rows = rollup;
    // The same condition written as a filter: counted from the rows.
    if (!rollup.severities.empty()) {
      rows.filter.severities = rollup.severities;
      rows.severities.clear();
    } else if (rollup.severity) {
      rows.filter.severities = {*rollup.severity};
      rows.severity.reset();
    } else {
      rows.filter.sids.clear();
      rows.filter.statuses = {"new", "acknowledged", "escalated", "false_positive", "closed"};
    }
    AlertStats a, b;
    REQUIRE(store->alert_stats(rollup, &a).ok);
    CHECK(a.raw == (rollup.interval_s % 60 != 0));  // only seconds-wide buckets need rows
    REQUIRE(store->alert_stats(rows, &b).ok);
    CHECK_FALSE(b.top_signatures.empty());
    CHECK(b.raw);
    check_same(a, b);
    CHECK(stats_to_json(rollup, a)["top"] == stats_to_json(rows, b)["top"]);  // names of signatures too
  }
}

namespace {

// Stats under random filters that the stats cache answers (and some it does
// not), each against a count over the list of that filter.
void check_random(Store& store, std::mt19937_64& rng, int n, int* cached) {
  for (int i = 0; i < n; ++i) {
    StatsQuery q = random_range(rng);
    AlertFilter f = random_filter(rng);
    if (rng() % 5 == 0) q.agent_id = "ag-b";
    if (rng() % 5 == 0) q.severities = {2, 3};
    if (rng() % 3 == 0) f.q = rng() % 2 ? "portal" : "mail.example";  // most take the text path
    q.filter = f;
    INFO("query " << i << " from " << q.from_us << " to " << q.to_us << " interval " << q.interval_s);
    AlertStats got;
    REQUIRE(store.alert_stats(q, &got).ok);
    check_same(got, count_listed(store, q, f));
    const bool answerable = !f.empty() && !f.signature && f.statuses.empty() && !f.assignee;
    // (An empty answer may come before any counting: the query's agent or
    // severity against the filter's.)
    if (answerable && got.total > 0) CHECK(got.cached);
    if (got.cached) ++*cached;
  }
}

// Waits until the store's stats cache answers (its load at open ended).
bool cache_ready(Store& store) {
  StatsQuery q;
  q.from_us = kBase;
  q.to_us = kBase + 72 * kHourUs;
  q.filter.proto = "TCP";
  for (int i = 0; i < 400; ++i) {
    AlertStats s;
    if (store.alert_stats(q, &s).ok && s.cached) return true;
    usleep(25'000);
  }
  return false;
}

// A SQLite store with its stats cache, partitions every part_min ids or more.
std::unique_ptr<Store> open_cached(const std::string& path, int64_t part_min) {
  SqliteStoreOptions opts;
  opts.stats_cache = true;
  opts.part_min = part_min;
  std::string err;
  auto store = open_sqlite_store(path, &err, opts);
  INFO(err);
  REQUIRE(store);
  return store;
}

}  // namespace

TEST_CASE(
    "stats counted in the stats cache equal a count over the list, after ingest, a reopen and retention",
    "[sqlite][stats_filter]") {
  if (test::pg_run()) return;  // the SQLite store's cache
  std::mt19937_64 rng(31);
  const std::string path = test::fresh_temp_dir("vigil-statsf-", "cache") + "/c.db";
  const int64_t part_min = 400;  // several partitions, so that retention drops some whole
  int cached = 0;
  {
    auto store = open_cached(path, part_min);
    REQUIRE(cache_ready(*store));  // an empty store: loaded at once
    fill(*store, rng, 3000);       // added as each group commits
    check_random(*store, rng, 60, &cached);
  }
  CHECK(cached > 20);
  cached = 0;
  auto store = open_cached(path, part_min);
  REQUIRE(cache_ready(*store));  // loaded from the file
  check_random(*store, rng, 40, &cached);
  CHECK(cached > 15);
  // Retention takes whole partitions and then single alerts: both leave the cache.
  RetentionPolicy p;
  p.max_alerts = 1700;
  RetentionResult r;
  REQUIRE(store->enforce_retention(p, 1767225600 + 30 * 86400, &r).ok);
  CHECK(r.alerts == 1300);
  cached = 0;
  check_random(*store, rng, 40, &cached);
  CHECK(cached > 15);
  // Alerts stored after retention (new ids, and any SQLite gives out again).
  fill(*store, rng, 800, "v");
  cached = 0;
  check_random(*store, rng, 30, &cached);
  CHECK(cached > 6);
}

TEST_CASE("the stats cache under ingest, retention and counts at once ends equal to a count over the list",
          "[sqlite][stats_filter]") {
  if (test::pg_run()) return;  // the SQLite store's cache
  std::mt19937_64 rng(41);
  const std::string path = test::fresh_temp_dir("vigil-statsf-", "busy") + "/c.db";
  auto store = open_cached(path, 300);
  REQUIRE(cache_ready(*store));
  fill(*store, rng, 1000);
  // Ingest and retention on threads of their own (no Catch macros there)
  // while this thread counts under random filters, free text included.
  std::atomic<bool> stop{false};
  std::atomic<int> ingest_failed{0}, retention_failed{0}, retained{0};
  std::thread ingest([&] {
    std::mt19937_64 r(42);
    for (int k = 0; k < 12; ++k) {
      for (auto& [agent, ev] : random_events(r, 250, "w" + std::to_string(k) + "-")) {
        IngestResult res;
        if (!store->ingest_batch(agent, next_seq(), ev, 1, &res).ok) ++ingest_failed;
      }
    }
    stop = true;
  });
  std::thread retention([&] {
    RetentionPolicy p;
    p.max_alerts = 1500;
    while (!stop) {
      RetentionResult res;
      if (!store->enforce_retention(p, 1767225600 + 30 * 86400, &res).ok) ++retention_failed;
      retained += static_cast<int>(res.alerts);
      std::this_thread::sleep_for(std::chrono::milliseconds(3));
    }
  });
  int counted = 0;
  while (!stop) {
    StatsQuery q = random_range(rng);
    q.filter = random_filter(rng);
    if (rng() % 2) q.filter.q = "portal";
    AlertStats s;
    CHECK(store->alert_stats(q, &s).ok);
    ++counted;
  }
  ingest.join();
  retention.join();
  CHECK(ingest_failed == 0);
  CHECK(retention_failed == 0);
  CHECK(retained > 0);
  CHECK(counted > 0);
  // At rest: the cache holds exactly the alerts left.
  int cached = 0;
  check_random(*store, rng, 40, &cached);
  CHECK(cached > 10);
}

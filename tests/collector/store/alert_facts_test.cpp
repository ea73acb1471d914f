// The stats cache (collector/store/alert_facts.h) on its own: for random
// alerts spread over many chunks of ids, with NULLs and values no filter can
// match (severities outside int, ports outside 0..65535), every filter's
// count equals a count over the alerts given, read in one piece or in two
// halves at once, with a free-text match given as bits; deleted ids and
// ranges leave it, and the load at open neither brings back what was
// deleted nor overwrites what was added since it began.
#include "collector/store/alert_facts.h"

#include <catch2/catch.hpp>
#include <map>
#include <random>

using namespace vigil::collector;

namespace {

constexpr int64_t kBase = 1767225600LL * 1'000'000;  // 2026-01-01T00:00:00Z
constexpr int64_t kHour = 3'600'000'000LL;

struct Alert {
  int64_t id;
  std::string agent;
  EveFields f;
};

std::vector<Alert> random_alerts(std::mt19937_64& rng, int n) {
  const char* agents[] = {"ag-a", "ag-b", ""};
  const char* srcs[] = {"10.0.0.1", "10.0.1.7", "192.168.1.20", "2001:db8::5", "not-an-ip"};
  const char* protos[] = {"TCP", "UDP", "tcp"};
  const char* apps[] = {"http", "dns", ""};
  std::vector<Alert> v;
  int64_t id = 1;
  for (int i = 0; i < n; ++i) {
    id += 1 + static_cast<int64_t>(rng() % 900);  // about 70 chunks of 4096 ids for 600 alerts
    Alert a{id, agents[rng() % 3], {}};
    a.f.ts_us = kBase + static_cast<int64_t>(rng() % (48 * kHour)) - kHour;
    if (rng() % 8) a.f.severity = rng() % 20 ? 1 + static_cast<int64_t>(rng() % 3) : (int64_t{1} << 40) + 2;
    if (rng() % 10) a.f.sid = 1000 + static_cast<int64_t>(rng() % 12);
    if (rng() % 9) a.f.src_ip = srcs[rng() % 5];
    if (rng() % 9) a.f.dest_ip = srcs[rng() % 4];
    if (rng() % 7) a.f.src_port = rng() % 15 ? 1024 + static_cast<int64_t>(rng() % 3) : 70000;
    if (rng() % 7) a.f.dest_port = rng() % 15 ? (rng() % 2 ? 80 : 53) : -1;
    if (rng() % 6) a.f.proto = protos[rng() % 3];
    if (rng() % 3) a.f.app_proto = apps[rng() % 3];
    if (rng() % 4) a.f.category = rng() % 2 ? "Trojan Activity" : "";
    v.push_back(std::move(a));
  }
  return v;
}

std::vector<AlertFactInput> inputs(const std::vector<Alert>& v) {
  std::vector<AlertFactInput> in;
  for (const auto& a : v) in.push_back({a.id, &a.agent, &a.f});
  return in;
}

IpNet net(const char* lo, const char* hi) {
  IpNet n;
  n.lo = *ip16(lo);
  n.hi = *ip16(hi);
  return n;
}

AlertFilter random_filter(std::mt19937_64& rng) {
  AlertFilter f;
  auto maybe = [&](int in) { return rng() % in == 0; };
  f.from_us = kBase + static_cast<int64_t>(rng() % 20) * kHour - kHour;
  f.to_us = *f.from_us + (1 + static_cast<int64_t>(rng() % 30)) * kHour + static_cast<int64_t>(rng() % 1000);
  if (maybe(3)) f.severities = {1 + static_cast<int>(rng() % 3)};
  if (maybe(6))
    f.severities = {2, static_cast<int>((int64_t{1} << 40) + 2)};  // the wide value matches nothing
  if (maybe(3)) f.sids = {1000 + static_cast<int64_t>(rng() % 14), 1003};
  if (maybe(5)) f.category = rng() % 2 ? "Trojan Activity" : "";
  if (maybe(4)) f.agent_id = rng() % 2 ? "ag-a" : "";
  if (maybe(4)) f.src_ip = rng() % 2 ? net("10.0.0.0", "10.0.255.255") : net("2001:db8::", "2001:db8::ffff");
  if (maybe(5)) f.dest_ip = net("192.168.1.20", "192.168.1.20");
  if (maybe(5)) f.port = rng() % 2 ? 80 : 1025;
  if (maybe(6)) f.src_port = 1026;
  if (maybe(6)) f.dest_port = 53;
  if (maybe(4)) f.proto = rng() % 2 ? "TCP" : "ICMP";
  if (maybe(4)) f.app_proto = rng() % 2 ? "http" : "";
  if (maybe(3)) f.q = "x";
  return f;
}

bool text_match(int64_t id) {
  return id % 3 != 1;
}

bool matches(const Alert& a, const AlertFilter& f) {
  const int64_t ts = *a.f.ts_us;
  if (ts < *f.from_us || ts >= *f.to_us) return false;
  if (!f.severities.empty() && (!a.f.severity || std::find(f.severities.begin(), f.severities.end(),
                                                           *a.f.severity) == f.severities.end()))
    return false;
  if (!f.sids.empty() && (!a.f.sid || std::find(f.sids.begin(), f.sids.end(), *a.f.sid) == f.sids.end()))
    return false;
  if (f.category && a.f.category != f.category) return false;
  if (f.agent_id && a.agent != *f.agent_id) return false;
  auto in_net = [](const std::optional<std::string>& ip, const IpNet& n) {
    if (!ip) return false;
    auto b = ip16(*ip);
    return b && *b >= n.lo && *b <= n.hi;
  };
  if (f.src_ip && !in_net(a.f.src_ip, *f.src_ip)) return false;
  if (f.dest_ip && !in_net(a.f.dest_ip, *f.dest_ip)) return false;
  if (f.src_port && a.f.src_port != *f.src_port) return false;
  if (f.dest_port && a.f.dest_port != *f.dest_port) return false;
  if (f.port && a.f.src_port != *f.port && a.f.dest_port != *f.port) return false;
  if (f.proto && a.f.proto != f.proto) return false;
  if (f.app_proto && a.f.app_proto != f.app_proto) return false;
  if (f.q && !text_match(a.id)) return false;
  return true;
}

// The expected counts: a plain loop over the alerts.
FactCounts expected(const std::vector<Alert>& v, const AlertFilter& f, int64_t interval_s, int top) {
  FactCounts c;
  std::map<std::string, int64_t> tops[4];
  for (const auto& a : v) {
    if (!matches(a, f)) continue;
    const int64_t iu = interval_s * 1'000'000;
    const int64_t ts = *a.f.ts_us;
    const int64_t b = ts / iu - (ts % iu < 0);
    ++c.series[b * interval_s][a.f.severity ? static_cast<int>(*a.f.severity) : 0];
    if (a.f.sid) ++tops[0][std::to_string(*a.f.sid)];
    if (a.f.src_ip) ++tops[1][*a.f.src_ip];
    if (a.f.dest_ip) ++tops[2][*a.f.dest_ip];
    ++tops[3][a.agent];
  }
  std::vector<TopEntry>* lists[] = {&c.top_signatures, &c.top_sources, &c.top_destinations, &c.top_agents};
  for (int d = 0; d < 4; ++d) {
    for (const auto& [k, n] : tops[d]) lists[d]->push_back({k, "", n});
    std::stable_sort(lists[d]->begin(), lists[d]->end(),
                     [](const TopEntry& a, const TopEntry& b) { return a.count > b.count; });
    if (static_cast<int>(lists[d]->size()) > top) lists[d]->resize(static_cast<size_t>(top));
  }
  return c;
}

void check_same(const FactCounts& got, const FactCounts& want) {
  CHECK(got.series == want.series);
  auto same = [](const std::vector<TopEntry>& a, const std::vector<TopEntry>& b) {
    REQUIRE(a.size() == b.size());
    for (size_t i = 0; i < a.size(); ++i) {
      CHECK(a[i].key == b[i].key);
      CHECK(a[i].count == b[i].count);
    }
  };
  same(got.top_signatures, want.top_signatures);
  same(got.top_sources, want.top_sources);
  same(got.top_destinations, want.top_destinations);
  same(got.top_agents, want.top_agents);
}

const AlertFacts::MatchBits kText = [](int64_t lo, int64_t hi, std::vector<uint64_t>* bits, std::string*) {
  for (int64_t id = lo; id <= hi; ++id)
    if (text_match(id)) (*bits)[static_cast<size_t>((id - lo) / 64)] |= uint64_t{1} << ((id - lo) % 64);
  return true;
};

void check_all(const AlertFacts& one, const AlertFacts& halves, const std::vector<Alert>& v,
               std::mt19937_64& rng, int n) {
  for (int i = 0; i < n; ++i) {
    AlertFilter f = random_filter(rng);
    static const int64_t kIntervals[] = {3600, 300, 45, 86400};
    const int64_t iv = kIntervals[rng() % 4];
    const int top = 1 + static_cast<int>(rng() % 6);
    INFO("filter " << i);
    FactCounts a, b;
    std::string err;
    REQUIRE(one.count(f, iv, top, kText, &a, &err));
    REQUIRE(halves.count(f, iv, top, kText, &b, &err));
    const FactCounts want = expected(v, f, iv, top);
    check_same(a, want);
    check_same(b, want);
  }
}

}  // namespace

TEST_CASE("the stats cache counts what a loop over the alerts counts, in one piece or two halves") {
  std::mt19937_64 rng(GENERATE(7, 8));
  std::vector<Alert> v = random_alerts(rng, 600);
  AlertFacts one(SIZE_MAX), halves(2);
  for (AlertFacts* f : {&one, &halves}) {
    f->begin_load();
    f->end_load(true);
    REQUIRE(f->ready());
    f->add(inputs(v));
    CHECK(f->size() == 600);
  }
  check_all(one, halves, v, rng, 150);

  // Deletes: single ids, and a range that covers whole chunks and parts of two.
  std::vector<int64_t> gone;
  for (size_t i = 0; i < v.size(); i += 5) gone.push_back(v[i].id);
  const int64_t lo = v[100].id, hi = v[400].id;
  std::vector<Alert> kept;
  for (size_t i = 0; i < v.size(); ++i)
    if (i % 5 != 0 && !(v[i].id >= lo && v[i].id < hi)) kept.push_back(v[i]);
  for (AlertFacts* f : {&one, &halves}) {
    f->erase_ids(gone);
    f->erase_range(lo, hi);
    CHECK(f->size() == static_cast<int64_t>(kept.size()));
  }
  check_all(one, halves, kept, rng, 60);
}

TEST_CASE("the stats cache's load skips what was deleted or added after it began") {
  std::mt19937_64 rng(11);
  std::vector<Alert> v = random_alerts(rng, 300);
  AlertFacts facts;
  CHECK_FALSE(facts.ready());
  facts.begin_load();
  // While the load reads its snapshot: the writer adds a changed alert 10,
  // and retention deletes alert 20 and a range.
  Alert changed = v[10];
  changed.f.sid = 4242;
  facts.add(inputs({changed}));
  facts.erase_ids({v[20].id});
  facts.erase_range(v[200].id, v[250].id);
  facts.load(inputs(v));  // the snapshot from before those
  CHECK_FALSE(facts.ready());
  facts.end_load(true);
  REQUIRE(facts.ready());
  std::vector<Alert> want;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i == 20 || (i >= 200 && i < 250)) continue;
    want.push_back(i == 10 ? changed : v[i]);
  }
  CHECK(facts.size() == static_cast<int64_t>(want.size()));
  AlertFilter f;
  f.from_us = kBase - 2 * kHour;
  f.to_us = kBase + 50 * kHour;
  FactCounts got;
  std::string err;
  REQUIRE(facts.count(f, 3600, 20, kText, &got, &err));
  check_same(got, expected(want, f, 3600, 20));
  // Deleted after the load: gone again.
  facts.erase_range(0, INT64_MAX);
  CHECK(facts.size() == 0);
  REQUIRE(facts.count(f, 3600, 20, kText, &got, &err));
  CHECK(got.series.empty());
}

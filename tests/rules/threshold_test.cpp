#include "rules/threshold.h"

#include <catch2/catch.hpp>
#include <vector>

#include "rule_test_util.h"

using namespace vigil;
using namespace vigil::rules;

namespace {
Packet pkt(const char* src, int64_t sec) {
  Packet p;
  p.src = *IpAddr::parse(src);
  p.dst = *IpAddr::parse("10.0.0.1");
  p.ts.sec = sec;
  return p;
}
int run(ThresholdSpec s, int n, const char* src = "1.1.1.1", bool filter = false) {
  ThresholdTable t;
  int alerts = 0;
  for (int i = 0; i < n; ++i) alerts += t.check(s, 1, 1, pkt(src, 100), 0, filter) ? 1 : 0;
  return alerts;
}
}  // namespace

TEST_CASE("threshold types: limit, threshold, both, detection_filter") {
  ThresholdSpec s;
  s.count = 2;
  s.seconds = 60;
  s.type = ThresholdSpec::kLimit;
  CHECK(run(s, 8) == 2);
  s.type = ThresholdSpec::kThreshold;
  CHECK(run(s, 8) == 4);
  s.type = ThresholdSpec::kBoth;
  CHECK(run(s, 8) == 1);
  s.type = ThresholdSpec::kDetectionFilter;
  CHECK(run(s, 8, "1.1.1.1", true) == 6);
}

TEST_CASE("threshold type backoff alerts on count, count*multiplier, ... (Suricata 8)") {
  ThresholdSpec s;
  s.type = ThresholdSpec::kBackoff;
  s.track = ThresholdSpec::kByFlow;
  auto alerts_at = [&](uint32_t count, uint32_t mult, int n) {
    s.count = count;
    s.multiplier = mult;
    ThresholdTable t;
    std::vector<int> at;
    // Hours apart: backoff has no time window.
    for (int i = 1; i <= n; ++i)
      if (t.check(s, 1, 1, pkt("1.1.1.1", 100 + i * 3600), 7, false)) at.push_back(i);
    return at;
  };
  CHECK(alerts_at(1, 10, 1000) == std::vector<int>{1, 10, 100, 1000});
  CHECK(alerts_at(1, 2, 40) == std::vector<int>{1, 2, 4, 8, 16, 32});
  CHECK(alerts_at(5, 5, 200) == std::vector<int>{5, 25, 125});
}

TEST_CASE("detection_filter unique_on counts distinct ports (Suricata 8)") {
  ThresholdSpec s;
  s.type = ThresholdSpec::kDetectionFilter;
  s.track = ThresholdSpec::kByDst;
  s.count = 2;
  s.seconds = 60;
  for (auto u : {ThresholdSpec::kUniqueDstPort, ThresholdSpec::kUniqueSrcPort}) {
    s.unique_on = u;
    ThresholdTable t;
    auto hit = [&](uint16_t port, int64_t sec) {
      Packet p = pkt("1.1.1.1", sec);
      (u == ThresholdSpec::kUniqueDstPort ? p.dp : p.sp) = port;
      (u == ThresholdSpec::kUniqueDstPort ? p.sp : p.dp) = 1234;
      return t.check(s, 1, 1, p, 0, true);
    };
    CHECK_FALSE(hit(80, 100));
    CHECK_FALSE(hit(80, 101));  // a repeat is not a new port
    CHECK_FALSE(hit(81, 102));  // 2 distinct: not more than count
    CHECK(hit(82, 103));        // 3 distinct
    CHECK(hit(80, 104));        // past the count every match alerts
    CHECK_FALSE(hit(83, 200));  // a new window starts from nothing
  }
}

TEST_CASE("threshold keyword forms: backoff and unique_on parse, wrong combinations do not") {
  auto rule = [](const std::string& opt) {
    return test::parse("alert tcp any any -> any any (" + opt + " sid:1;)");
  };
  auto r = rule("threshold: type backoff, track by_flow, count 1, multiplier 10;");
  REQUIRE(r);
  CHECK((r->threshold->type == ThresholdSpec::kBackoff && r->threshold->count == 1 &&
         r->threshold->multiplier == 10));
  CHECK_FALSE(rule("threshold: type backoff, track by_src, count 1, multiplier 10;"));
  CHECK_FALSE(rule("threshold: type backoff, track by_flow, count 1, seconds 10;"));
  CHECK_FALSE(rule("threshold: type limit, track by_src, count 1, seconds 10, multiplier 2;"));
  r = rule("detection_filter: track by_dst, count 20, seconds 30, unique_on src_port;");
  REQUIRE(r);
  CHECK(r->detection_filter->unique_on == ThresholdSpec::kUniqueSrcPort);
  r = rule("detection_filter: track by_dst, count 10, seconds 60, unique_on dst_port;");
  REQUIRE(r);
  CHECK(r->detection_filter->unique_on == ThresholdSpec::kUniqueDstPort);
  CHECK_FALSE(rule("detection_filter: track by_dst, count 10, seconds 60, unique_on proto;"));
}

TEST_CASE("threshold tracks by source and resets after the window") {
  ThresholdSpec s;
  s.type = ThresholdSpec::kLimit;
  s.count = 1;
  s.seconds = 10;
  ThresholdTable t;
  CHECK(t.check(s, 1, 1, pkt("1.1.1.1", 100), 0, false));
  CHECK_FALSE(t.check(s, 1, 1, pkt("1.1.1.1", 105), 0, false));
  CHECK(t.check(s, 1, 1, pkt("2.2.2.2", 105), 0, false));
  CHECK(t.check(s, 1, 1, pkt("1.1.1.1", 111), 0, false));
  s.track = ThresholdSpec::kByDst;
  ThresholdTable d;
  CHECK(d.check(s, 1, 1, pkt("1.1.1.1", 100), 0, false));
  CHECK_FALSE(d.check(s, 1, 1, pkt("2.2.2.2", 100), 0, false));
}

TEST_CASE("threshold.config lines parse - bad lines are reported") {
  std::vector<std::string> errs;
  auto cfg = parse_threshold_config(
      "threshold gen_id 1, sig_id 10, type limit, track by_src, count 1, seconds 60\n"
      "suppress gen_id 1, sig_id 11, track by_src, ip 10.0.0.0/8\n"
      "bogus line\n",
      default_address_vars(), errs);
  REQUIRE(cfg.entries.size() == 2);
  CHECK(cfg.entries[0].sid == 10);
  CHECK(cfg.entries[1].suppress);
  CHECK(cfg.entries[1].ip.contains(*IpAddr::parse("10.1.1.1")));
  CHECK(errs.size() == 1);
}

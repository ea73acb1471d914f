#include "rules/threshold.h"

#include <catch2/catch.hpp>

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

TEST_CASE("threshold.config lines parse; bad lines are reported") {
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

#include "agent/output/alert_limiter.h"

#include <catch2/catch.hpp>
#include <thread>
#include <vector>

using namespace vigil;

namespace {
Timestamp at(int64_t sec, int32_t usec = 0) {
  return Timestamp{1767225600 + sec, usec};
}
// How many of n alerts of (gid, sid) at time ts get through.
int passed(AlertRateLimiter& l, int n, Timestamp ts, uint32_t sid = 1000, uint32_t gid = 1) {
  int ok = 0;
  for (int i = 0; i < n; ++i) ok += l.allow(gid, sid, ts);
  return ok;
}
}  // namespace

TEST_CASE("alert rate limit: a burst, then the rest dropped and counted") {
  AlertRateLimiter l({.rate = 10, .burst = 25});
  CHECK(l.enabled());
  CHECK(passed(l, 100, at(0)) == 25);
  auto s = l.take_summary();
  REQUIRE(s.size() == 1);
  CHECK(s[0].gid == 1);
  CHECK(s[0].sid == 1000);
  CHECK(s[0].dropped == 75);
  CHECK(s[0].total == 75);
  // Taken: the next summary is empty until something else is dropped.
  CHECK(l.take_summary().empty());
}

TEST_CASE("alert rate limit: tokens come back with packet time, up to the burst") {
  AlertRateLimiter l({.rate = 10, .burst = 25});
  CHECK(passed(l, 25, at(0)) == 25);
  CHECK(passed(l, 1, at(0, 50000)) == 0);     // 50 ms: half a token
  CHECK(passed(l, 5, at(0, 100000)) == 1);    // 100 ms: one token in all
  CHECK(passed(l, 50, at(2, 100000)) == 20);  // two seconds later: 20 more
  CHECK(passed(l, 100, at(1000)) == 25);      // a long quiet spell refills to the burst, no more
  // Time going backwards (another worker's older packet) refills nothing.
  CHECK(passed(l, 1, at(999)) == 0);
  auto s = l.take_summary();
  REQUIRE(s.size() == 1);
  CHECK(s[0].dropped == 1 + 4 + 30 + 75 + 1);
  // A steady rate at the limit never drops: one alert every 100 ms for a minute.
  AlertRateLimiter steady({.rate = 10, .burst = 1});
  int ok = 0;
  for (int i = 0; i < 600; ++i) ok += steady.allow(1, 7, at(10 + i / 10, (i % 10) * 100000));
  CHECK(ok == 600);
  CHECK(steady.take_summary().empty());
}

TEST_CASE("alert rate limit: each signature has its own bucket") {
  AlertRateLimiter l({.rate = 1, .burst = 3});
  CHECK(passed(l, 10, at(0), 1000) == 3);
  CHECK(passed(l, 2, at(0), 2000) == 2);      // a quiet rule is not hurt by the noisy one
  CHECK(passed(l, 10, at(0), 1000, 3) == 3);  // same sid, other gid: another signature
  auto s = l.take_summary();
  REQUIRE(s.size() == 2);  // sorted by (gid, sid); the quiet rule dropped nothing
  CHECK((s[0].gid == 1 && s[0].sid == 1000 && s[0].dropped == 7));
  CHECK((s[1].gid == 3 && s[1].sid == 1000 && s[1].dropped == 7));
  CHECK(passed(l, 10, at(1), 1000) == 1);
  s = l.take_summary();
  REQUIRE(s.size() == 1);
  CHECK(s[0].dropped == 9);  // in this interval
  CHECK(s[0].total == 16);   // since start
}

TEST_CASE("alert rate limit: 0 turns it off") {
  AlertRateLimiter l({.rate = 0, .burst = 1});
  CHECK_FALSE(l.enabled());
  CHECK(passed(l, 100000, at(0)) == 100000);
  CHECK(l.take_summary().empty());
}

TEST_CASE("alert rate limit: the largest settings do not overflow") {
  const uint64_t m = AlertLimitOptions::kMax;
  AlertRateLimiter l({.rate = m, .burst = m});
  CHECK(passed(l, 1000, at(0)) == 1000);
  // Years of packet time later the bucket is full, not wrapped round.
  CHECK(passed(l, 10, at(100000000)) == 10);
  AlertRateLimiter slow({.rate = 1, .burst = m});
  CHECK(passed(slow, 10, at(0)) == 10);
  CHECK(passed(slow, 10, at(2000000000)) == 10);
}

TEST_CASE("alert rate limit: workers share the buckets - nothing lost or counted twice") {
  AlertRateLimiter l({.rate = 100, .burst = 50});
  constexpr int kThreads = 4, kPerThread = 20000;
  std::vector<int> ok(kThreads);
  std::vector<std::thread> ts;
  for (int t = 0; t < kThreads; ++t) {
    ts.emplace_back([&, t] {
      // 10 s of packet time per thread, for two signatures.
      for (int i = 0; i < kPerThread; ++i)
        ok[t] += l.allow(1, 1000 + (i & 1), at(i / 2000, (i % 2000) * 500));
    });
  }
  for (auto& t : ts) t.join();
  int allowed = 0;
  for (int v : ok) allowed += v;
  uint64_t dropped = 0;
  for (const LimitedSignature& s : l.take_summary()) dropped += s.dropped;
  CHECK(uint64_t(allowed) + dropped == uint64_t(kThreads) * kPerThread);
  // Each signature: at most the burst plus 10 s at the rate.
  CHECK(allowed <= 2 * (50 + 100 * 10));
  CHECK(allowed >= 2 * 50);
}

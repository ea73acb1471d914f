#include "collector/auth/login_throttle.h"

#include <catch2/catch.hpp>

using namespace vigil::collector;

TEST_CASE("login throttle: the delay doubles after the free failures and is capped") {
  ThrottlePolicy p;
  p.free_failures = 3;
  p.base_delay_s = 1;
  p.max_delay_s = 10;
  CHECK(throttle_delay_s(p, 0) == 0);
  CHECK(throttle_delay_s(p, 3) == 0);
  CHECK(throttle_delay_s(p, 4) == 1);
  CHECK(throttle_delay_s(p, 5) == 2);
  CHECK(throttle_delay_s(p, 6) == 4);
  CHECK(throttle_delay_s(p, 7) == 8);
  CHECK(throttle_delay_s(p, 8) == 10);
  CHECK(throttle_delay_s(p, 1000) == 10);
  p.lockout_after = 5;
  CHECK_FALSE(throttle_locks(p, 4));
  CHECK(throttle_locks(p, 5));
}

TEST_CASE("login throttle: refuses during a delay, locks out, forgets after the lock-out") {
  ThrottlePolicy p;
  p.free_failures = 2;
  p.base_delay_s = 1;
  p.max_delay_s = 60;
  p.lockout_after = 5;
  p.lockout_s = 100;
  LoginThrottle t(p);
  int64_t now = 1000000;  // ms
  constexpr int64_t s = 1000;
  CHECK(t.check("u", now).allowed);
  t.failure("u", now);
  t.failure("u", now);
  CHECK(t.check("u", now).allowed);  // two free failures
  t.failure("u", now);               // third: 1 s delay
  auto v = t.check("u", now);
  CHECK_FALSE(v.allowed);
  CHECK_FALSE(v.locked);
  CHECK(v.retry_after == 1);
  CHECK_FALSE(t.check("u", now + 999).allowed);  // milliseconds count, not second boundaries
  CHECK(t.check("u", now + 1 * s).allowed);
  t.failure("u", now + 1 * s);  // fourth: 2 s
  CHECK(t.check("u", now + 2 * s).retry_after == 1);
  CHECK(t.check("u", now + 3 * s).allowed);
  CHECK(t.check("other", now + 3 * s).allowed);  // keys are independent
  t.failure("u", now + 3 * s);                   // fifth: locked for 100 s
  v = t.check("u", now + 50 * s);
  CHECK_FALSE(v.allowed);
  CHECK(v.locked);
  CHECK(v.retry_after == 53);
  CHECK(t.check("u", now + 103 * s).allowed);  // the lock-out is over and the count forgotten
  CHECK(t.failures("u", now + 103 * s) == 0);
  t.failure("u", now + 103 * s);
  CHECK(t.check("u", now + 103 * s).allowed);
}

TEST_CASE("login throttle: success clears a key - memory is bounded") {
  ThrottlePolicy p;
  p.free_failures = 0;
  LoginThrottle t(p, 3);
  t.failure("a", 10);
  CHECK(t.check("a", 10).retry_after == 1);
  t.success("a");
  CHECK(t.check("a", 10).allowed);
  t.failure("k1", 1);
  t.failure("k2", 2);
  t.failure("k3", 3);
  t.failure("k4", 4);  // drops k1, the oldest
  CHECK(t.failures("k1", 4) == 0);
  CHECK(t.failures("k2", 4) == 1);
  CHECK(t.failures("k4", 4) == 1);
}

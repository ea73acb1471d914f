// ManualClock: waits end when a test moves time past their deadline, or when
// their condition comes true, never by themselves.
#include "common/clock.h"

#include <catch2/catch.hpp>
#include <thread>

using namespace vigil;
using namespace std::chrono_literals;

TEST_CASE("a manual clock stands still until advanced - advancing wakes waiters past their deadline") {
  ManualClock clock;
  auto t0 = clock.now();
  std::mutex mu;
  std::condition_variable cv;
  bool stop = false;
  std::atomic<int> result{-1};
  std::thread waiter([&] {
    std::unique_lock lk(mu);
    result = clock.wait_for(lk, cv, 10s, [&] { return stop; }) ? 1 : 0;
  });
  while (clock.waiters() == 0) std::this_thread::yield();
  clock.advance(9s);
  // Still waiting: 9 of 10 seconds passed. (Re-checked after the wake-up.)
  while (clock.waiters() == 0) std::this_thread::yield();
  CHECK(result == -1);
  clock.advance(1s);
  waiter.join();
  CHECK(result == 0);  // deadline, not the condition
  CHECK(clock.now() - t0 == 10s);
  CHECK(clock.waiters() == 0);

  // The condition ends a wait whatever the time.
  std::thread w2([&] {
    std::unique_lock lk(mu);
    result = clock.wait_for(lk, cv, 1h, [&] { return stop; }) ? 1 : 0;
  });
  while (clock.waiters() == 0) std::this_thread::yield();
  {
    std::lock_guard lk(mu);
    stop = true;
  }
  cv.notify_all();
  w2.join();
  CHECK(result == 1);
}

TEST_CASE("the real clock waits on real time") {
  auto c = real_clock();
  std::mutex mu;
  std::condition_variable cv;
  std::unique_lock lk(mu);
  auto t0 = c->now();
  CHECK_FALSE(c->wait_for(lk, cv, 5ms, [] { return false; }));
  CHECK(c->now() - t0 >= 5ms);
  CHECK(c->wait_for(lk, cv, 1h, [] { return true; }));
}

// Time as a dependency: a Clock gives "now" on a monotonic scale and waits on
// a condition variable until a deadline on that scale. Code that sleeps or
// schedules (the agent's uplink: heartbeat period, retry backoff) takes a
// Clock, so that tests drive time with a ManualClock instead of sleeping.
//
// RealClock is std::chrono::steady_clock. ManualClock stands still until a
// test calls advance(); advance() wakes every thread waiting in wait_until()
// so it re-checks its deadline. All members are thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace vigil {

class Clock {
 public:
  using duration = std::chrono::steady_clock::duration;
  using time_point = std::chrono::steady_clock::time_point;
  virtual ~Clock() = default;
  virtual time_point now() const = 0;
  // REQUIRES: lk holds the mutex that guards what `done` reads and that
  // notifiers of `cv` take. Returns when done() is true (true) or the
  // deadline passed on this clock (false); done() is checked first.
  virtual bool wait_until(std::unique_lock<std::mutex>& lk, std::condition_variable& cv, time_point deadline,
                          const std::function<bool()>& done) = 0;
  bool wait_for(std::unique_lock<std::mutex>& lk, std::condition_variable& cv, duration d,
                const std::function<bool()>& done) {
    return wait_until(lk, cv, now() + d, done);
  }
};

class RealClock final : public Clock {
 public:
  time_point now() const override { return std::chrono::steady_clock::now(); }
  bool wait_until(std::unique_lock<std::mutex>& lk, std::condition_variable& cv, time_point deadline,
                  const std::function<bool()>& done) override {
    return cv.wait_until(lk, deadline, done);
  }
};

// The process's real clock (a shared instance).
std::shared_ptr<Clock> real_clock();

class ManualClock final : public Clock {
 public:
  time_point now() const override { return time_point(duration(now_.load())); }
  bool wait_until(std::unique_lock<std::mutex>& lk, std::condition_variable& cv, time_point deadline,
                  const std::function<bool()>& done) override;
  // Moves time forward and wakes every waiter to re-check its deadline.
  // REQUIRES: the mutexes and condition variables of current waiters
  // outlive the call (true of a component stopped before its clock goes).
  void advance(duration d);
  // Threads blocked in wait_until() now: a test advances time once the code
  // under test is idle, waiting for it.
  size_t waiters() const;

 private:
  struct Waiter {
    std::mutex* mu;
    std::condition_variable* cv;
  };
  std::atomic<duration::rep> now_{0};
  mutable std::mutex mu_;
  std::vector<Waiter> waiting_;
};

}  // namespace vigil

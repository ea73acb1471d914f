#include "common/clock.h"

#include <algorithm>

namespace vigil {

std::shared_ptr<Clock> real_clock() {
  static const std::shared_ptr<Clock> kReal = std::make_shared<RealClock>();
  return kReal;
}

bool ManualClock::wait_until(std::unique_lock<std::mutex>& lk, std::condition_variable& cv,
                             time_point deadline, const std::function<bool()>& done) {
  {
    std::lock_guard g(mu_);
    waiting_.push_back({lk.mutex(), &cv});
  }
  // advance() changes the time before it takes our mutex to notify, so a
  // check made under lk either sees the new time or is followed by the
  // notification once cv.wait() released lk: no wake-up is lost.
  bool result;
  for (;;) {
    if (done()) {
      result = true;
      break;
    }
    if (now() >= deadline) {
      result = false;
      break;
    }
    cv.wait(lk);
  }
  std::lock_guard g(mu_);
  auto it = std::find_if(waiting_.begin(), waiting_.end(), [&](const Waiter& w) { return w.cv == &cv; });
  if (it != waiting_.end()) waiting_.erase(it);
  return result;
}

void ManualClock::advance(duration d) {
  now_ += d.count();
  std::vector<Waiter> w;
  {
    std::lock_guard g(mu_);
    w = waiting_;
  }
  for (const auto& x : w) {
    std::lock_guard g(*x.mu);
    x.cv->notify_all();
  }
}

size_t ManualClock::waiters() const {
  std::lock_guard g(mu_);
  return waiting_.size();
}

}  // namespace vigil

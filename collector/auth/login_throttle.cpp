#include "collector/auth/login_throttle.h"

#include <algorithm>

namespace vigil::collector {

int64_t throttle_delay_s(const ThrottlePolicy& p, int failures) {
  int over = failures - p.free_failures;
  if (over <= 0) return 0;
  int64_t d = p.base_delay_s;
  for (int i = 1; i < over && d < p.max_delay_s; ++i) d *= 2;
  return std::min(d, p.max_delay_s);
}

bool throttle_locks(const ThrottlePolicy& p, int failures) {
  return p.lockout_after > 0 && failures >= p.lockout_after;
}

ThrottleVerdict LoginThrottle::check(const std::string& key, int64_t now) {
  std::lock_guard lk(mu_);
  auto it = entries_.find(key);
  ThrottleVerdict v;
  if (it == entries_.end()) return v;
  const Entry& e = it->second;
  if (now - e.last >= p_.lockout_s) {
    entries_.erase(it);
    return v;
  }
  int64_t until =
      throttle_locks(p_, e.failures) ? e.last + p_.lockout_s : e.last + throttle_delay_s(p_, e.failures);
  if (now < until) {
    v.allowed = false;
    v.locked = throttle_locks(p_, e.failures);
    v.retry_after = until - now;
  }
  return v;
}

void LoginThrottle::failure(const std::string& key, int64_t now) {
  std::lock_guard lk(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    if (entries_.size() >= max_keys_) {
      // Bounded memory: drop the entry whose last failure is oldest.
      auto oldest = std::min_element(entries_.begin(), entries_.end(), [](const auto& a, const auto& b) {
        return a.second.last < b.second.last;
      });
      entries_.erase(oldest);
    }
    it = entries_.emplace(key, Entry{}).first;
  } else if (now - it->second.last >= p_.lockout_s) {
    it->second.failures = 0;
  }
  it->second.failures++;
  it->second.last = now;
}

void LoginThrottle::success(const std::string& key) {
  std::lock_guard lk(mu_);
  entries_.erase(key);
}

int LoginThrottle::failures(const std::string& key, int64_t now) {
  std::lock_guard lk(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end() || now - it->second.last >= p_.lockout_s) return 0;
  return it->second.failures;
}

}  // namespace vigil::collector

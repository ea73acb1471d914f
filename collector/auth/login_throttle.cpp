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

ThrottleVerdict LoginThrottle::check(const std::string& key, int64_t now_ms) {
  std::lock_guard lk(mu_);
  auto it = entries_.find(key);
  ThrottleVerdict v;
  if (it == entries_.end()) return v;
  const Entry& e = it->second;
  if (now_ms - e.last_ms >= p_.lockout_s * 1000) {
    entries_.erase(it);
    return v;
  }
  int64_t until =
      e.last_ms + 1000 * (throttle_locks(p_, e.failures) ? p_.lockout_s : throttle_delay_s(p_, e.failures));
  if (now_ms < until) {
    v.allowed = false;
    v.locked = throttle_locks(p_, e.failures);
    v.retry_after = (until - now_ms + 999) / 1000;
  }
  return v;
}

void LoginThrottle::failure(const std::string& key, int64_t now_ms) {
  std::lock_guard lk(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    if (entries_.size() >= max_keys_) {
      // Bounded memory: drop the entry whose last failure is oldest.
      auto oldest = std::min_element(entries_.begin(), entries_.end(), [](const auto& a, const auto& b) {
        return a.second.last_ms < b.second.last_ms;
      });
      entries_.erase(oldest);
    }
    it = entries_.emplace(key, Entry{}).first;
  } else if (now_ms - it->second.last_ms >= p_.lockout_s * 1000) {
    it->second.failures = 0;
  }
  it->second.failures++;
  it->second.last_ms = now_ms;
}

void LoginThrottle::success(const std::string& key) {
  std::lock_guard lk(mu_);
  entries_.erase(key);
}

int LoginThrottle::failures(const std::string& key, int64_t now_ms) {
  std::lock_guard lk(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end() || now_ms - it->second.last_ms >= p_.lockout_s * 1000) return 0;
  return it->second.failures;
}

}  // namespace vigil::collector

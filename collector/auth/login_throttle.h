// Failed-login throttling, per user name and per client address: after
// `free_failures` failures in a row each further attempt must wait a delay
// that doubles with every failure (capped at max_delay_s); after
// `lockout_after` failures the key is locked for lockout_s. A success clears
// the user's count (not the address's: one good account must not reset an
// address that guesses at others). Failures older than lockout_s are forgotten.
//
// The server asks check() before verifying a password and answers 429 with
// Retry-After at once when refused: a handler thread never sleeps. State is
// in memory (a restart forgets it) and bounded: past max_keys the oldest
// entries are dropped. Thread-safe (one mutex; a login costs far more).
// Time is passed in (milliseconds: a one-second delay must not end early
// because a second boundary passed) so that tests drive it; Retry-After is
// the remaining time rounded up to whole seconds.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace vigil::collector {

struct ThrottlePolicy {
  int free_failures = 3;     // failures answered without a delay
  int64_t base_delay_s = 1;  // the first delay; doubles with each failure after
  int64_t max_delay_s = 300;
  int lockout_after = 10;  // failures that lock the key
  int64_t lockout_s = 900;
};

struct ThrottleVerdict {
  bool allowed = true;
  bool locked = false;      // refused because of the lock-out (not only a delay)
  int64_t retry_after = 0;  // seconds, when refused
};

// The pure arithmetic: the delay that `failures` consecutive failures impose
// after the last one (0: none), and whether they lock the key.
int64_t throttle_delay_s(const ThrottlePolicy& p, int failures);
bool throttle_locks(const ThrottlePolicy& p, int failures);

class LoginThrottle {
 public:
  explicit LoginThrottle(ThrottlePolicy p, size_t max_keys = 100000) : p_(p), max_keys_(max_keys) {}
  ThrottleVerdict check(const std::string& key, int64_t now_ms);
  // Call after the password was checked (the check takes time).
  void failure(const std::string& key, int64_t now_ms);
  void success(const std::string& key);
  int failures(const std::string& key, int64_t now_ms);
  const ThrottlePolicy& policy() const { return p_; }

 private:
  struct Entry {
    int failures = 0;
    int64_t last_ms = 0;
  };
  ThrottlePolicy p_;
  size_t max_keys_;
  std::mutex mu_;
  std::map<std::string, Entry> entries_;
};

}  // namespace vigil::collector

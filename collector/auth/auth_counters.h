// Counters of people's authentication, declared once: the list makes the
// fields and their names together. Bumped from handler threads (relaxed
// atomics), read by GET /api/v1/server/stats beside the transport's.
#pragma once

#include <atomic>
#include <cstdint>
#include <nlohmann/json.hpp>

#define VIGIL_AUTH_COUNTERS(X)                                                               \
  X(login_ok, "auth.login_ok")                                                               \
  X(login_failed, "auth.login_failed") /* wrong name or password */                          \
  X(login_disabled, "auth.login_disabled")                                                   \
  X(login_delayed, "auth.login_delayed") /* 429: a delay after failures was not over */      \
  X(login_busy, "auth.login_busy")       /* 503: as many password checks running as cores */ \
  X(login_locked, "auth.login_locked")   /* 429: the user or the address is locked out */    \
  X(session_expired, "auth.session_expired")                                                 \
  X(session_unknown, "auth.session_unknown")                                                 \
  X(csrf_refused, "auth.csrf_refused")                                                       \
  X(user_token_refused, "auth.user_token_refused")

namespace vigil::collector {

#define VIGIL_AUTH_COUNTER_FIELD_(field, name) std::atomic<uint64_t> field{0};
#define VIGIL_AUTH_COUNTER_JSON_(field, name) out[name] = field.load(std::memory_order_relaxed);

struct AuthCounters {
  VIGIL_AUTH_COUNTERS(VIGIL_AUTH_COUNTER_FIELD_)
  // Adds {"auth.login_ok": N, ...} to `out`.
  void add_to(nlohmann::json& out) const { VIGIL_AUTH_COUNTERS(VIGIL_AUTH_COUNTER_JSON_) }
};

}  // namespace vigil::collector

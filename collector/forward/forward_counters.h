// Counters of one forwarding output (collector/forward/README.md), declared
// once: the list makes the fields and their names together. Reported by GET
// /api/v1/server/stats as "forward.<output name>.<counter>"; visit(f) hands
// every one to f(suffix, value) so other reporters wire them in one line.
#pragma once

#include <atomic>
#include <cstdint>

#define VIGIL_FORWARD_COUNTERS(X)                                                                   \
  X(queued, "queued")                         /* alerts put on the output's queue */                \
  X(sent, "sent")                             /* delivered (the receiver took them) */              \
  X(retried, "retried")                       /* sends tried again after a failure */               \
  X(send_errors, "send_errors")               /* failed send attempts */                            \
  X(dropped_overflow, "dropped_overflow")     /* oldest queued alert pushed out by a new one */     \
  X(dead_lettered, "dead_lettered")           /* written to the dead-letter file */                 \
  X(dead_letter_lost, "dead_letter_lost")     /* lost: dead-letter file at its cap or unwritable */ \
  X(rate_limited, "rate_limited")             /* over rate_limit_per_min, not sent */               \
  X(below_min_severity, "below_min_severity") /* less severe than min_severity, not sent */         \
  X(queue_depth, "queue_depth")               /* a gauge: alerts waiting now */

namespace vigil::collector::forward {

#define VIGIL_FORWARD_COUNTER_FIELD_(field, name) std::atomic<uint64_t> field{0};
#define VIGIL_FORWARD_COUNTER_VISIT_(field, name) f(name, field.load(std::memory_order_relaxed));

struct ForwardCounters {
  VIGIL_FORWARD_COUNTERS(VIGIL_FORWARD_COUNTER_FIELD_)
  // f(const char* suffix, uint64_t value) for each counter, in the order above.
  template <class F>
  void visit(F&& f) const {
    VIGIL_FORWARD_COUNTERS(VIGIL_FORWARD_COUNTER_VISIT_)
  }
};

inline void add(std::atomic<uint64_t>& c, uint64_t n = 1) {
  c.fetch_add(n, std::memory_order_relaxed);
}

}  // namespace vigil::collector::forward

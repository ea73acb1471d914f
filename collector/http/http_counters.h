// Counters of the collector's HTTPS front door, declared once: the list makes
// the fields and their names together. Bumped from the event-loop and handler
// threads (relaxed atomics: a request costs far more than an increment), read
// by GET /api/v1/server/stats and logged when the server stops.
#pragma once

#include <atomic>
#include <cstdint>
#include <nlohmann/json.hpp>

#define VIGIL_HTTP_COUNTERS(X)                                                            \
  X(connections_open, "http.connections_open") /* a gauge: up at accept, down at close */ \
  X(accepted, "http.accepted")                                                            \
  X(refused_total_limit, "http.refused_total_limit")                                      \
  X(refused_per_ip_limit, "http.refused_per_ip_limit")                                    \
  X(accept_errors, "http.accept_errors")                                                  \
  X(tls_handshake_failed, "http.tls_handshake_failed")                                    \
  X(timeouts_handshake, "http.timeouts_handshake")                                        \
  X(timeouts_head, "http.timeouts_head")                                                  \
  X(timeouts_body, "http.timeouts_body")                                                  \
  X(timeouts_idle, "http.timeouts_idle")                                                  \
  X(timeouts_write, "http.timeouts_write")                                                \
  X(requests, "http.requests")                                                            \
  X(responses_1xx, "http.responses_1xx")                                                  \
  X(responses_2xx, "http.responses_2xx")                                                  \
  X(responses_3xx, "http.responses_3xx")                                                  \
  X(responses_4xx, "http.responses_4xx")                                                  \
  X(responses_5xx, "http.responses_5xx")                                                  \
  X(bad_request, "http.bad_request")                                                      \
  X(header_too_large, "http.header_too_large")                                            \
  X(length_required, "http.length_required")                                              \
  X(body_too_large, "http.body_too_large")                                                \
  X(inflate_too_large, "http.inflate_too_large")                                          \
  X(unsupported_encoding, "http.unsupported_encoding")                                    \
  X(handler_exceptions, "http.handler_exceptions")

namespace vigil::collector {

#define VIGIL_HTTP_COUNTER_FIELD_(field, name) std::atomic<uint64_t> field{0};
#define VIGIL_HTTP_COUNTER_VISIT_(field, name) f(name, field.load(std::memory_order_relaxed));

struct HttpCounters {
  VIGIL_HTTP_COUNTERS(VIGIL_HTTP_COUNTER_FIELD_)
  template <class F>
  void visit(F&& f) const {VIGIL_HTTP_COUNTERS(VIGIL_HTTP_COUNTER_VISIT_)}
  // {"http.accepted": N, ...}: flat, names as declared above.
  nlohmann::json to_json() const;
};

// Relaxed increment/decrement; counters are statistics, not synchronisation.
inline void bump(std::atomic<uint64_t>& c, uint64_t n = 1) {
  c.fetch_add(n, std::memory_order_relaxed);
}
inline void drop(std::atomic<uint64_t>& c) {
  c.fetch_sub(1, std::memory_order_relaxed);
}

}  // namespace vigil::collector

// Counters declared once: an X-macro list produces the struct fields and the
// names together, so they can never drift apart (Snort's stats structs kept in
// step with name tables by hand are the lesson here).
//
// Usage, in the module that bumps them:
//   #define VIGIL_DECODE_COUNTERS(X) X(pkts, "decoder.pkts") X(ipv4_trunc, "decoder.event.ipv4.trunc_pkt")
//   VIGIL_DECLARE_COUNTERS(DecodeCounters, VIGIL_DECODE_COUNTERS)
//
// Counters live per worker thread (no atomics on the packet path) and are
// summed with add() when read. Names are dotted paths; the stats event nests
// them into JSON objects by the dots, as Suricata's stats event does.
#pragma once

#include <cstdint>

#define VIGIL_COUNTER_FIELD_(field, name) uint64_t field = 0;
#define VIGIL_COUNTER_VISIT_(field, name) f(name, field);
#define VIGIL_COUNTER_ADD_(field, name) field += o.field;

#define VIGIL_DECLARE_COUNTERS(Struct, LIST)               \
  struct Struct {                                          \
    LIST(VIGIL_COUNTER_FIELD_)                             \
    template <class F>                                     \
    void visit(F&& f) const {                              \
      LIST(VIGIL_COUNTER_VISIT_)                           \
    }                                                      \
    void add(const Struct& o) { LIST(VIGIL_COUNTER_ADD_) } \
  };

#include <functional>
#include <map>
#include <string>
#include <string_view>

namespace vigil {

// Modules expose their counters as `void visit_counters(const CounterVisitor&) const`.
using CounterVisitor = std::function<void(std::string_view name, uint64_t value)>;

// Counters summed across workers by name, for stats events and heartbeats.
// Built off the packet path (at stats time).
using CounterSnapshot = std::map<std::string, uint64_t, std::less<>>;

inline void add_to_snapshot(CounterSnapshot& s, std::string_view name, uint64_t v) {
  auto it = s.find(name);
  if (it == s.end()) {
    s.emplace(std::string(name), v);
  } else {
    it->second += v;
  }
}

}  // namespace vigil

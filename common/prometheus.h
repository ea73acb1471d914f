// The Prometheus text exposition format (version 0.0.4), for GET /metrics on
// the collector and the agent's metrics listener. A Writer collects families
// (one # HELP and # TYPE line each, then its samples) into a string; a
// Histogram counts observations in fixed buckets with atomics, so the code it
// measures pays two relaxed increments and one compare-and-swap.
//
// Names: vigil_<component>_<dotted counter name with dots as '_'>, counters
// ending in _total (metric_name()). Label values are escaped as the format
// says (backslash, double quote, newline); HELP text likewise (backslash,
// newline).
#pragma once

#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vigil::prometheus {

inline constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";

enum class Type { kCounter, kGauge, kHistogram };

using Labels = std::vector<std::pair<std::string, std::string>>;

// prefix "vigil_agent", dotted "capture.kernel_drops", counter ->
// "vigil_agent_capture_kernel_drops_total". Every byte outside [a-zA-Z0-9_]
// becomes '_'; a counter's name gets _total unless it has it already.
std::string metric_name(std::string_view prefix, std::string_view dotted, Type type);

// Escapes a label value: \ -> \\, " -> \", newline -> \n.
std::string escape_label_value(std::string_view v);
// Escapes HELP text: \ -> \\, newline -> \n.
std::string escape_help(std::string_view v);
// A sample value as the format writes it: integers exactly, +Inf, -Inf, NaN.
std::string format_value(double v);

class Writer {
 public:
  // Starts a family: its # HELP and # TYPE lines. Its samples follow.
  void family(std::string_view name, std::string_view help, Type type);
  // One sample line: name{labels} value. `name` is the family's name or,
  // for a histogram, name_bucket / name_sum / name_count.
  void sample(std::string_view name, const Labels& labels, double value);
  void sample(std::string_view name, double value) { sample(name, {}, value); }
  // A family of one unlabelled sample.
  void counter(std::string_view name, std::string_view help, uint64_t value);
  void gauge(std::string_view name, std::string_view help, double value);
  const std::string& text() const { return out_; }

 private:
  std::string out_;
};

// Seconds buckets from 1 ms to 10 s, for store calls.
const std::vector<double>& default_seconds_buckets();

class Histogram {
 public:
  // `bounds`: upper bounds, increasing; +Inf is added by write().
  explicit Histogram(std::vector<double> bounds = default_seconds_buckets());
  Histogram(const Histogram&) = delete;
  Histogram& operator=(const Histogram&) = delete;
  void observe(double v);
  // The samples name_bucket{labels..., le="B"} (cumulative, then le="+Inf"),
  // name_sum and name_count. The count is the +Inf bucket's, read in the
  // same pass, so the two always agree. The family line is the caller's
  // (one family may hold several label sets).
  void write(Writer& w, std::string_view name, const Labels& labels) const;
  uint64_t count() const;

 private:
  std::vector<double> bounds_;
  std::vector<std::atomic<uint64_t>> counts_;  // per bucket (not cumulative); last: above every bound
  std::atomic<double> sum_{0};
};

// Every counter of a module's visit(f) list (f(dotted name, value)) as one
// family each: name from metric_name(prefix, ...), help naming the counter.
// Names in `gauges` are written as gauges (they go up and down).
template <class Visitable>
void counter_families(Writer& w, std::string_view prefix, const Visitable& v,
                      std::initializer_list<std::string_view> gauges = {},
                      std::string_view help_suffix = {}) {
  v.visit([&](std::string_view dotted, uint64_t value) {
    bool gauge = false;
    for (std::string_view g : gauges) gauge = gauge || g == dotted;
    Type t = gauge ? Type::kGauge : Type::kCounter;
    std::string name = metric_name(prefix, dotted, t);
    std::string help = std::string(dotted);
    if (!help_suffix.empty()) help += std::string(" ") + std::string(help_suffix);
    w.family(name, help, t);
    w.sample(name, static_cast<double>(value));
  });
}

}  // namespace vigil::prometheus

// common/prometheus.h: names, escaping, and a histogram's cumulative buckets.
#include "common/prometheus.h"

#include <catch2/catch.hpp>

using namespace vigil::prometheus;

namespace {
struct TwoCounters {
  template <class F>
  void visit(F&& f) const {
    f("http.accepted", 3);
    f("http.connections_open", 1);
  }
};
}  // namespace

TEST_CASE("metric names: prefix, dots, _total for counters only") {
  CHECK(metric_name("vigil_agent", "capture.kernel_drops", Type::kCounter) ==
        "vigil_agent_capture_kernel_drops_total");
  CHECK(metric_name("vigil_collector", "http.connections_open", Type::kGauge) ==
        "vigil_collector_http_connections_open");
  CHECK(metric_name("vigil_x", "a-b/c", Type::kCounter) == "vigil_x_a_b_c_total");
  CHECK(metric_name("vigil_x", "sent_total", Type::kCounter) == "vigil_x_sent_total");
}

TEST_CASE("label values and help text are escaped as the format says") {
  Writer w;
  w.family("m", "a \\ b\nc \"q\"", Type::kGauge);
  w.sample("m", {{"path", "C:\\x \"y\"\nz"}, {"op", "ingest"}}, 2);
  CHECK(w.text() ==
        "# HELP m a \\\\ b\\nc \"q\"\n"
        "# TYPE m gauge\n"
        "m{path=\"C:\\\\x \\\"y\\\"\\nz\",op=\"ingest\"} 2\n");
  CHECK(format_value(0.25) == "0.25");
  CHECK(format_value(12345678901.0) == "12345678901");
  CHECK(format_value(1.0 / 0.0) == "+Inf");
}

TEST_CASE("histogram: cumulative buckets, +Inf equals _count, _sum") {
  Histogram h({0.25, 1});
  h.observe(0.125);
  h.observe(0.25);  // on the bound: le is inclusive
  h.observe(0.5);
  h.observe(7);
  Writer w;
  w.family("t_seconds", "t", Type::kHistogram);
  h.write(w, "t_seconds", {{"op", "q"}});
  CHECK(w.text() ==
        "# HELP t_seconds t\n"
        "# TYPE t_seconds histogram\n"
        "t_seconds_bucket{op=\"q\",le=\"0.25\"} 2\n"
        "t_seconds_bucket{op=\"q\",le=\"1\"} 3\n"
        "t_seconds_bucket{op=\"q\",le=\"+Inf\"} 4\n"
        "t_seconds_sum{op=\"q\"} 7.875\n"
        "t_seconds_count{op=\"q\"} 4\n");
  CHECK(h.count() == 4);
}

TEST_CASE("counter_families: one family per visited counter, gauges named") {
  Writer w;
  counter_families(w, "vigil_collector", TwoCounters{}, {"http.connections_open"});
  CHECK(w.text() ==
        "# HELP vigil_collector_http_accepted_total http.accepted\n"
        "# TYPE vigil_collector_http_accepted_total counter\n"
        "vigil_collector_http_accepted_total 3\n"
        "# HELP vigil_collector_http_connections_open http.connections_open\n"
        "# TYPE vigil_collector_http_connections_open gauge\n"
        "vigil_collector_http_connections_open 1\n");
}

// GET /metrics: the collector's counters, gauges and store latencies in the
// Prometheus text exposition format 0.0.4 (common/prometheus.h). Open by
// default; with metrics.api_key_required, any API key or user token.
//
// Every counter family declared once elsewhere is written from its own
// visit() list, named vigil_collector_<dotted name>_total; a new family is
// one more counter_families() line below. The agents gauges are computed
// from the store as the agents page does (agent_status()).
#include "collector/forward/forwarder.h"
#include "collector/retention.h"
#include "collector/server.h"
#include "common/prometheus.h"
#include "common/time.h"

namespace vigil::collector {

namespace {

constexpr std::string_view kPrefix = "vigil_collector";

// AuthCounters writes JSON only; this gives it the visit() the writer reads.
struct AuthVisit {
  const AuthCounters& c;
  template <class F>
  void visit(F&& f) const {
#define VIGIL_AUTH_METRIC_(field, name) f(name, c.field.load(std::memory_order_relaxed));
    VIGIL_AUTH_COUNTERS(VIGIL_AUTH_METRIC_)
#undef VIGIL_AUTH_METRIC_
  }
};

struct RetentionVisit {
  const RetentionRunner* r;
  template <class F>
  void visit(F&& f) const {
    f("retention.passes", r ? r->passes() : 0);
    f("retention.alerts_deleted", r ? r->alerts_deleted() : 0);
    f("retention.events_deleted", r ? r->events_deleted() : 0);
  }
};

}  // namespace

Response CollectorServer::metrics(const Caller&, const RequestHead&, std::string) {
  namespace pm = prometheus;
  pm::Writer w;
  pm::counter_families(w, kPrefix, counters_, {"http.connections_open"}, "(collector/http/http_counters.h)");
  pm::counter_families(w, kPrefix, AuthVisit{auth_counters_}, {}, "(collector/auth/auth_counters.h)");
  pm::counter_families(w, kPrefix, ingest_counters_, {}, "(collector/ingest.h)");
  pm::counter_families(w, kPrefix, RetentionVisit{retention_.load()}, {}, "(collector/retention.h)");
  // Forwarding (collector/forward/): one family per counter, the output as a label.
  if (opts_.forward && !opts_.forward->outputs().empty()) {
    forward::ForwardCounters{}.visit([&](const char* counter, uint64_t) {
      bool gauge = std::string_view(counter) == "queue_depth";
      pm::Type t = gauge ? pm::Type::kGauge : pm::Type::kCounter;
      std::string name = pm::metric_name(kPrefix, std::string("forward.") + counter, t);
      w.family(name, std::string("forward.<output>.") + counter + " (collector/forward/forward_counters.h)",
               t);
      for (const auto& o : opts_.forward->outputs())
        o->counters().visit([&](const char* n, uint64_t v) {
          if (std::string_view(n) == counter) w.sample(name, {{"output", o->name()}}, static_cast<double>(v));
        });
    });
  }

  uint64_t known = 0, online = 0, revoked = 0;
  int64_t now = unix_now_s();
  for (const auto& a : store_.list_agents()) {
    ++known;
    std::string_view s = agent_status(a, now, opts_.offline_after_s);
    if (s == "online") ++online;
    if (s == "revoked") ++revoked;
  }
  w.gauge("vigil_collector_agents_known", "Agents enrolled (revoked ones included).",
          static_cast<double>(known));
  w.gauge("vigil_collector_agents_online", "Agents with a heartbeat within offline_after_s.",
          static_cast<double>(online));
  w.gauge("vigil_collector_agents_revoked", "Agents an administrator revoked.", static_cast<double>(revoked));

  constexpr const char* kStore = "vigil_collector_store_seconds";
  w.family(kStore,
           "Seconds spent in store calls: op=ingest (an event batch's commit), alert_query (the alert list "
           "and groups), stats_query (the dashboard statistics).",
           pm::Type::kHistogram);
  store_ingest_seconds_.write(w, kStore, {{"op", "ingest"}});
  store_alert_query_seconds_.write(w, kStore, {{"op", "alert_query"}});
  store_stats_query_seconds_.write(w, kStore, {{"op", "stats_query"}});

  Response r;
  r.status = 200;
  r.content_type = pm::kContentType;
  r.body = w.text();
  return r;
}

}  // namespace vigil::collector

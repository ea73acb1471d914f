#include "agent/output/stats_event.h"

#include "agent/output/stats_layout.h"

namespace vigil {

namespace {
// Suricata 7's fields of a stats.detect.engines entry; the rest of the load
// report (files, failures, compile time) is Vigil's and goes under
// stats.vigil.detect.engines, entry for entry.
bool suricata_engine_field(std::string_view k) {
  return k == "id" || k == "last_reload" || k == "rules_loaded" || k == "rules_failed" ||
         k == "rules_skipped";
}
}  // namespace

Json stats_event(const CounterSnapshot& counters, std::chrono::seconds uptime,
                 const rules::LoadReport* report, Timestamp now,
                 const std::vector<LimitedSignature>& limited) {
  CounterSnapshot suricata, own;
  for (const auto& [name, v] : counters) (is_suricata_counter(name) ? suricata : own)[name] = v;
  Json st = nest_counters(suricata);
  Json vigil = nest_counters(own);
  if (report) {
    Json engines = Json::array(), own_engines = Json::array();
    const Json report_json = rules::report_stats_json(*report);
    for (const auto& e : report_json["engines"]) {
      Json s = Json::object(), o = Json::object();
      for (const auto& [k, v] : e.items()) (suricata_engine_field(k) ? s : o)[k] = v;
      o["id"] = e.value("id", 0);
      engines.push_back(std::move(s));
      own_engines.push_back(std::move(o));
    }
    st["detect"]["engines"] = std::move(engines);
    vigil["detect"]["engines"] = std::move(own_engines);
  }
  if (!limited.empty()) {
    Json by_sig = Json::array();
    for (const LimitedSignature& l : limited)
      by_sig.push_back({{"gid", l.gid}, {"sid", l.sid}, {"dropped", l.dropped}, {"total", l.total}});
    vigil["detect"]["alerts_rate_limited_by_signature"] = std::move(by_sig);
  }
  // Uptime first, then the sections in name order, as Suricata writes them;
  // Vigil's own counters last.
  Json out = Json::object();
  out["uptime"] = uptime.count();
  for (auto& [k, v] : st.items()) {
    if (k != "uptime") out[k] = v;
  }
  if (!vigil.empty()) out["vigil"] = std::move(vigil);
  Json j;
  j["timestamp"] = format_eve_time(now);
  j["event_type"] = "stats";
  j["stats"] = std::move(out);
  return j;
}

}  // namespace vigil

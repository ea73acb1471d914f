#include "agent/output/stats_event.h"

namespace vigil {

Json stats_event(const CounterSnapshot& counters, std::chrono::seconds uptime,
                 const rules::LoadReport* report, Timestamp now) {
  Json st = nest_counters(counters);
  if (report) st["detect"].update(rules::report_stats_json(*report), true);
  // Uptime first, then the sections in name order, as Suricata writes them.
  Json out = Json::object();
  out["uptime"] = uptime.count();
  for (auto& [k, v] : st.items()) {
    if (k != "uptime") out[k] = v;
  }
  Json j;
  j["timestamp"] = format_eve_time(now);
  j["event_type"] = "stats";
  j["stats"] = std::move(out);
  return j;
}

}  // namespace vigil

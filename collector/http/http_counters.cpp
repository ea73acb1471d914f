#include "collector/http/http_counters.h"

namespace vigil::collector {

nlohmann::json HttpCounters::to_json() const {
  nlohmann::json j = nlohmann::json::object();
  visit([&](const char* name, uint64_t v) { j[name] = v; });
  return j;
}

}  // namespace vigil::collector

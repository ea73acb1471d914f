#include "collector/http/limits.h"

#include <climits>

namespace vigil::collector {

bool set_http_limit(HttpLimits* l, std::string_view key, int64_t value, std::string* why) {
  struct Key {
    const char* name;
    int HttpLimits::*i;
    int64_t HttpLimits::*i64;
    int64_t min;
  };
  static const Key kKeys[] = {
      {"io_threads", &HttpLimits::io_threads, nullptr, 0},
      {"max_connections", &HttpLimits::max_connections, nullptr, 1},
      {"max_connections_per_ip", &HttpLimits::max_connections_per_ip, nullptr, 1},
      {"handshake_timeout_s", &HttpLimits::handshake_timeout_s, nullptr, 1},
      {"head_timeout_s", &HttpLimits::head_timeout_s, nullptr, 1},
      {"body_timeout_s", &HttpLimits::body_timeout_s, nullptr, 1},
      {"idle_timeout_s", &HttpLimits::idle_timeout_s, nullptr, 1},
      {"write_timeout_s", &HttpLimits::write_timeout_s, nullptr, 1},
      {"max_header_bytes", nullptr, &HttpLimits::max_header_bytes, 1024},
      {"max_body_events", nullptr, &HttpLimits::max_body_events, 1024},
      {"max_inflated_events", nullptr, &HttpLimits::max_inflated_events, 1024},
      {"max_body_ruleset", nullptr, &HttpLimits::max_body_ruleset, 1024},
      {"max_body_heartbeat", nullptr, &HttpLimits::max_body_heartbeat, 1024},
      {"max_body_other", nullptr, &HttpLimits::max_body_other, 1024},
  };
  for (const Key& k : kKeys) {
    if (key != k.name) continue;
    int64_t max = k.i ? INT_MAX : (k.name == std::string_view("max_header_bytes") ? 1 << 20 : INT64_MAX);
    if (value < k.min || value > max) {
      *why = std::to_string(value) + " is out of range (" + std::to_string(k.min) + " to " +
             std::to_string(max) + ")";
      return false;
    }
    if (k.i) {
      l->*(k.i) = static_cast<int>(value);
    } else {
      l->*(k.i64) = value;
    }
    return true;
  }
  *why = "unknown key";
  return false;
}

}  // namespace vigil::collector

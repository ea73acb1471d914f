// Small helpers shared by the people routes (session_routes.cpp,
// user_routes.cpp): the clock, JSON bodies, the answer when the server runs
// without accounts. Internal to collector/api; header-only; any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "collector/http/message.h"

namespace vigil::collector::api_util {

// Monotonic milliseconds (the login throttle).
inline int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

inline Response no_accounts() {
  return Response::error(503, "user accounts are not enabled", "this server was started without them");
}

// The body as a JSON object, or why not in *refused.
inline std::optional<nlohmann::json> object_body(const std::string& body, Response* refused) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    *refused = Response::error(400, "bad request", "send a JSON object");
    return std::nullopt;
  }
  return j;
}

inline bool is_string(const nlohmann::json& j, const char* k) {
  return j.contains(k) && j[k].is_string();
}

}  // namespace vigil::collector::api_util

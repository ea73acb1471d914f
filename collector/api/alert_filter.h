// The alert filter as clients write it: query parameters of GET
// /api/v1/alerts (and its export), or the same names as a JSON object (the
// filter of bulk triage). Parsed into collector/store/alert_query.h values.
//
// Called on handler threads; pure functions. Every bad value is reported as
// the parameter's name and what it accepts (the route answers 400 {error,
// detail}); an unknown name is an error too, so that a typo never widens a
// bulk action to every alert.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "collector/store/alert_query.h"

namespace vigil::collector {

struct FilterError {
  std::string param;   // the offending parameter's name
  std::string detail;  // what it accepts
};

inline constexpr int kMaxAlertLimit = 1000;

// A time as the filters take it: unix seconds (at most 12 digits), or an
// ISO/EVE time ("2026-01-02", "2026-01-02T03:04:05Z",
// "2026-01-02T03:04:05.000000+0000"); microseconds since the epoch.
std::optional<int64_t> parse_filter_time(std::string_view v);

// Names: from to severity sid signature category agent src_ip dest_ip port
// src_port dest_port proto app_proto status assignee q group window cursor
// limit. Lists are comma-separated or repeated parameters. `extra` names are
// accepted and left to the caller (e.g. "format" for the export).
std::optional<FilterError> parse_alert_query(const std::vector<std::pair<std::string, std::string>>& params,
                                             AlertListQuery* out, const std::vector<std::string>& extra = {});

// The same names in a JSON object; values are strings, numbers, or arrays of
// them for lists (group: a boolean too). Paging names (cursor, limit, group,
// window) are refused here: a JSON filter selects, it does not page.
std::optional<FilterError> parse_alert_filter_json(const nlohmann::json& obj, AlertFilter* out);

}  // namespace vigil::collector

// The alert read side as plain values: a filter over stored alerts (what
// GET /api/v1/alerts, its export and bulk triage select), a page of alerts or
// of alert groups, and one alert's detail.
//
// collector/api/alert_filter.h fills these from query parameters or a JSON
// object on a handler thread; the Store answers them (any thread). Nothing
// here touches a database; ip16() is shared by the parser and the store so
// that both read addresses the same way.
#pragma once

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::collector {

using Ip16 = std::array<uint8_t, 16>;

// An IPv4 (as ::ffff:a.b.c.d) or IPv6 address as 16 bytes; nullopt when the
// text is neither. Byte order makes a CIDR block one contiguous range.
std::optional<Ip16> ip16(std::string_view text);

// An address or a CIDR block: [lo, hi] inclusive (the SQLite store compares
// them to its indexed 16-byte address columns). `exact` holds the canonical
// text when the block is one address.
struct IpNet {
  Ip16 lo{}, hi{};
  std::optional<std::string> exact;
};

inline constexpr const char* kTriageStatuses[] = {"new", "acknowledged", "escalated", "false_positive",
                                                  "closed"};

// Every condition present must hold (AND); a list matches any of its values.
struct AlertFilter {
  std::optional<int64_t> from_us, to_us;  // event time, microseconds, [from, to)
  std::vector<int> severities;
  std::vector<int64_t> sids;
  std::optional<std::string> signature;  // substring, ASCII case-insensitive
  std::optional<std::string> category;   // equal
  std::optional<std::string> agent_id;
  std::optional<IpNet> src_ip, dest_ip;
  std::optional<int> port, src_port, dest_port;  // port: source or destination
  std::optional<std::string> proto;              // upper case, as EVE writes it ("TCP")
  std::optional<std::string> app_proto;          // lower case ("http")
  std::vector<std::string> statuses;             // triage status; no triage row = "new"
  std::optional<std::string> assignee;
  std::optional<std::string> q;  // free text over the signature and app-layer fields
  bool empty() const;
};

// Keyset paging, newest first: the first row strictly after the cursor.
struct AlertCursor {
  int64_t ts_us = 0, id = 0;
};
// Groups page by (window DESC, sid, src, dest).
struct GroupCursor {
  int64_t bucket = 0, sid = 0;
  std::string src, dest;
};

struct AlertListQuery {
  AlertFilter filter;
  int limit = 100;
  std::optional<AlertCursor> cursor;
  bool want_total = true;  // false: skip the count (the export pages through everything)
  bool group = false;
  int64_t window_s = 3600;  // grouping window, aligned to the epoch
  std::optional<GroupCursor> group_cursor;
};

struct AlertListPage {
  // Counted up to a cap; total_exact false beyond it (total is then a lower bound).
  int64_t total = 0;
  bool total_exact = true;
  // Each: the stored EVE object plus "id", "agent_id", "status", "assignee".
  std::vector<nlohmann::json> alerts;
  std::optional<AlertCursor> next_cursor;  // set when more rows may follow
  bool cached = false;                     // found in the stats cache (SQLite store, alert_facts.h)
};

struct AlertGroup {
  int64_t sid = 0, count = 0, first_seen_us = 0, last_seen_us = 0, sample_id = 0, bucket = 0;
  std::string signature, src_ip, dest_ip;
  int severity = 0;
};

struct AlertGroupPage {
  std::vector<AlertGroup> groups;
  std::optional<GroupCursor> next_cursor;
};

struct AlertDetail {
  nlohmann::json alert;  // as in a list page
  // The other alerts of its flow (same agent and flow_id, within an hour of
  // it), newest first, at most 200; an alert without flow_id has none.
  std::vector<nlohmann::json> flow_alerts;
  // The events of that flow (app-layer, flow, fileinfo, anomaly...), the same way.
  std::vector<nlohmann::json> flow_events;
  bool truncated = false;  // either list stopped at 200
};

// Encodes and decodes the opaque cursors clients pass back ("" / nullopt
// when malformed).
std::string encode_cursor(const AlertCursor&);
std::optional<AlertCursor> decode_alert_cursor(std::string_view);
std::string encode_cursor(const GroupCursor&);
std::optional<GroupCursor> decode_group_cursor(std::string_view);

}  // namespace vigil::collector

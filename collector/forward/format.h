// How a forwarded alert looks on the wire: the JSON document (the EVE record
// as stored plus agent_id and agent_hostname), RFC 5424 syslog lines and
// ArcSight CEF. Pure functions, tested in tests/collector/forward/format_test.cpp.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace vigil::collector::forward {

inline constexpr const char* kCollectorVersion = "0.1.0";

// Suricata severity (1 highest) -> syslog severity: 1 crit(2), 2 err(3),
// 3 warning(4), anything else notice(5).
int syslog_severity(int suricata_severity);
// Suricata severity -> CEF 0..10: 1 -> 10, 2 -> 7, 3 -> 5, else 3.
int cef_severity(int suricata_severity);

// RFC 5424: "<PRI>1 TIMESTAMP HOSTNAME vigil - alert - MSG". PRI is
// facility*8 + syslog_severity; TIMESTAMP the alert's time (RFC 3339, UTC,
// microseconds) or the current time when the alert has none; HOSTNAME the
// agent's host name made printable ASCII without spaces (at most 255), or "-".
std::string rfc5424(const nlohmann::json& alert, int facility, std::string_view msg, int64_t now_us);
// RFC 6587 octet counting: "LEN SP MSG".
std::string octet_counted(std::string_view msg);

// CEF:0|Vigil|vigil-collector|VERSION|sid|signature|severity|ext
std::string cef(const nlohmann::json& alert);
std::string cef_escape_header(std::string_view s);     // \ -> \\, | -> \|, newlines -> space
std::string cef_escape_extension(std::string_view s);  // \ -> \\, = -> \=, newline -> \n, CR -> \r

}  // namespace vigil::collector::forward

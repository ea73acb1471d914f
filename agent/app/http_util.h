// Small HTTP helpers shared by the parser and its tests: URI normalization as
// Suricata's http.uri shows it, Host normalization, header-value lookups.
// Pure functions; results own their bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vigil::http {

// Normalized request target for http.uri: the authority of an absolute URI is
// dropped, %XX in the path is decoded, "//" collapses, "/./" and "/x/../" are
// resolved; the query is kept as sent.
std::string normalize_uri(std::string_view raw);
// Host and port of an absolute-form request target ("http://h:8080/x"); empty
// when the target is origin-form.
std::string_view uri_authority(std::string_view raw);
// Lowercase host without port (http.host); port set when one was given.
std::string normalize_host(std::string_view raw, std::optional<uint16_t>* port);
bool iequals(std::string_view a, std::string_view b);
// True when the comma-separated list `v` holds `token` (case-insensitive).
bool has_token(std::string_view v, std::string_view token);
std::string_view trim(std::string_view s);
// Finds the line starting at pos in a message head: ends at LF (CRLF, and
// LF CR, count as one). Sets *line_end (exclusive, terminator excluded) and
// *next; false when buf does not hold the whole terminator yet.
bool next_line(std::string_view buf, size_t pos, size_t* line_end, size_t* next);
// Trims spaces and tabs only (header values are stored so).
std::string_view trim_sp(std::string_view s);
// Transfer-Encoding lists "chunked" as a token (only SP/HT around it: a CR or
// other control byte makes it something else, as for the clients targeted).
bool is_chunked(std::string_view te);
// Decimal Content-Length; nullopt when not a plain non-negative number.
std::optional<uint64_t> parse_content_length(std::string_view v);
// A Content-Length field as received, repeated fields merged by ", ": the
// first value when every item is a number (RFC 9112 6.3 accepts a list of
// one repeated value); *conflict is set when the numbers differ (Python's
// client and curl read the first). nullopt when an item is not a number.
std::optional<uint64_t> parse_content_length_list(std::string_view v, bool* conflict);

}  // namespace vigil::http

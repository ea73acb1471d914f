// Packet timestamps and their EVE text form.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vigil {

// Seconds and microseconds since the Unix epoch, as libpcap gives them
// (nanosecond captures are truncated to microseconds: EVE prints microseconds).
struct Timestamp {
  int64_t sec = 0;
  int32_t usec = 0;

  int64_t micros() const { return sec * 1000000 + usec; }
  friend bool operator<(const Timestamp& a, const Timestamp& b) {
    return a.sec < b.sec || (a.sec == b.sec && a.usec < b.usec);
  }
  friend bool operator==(const Timestamp& a, const Timestamp& b) = default;
};

// "2026-11-26T03:27:31.123456+0000", the format Suricata writes in EVE.
std::string format_eve_time(const Timestamp& ts);

// The inverse, to microseconds since the epoch: "YYYY-MM-DDTHH:MM:SS", then
// an optional fraction (any number of digits, microseconds kept) and an
// optional offset (+hhmm, +hh:mm, -hhmm, Z; none means UTC). nullopt when
// malformed or out of range.
std::optional<int64_t> parse_eve_time_us(std::string_view s);

// Wall clock now, for events that are not tied to a packet (stats, heartbeats).
Timestamp wall_clock_now();
// The same in whole seconds since the epoch (what the collector stores and
// compares expiries against).
int64_t unix_now_s();

}  // namespace vigil

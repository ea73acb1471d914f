#include "common/time.h"

#include <sys/time.h>

#include <cstdio>
#include <ctime>

namespace vigil {

std::string format_eve_time(const Timestamp& ts) {
  time_t t = static_cast<time_t>(ts.sec);
  struct tm tm;
  gmtime_r(&t, &tm);
  char buf[64];
  snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06d+0000", tm.tm_year + 1900, tm.tm_mon + 1,
           tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ts.usec));
  return buf;
}

namespace {

// `n` decimal digits at s[i..]; false when any is not a digit.
bool digits(std::string_view s, size_t i, size_t n, int* out) {
  if (i + n > s.size()) return false;
  int v = 0;
  for (size_t k = i; k < i + n; ++k) {
    if (s[k] < '0' || s[k] > '9') return false;
    v = v * 10 + (s[k] - '0');
  }
  *out = v;
  return true;
}

}  // namespace

std::optional<int64_t> parse_eve_time_us(std::string_view s) {
  int Y, M, D, h, m, sec;
  if (!digits(s, 0, 4, &Y) || s.size() < 19 || s[4] != '-' || !digits(s, 5, 2, &M) || s[7] != '-' ||
      !digits(s, 8, 2, &D) || s[10] != 'T' || !digits(s, 11, 2, &h) || s[13] != ':' ||
      !digits(s, 14, 2, &m) || s[16] != ':' || !digits(s, 17, 2, &sec))
    return std::nullopt;
  if (M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 60) return std::nullopt;
  std::tm tm{};
  tm.tm_year = Y - 1900;
  tm.tm_mon = M - 1;
  tm.tm_mday = D;
  tm.tm_hour = h;
  tm.tm_min = m;
  tm.tm_sec = sec;
  int64_t t = timegm(&tm);
  size_t i = 19;
  int64_t us = 0;
  if (i < s.size() && s[i] == '.') {
    int n = 0;
    ++i;
    size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      if (n < 6) {
        us = us * 10 + (s[i] - '0');
        ++n;
      }
      ++i;
    }
    if (i == start) return std::nullopt;
    while (n++ < 6) us *= 10;
  }
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    int oh, om;
    size_t mo = i + 3 < s.size() && s[i + 3] == ':' ? i + 4 : i + 3;
    if (!digits(s, i + 1, 2, &oh) || !digits(s, mo, 2, &om) || oh > 23 || om > 59) return std::nullopt;
    t -= int64_t{oh * 3600 + om * 60} * (s[i] == '+' ? 1 : -1);
    i = mo + 2;
  } else if (i < s.size() && s[i] == 'Z') {
    ++i;
  }
  if (i != s.size()) return std::nullopt;
  return t * 1000000 + us;
}

Timestamp wall_clock_now() {
  struct timeval tv;
  gettimeofday(&tv, nullptr);
  return Timestamp{tv.tv_sec, static_cast<int32_t>(tv.tv_usec)};
}

int64_t unix_now_s() {
  return wall_clock_now().sec;
}

}  // namespace vigil

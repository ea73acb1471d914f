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

Timestamp wall_clock_now() {
  struct timeval tv;
  gettimeofday(&tv, nullptr);
  return Timestamp{tv.tv_sec, static_cast<int32_t>(tv.tv_usec)};
}

}  // namespace vigil

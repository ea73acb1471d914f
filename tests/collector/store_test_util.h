// Small helpers shared by the store tests (tests/collector/store_test.cpp and
// tests/collector/store/*_test.cpp): an empty scratch directory per test, and
// EVE timestamps as the agent writes them. Test code only; single-threaded use.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <string>

namespace vigil::collector::test {

// An empty directory TMP/<prefix><name>-<pid>, removed first if it exists.
inline std::string fresh_temp_dir(const std::string& prefix, const char* name) {
  auto d = std::filesystem::temp_directory_path() / (prefix + name + "-" + std::to_string(getpid()));
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d.string();
}

// EVE's timestamp form for a time in microseconds since the epoch, UTC.
inline std::string eve_time_us(int64_t us) {
  time_t s = static_cast<time_t>(us / 1'000'000);
  struct tm tm;
  gmtime_r(&s, &tm);
  char b[64];
  std::snprintf(b, sizeof b, "%04d-%02d-%02dT%02d:%02d:%02d.%06lld+0000", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<long long>(us % 1'000'000));
  return b;
}

}  // namespace vigil::collector::test

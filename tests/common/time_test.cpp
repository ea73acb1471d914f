#include "common/time.h"

#include <catch2/catch.hpp>

using namespace vigil;

TEST_CASE("EVE timestamps are UTC with microseconds and +0000") {
  CHECK(format_eve_time({1715693400, 42}) == "2024-05-14T13:30:00.000042+0000");
  CHECK(format_eve_time({0, 999999}) == "1970-01-01T00:00:00.999999+0000");
}

TEST_CASE("EVE timestamps parse back to microseconds, offsets applied, junk refused") {
  CHECK(parse_eve_time_us(format_eve_time({1715693400, 42})) == int64_t{1715693400} * 1000000 + 42);
  CHECK(parse_eve_time_us("1970-01-01T00:00:01.000002+0000") == 1000002);
  CHECK(parse_eve_time_us("1970-01-01T01:00:01.5+0100") == 1500000);
  CHECK(parse_eve_time_us("1970-01-01T01:00:01.5+01:00") == 1500000);
  CHECK(parse_eve_time_us("1969-12-31T23:00:01-0100") == 1000000);
  CHECK(parse_eve_time_us("2026-11-26T03:27:31") == int64_t{1795663651} * 1000000);
  CHECK(parse_eve_time_us("2026-11-26T03:27:31Z") == int64_t{1795663651} * 1000000);
  CHECK(parse_eve_time_us("2026-11-26T03:27:31.1234567") == int64_t{1795663651} * 1000000 + 123456);
  for (const char* bad : {"yesterday", "", "2026-11-26", "2026-11-26T03:27", "2026-13-01T00:00:00",
                          "2026-11-26T03:27:31.", "2026-11-26T03:27:31+01", "2026-11-26T03:27:31+0x00",
                          "2026-11-26T03:27:31 junk", "+026-11-26T03:27:31", "2026-11-26T03:27:31+0000Z"}) {
    INFO(bad);
    CHECK_FALSE(parse_eve_time_us(bad));
  }
}

// collector.yaml's `server:` keys: each sets its field; unknown keys and
// values out of range are refused with a reason.
#include "collector/http/limits.h"

#include <catch2/catch.hpp>

using namespace vigil::collector;

TEST_CASE("server limits are set by name and checked") {
  HttpLimits l;
  std::string why;
  REQUIRE(set_http_limit(&l, "head_timeout_s", 2, &why));
  CHECK(l.head_timeout_s == 2);
  REQUIRE(set_http_limit(&l, "max_inflated_events", 1 << 20, &why));
  CHECK(l.max_inflated_events == 1 << 20);
  REQUIRE(set_http_limit(&l, "max_connections_per_ip", 5, &why));
  CHECK(l.max_connections_per_ip == 5);
  CHECK_FALSE(set_http_limit(&l, "head_timeout", 2, &why));
  CHECK(why == "unknown key");
  CHECK_FALSE(set_http_limit(&l, "head_timeout_s", 0, &why));
  CHECK(why.find("out of range") != std::string::npos);
  CHECK_FALSE(set_http_limit(&l, "max_connections", 1ll << 40, &why));
  CHECK_FALSE(set_http_limit(&l, "max_header_bytes", 100, &why));
  CHECK(l.head_timeout_s == 2);  // a refused value changes nothing
}

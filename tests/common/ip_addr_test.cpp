#include "common/ip_addr.h"

#include <catch2/catch.hpp>

using namespace vigil;

TEST_CASE("IpAddr round-trips text for both families") {
  auto a = IpAddr::parse("10.20.3.4");
  REQUIRE(a);
  CHECK(a->family == 4);
  CHECK(a->v4_u32() == 0x0a140304u);
  CHECK(a->to_string() == "10.20.3.4");
  auto b = IpAddr::parse("2001:db8::1");
  REQUIRE(b);
  CHECK(b->family == 6);
  CHECK(b->to_string() == "2001:db8::1");
  CHECK_FALSE(IpAddr::parse("300.1.1.1"));
}

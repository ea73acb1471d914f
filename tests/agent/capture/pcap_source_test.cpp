#include "agent/capture/pcap_source.h"

#include <catch2/catch.hpp>

using namespace vigil;

TEST_CASE("the automatic capture buffer follows the link speed, within 8 to 64 MiB", "[capture]") {
  CHECK(buffer_size_mb_for_speed(-1) == 8);  // what /sys says of a link that is down
  CHECK(buffer_size_mb_for_speed(0) == 8);
  CHECK(buffer_size_mb_for_speed(100) == 8);
  CHECK(buffer_size_mb_for_speed(1000) == 8);
  CHECK(buffer_size_mb_for_speed(2500) == 20);
  CHECK(buffer_size_mb_for_speed(8000) == 64);
  CHECK(buffer_size_mb_for_speed(100000) == 64);
  // lo has no speed; a name that is not an interface, or not a plain name, gets the floor.
  CHECK(auto_buffer_size_mb("lo") == 8);
  CHECK(auto_buffer_size_mb("vigil-no-such-if") == 8);
  CHECK(auto_buffer_size_mb("../lo") == 8);
}

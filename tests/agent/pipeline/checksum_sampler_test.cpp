// ChecksumSampler: the "auto" checksum decision after 1000 IP packets, off
// when more than 1 in 10 is bad; what is not IP is not counted.
#include "agent/pipeline/checksum_sampler.h"

#include <catch2/catch.hpp>

using namespace vigil;

namespace {
Packet ip_packet(bool bad) {
  Packet p;
  p.ip_version = 4;
  p.l4_csum_bad = bad;
  return p;
}
}  // namespace

TEST_CASE("checksum sampler decides on the 1000th IP packet") {
  for (uint32_t bad : {0u, 100u, 101u, 1000u}) {
    INFO(bad << " bad of 1000");
    ChecksumSampler s;
    Packet not_ip;
    for (int i = 0; i < 5000; ++i) CHECK_FALSE(s.add(not_ip));
    for (uint32_t i = 0; i < ChecksumSampler::kSample - 1; ++i) REQUIRE_FALSE(s.add(ip_packet(i < bad)));
    CHECK_FALSE(s.done());
    CHECK_FALSE(s.checks_off());
    CHECK(s.add(ip_packet(bad == 1000)));
    CHECK(s.done());
    CHECK(s.checks_off() == (bad * 10 > 1000));
    CHECK_FALSE(s.add(ip_packet(true)));  // sampling is over: nothing changes
    CHECK(s.sampled() == 1000);
  }
  ChecksumSampler v4_header;
  Packet p = ip_packet(false);
  p.ipv4_csum_bad = true;
  for (int i = 0; i < 1000; ++i) v4_header.add(p);
  CHECK(v4_header.checks_off());
}

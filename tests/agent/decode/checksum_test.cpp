// The word-at-a-time checksum against a byte-pair reference (RFC 1071), for
// every length parity and alignment.
#include <catch2/catch.hpp>
#include <random>

#include "agent/decode/layers.h"
#include "tests/tools/packet_builder.h"

using namespace vigil;

namespace {
uint32_t reference(const uint8_t* d, size_t n, uint32_t acc) {
  uint64_t s = acc;
  for (size_t i = 0; i + 1 < n; i += 2) s += (uint32_t(d[i]) << 8) | d[i + 1];
  if (n % 2) s += uint32_t(d[n - 1]) << 8;
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return static_cast<uint32_t>(s);
}
}  // namespace

TEST_CASE("csum_add matches the byte-pair reference") {
  std::mt19937 rng(7);
  std::vector<uint8_t> buf(2000);
  for (int round = 0; round < 2000; ++round) {
    for (auto& b : buf) b = static_cast<uint8_t>(rng());
    size_t off = rng() % 8, n = rng() % 1500;
    if (round < 64) n = static_cast<size_t>(round);  // every short length
    uint32_t acc = rng() % 0x10000;
    const uint8_t* d = buf.data() + off;
    INFO("len " << n << " off " << off);
    CHECK(decode::csum_add(Bytes(d, n), acc) == reference(d, n, acc));
  }
  std::vector<uint8_t> ones(1500, 0xff);
  CHECK(decode::csum_add(Bytes(ones.data(), ones.size()), 0xffff) == 0xffff);
  CHECK(decode::csum_add(Bytes(), 0) == 0);
}

TEST_CASE("csum_ok accepts what the builder computes and rejects a flipped bit") {
  test::Buf f = test::udp4("10.0.0.1", "10.0.0.2", 1, 2, "odd");
  Bytes ip(f.data() + 14, 20);
  CHECK(decode::csum_ok(ip, 0));
  f[14 + 5] ^= 0x10;
  CHECK_FALSE(decode::csum_ok(Bytes(f.data() + 14, 20), 0));
}

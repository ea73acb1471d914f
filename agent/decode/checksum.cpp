// Internet checksums (RFC 1071) for the IP, TCP, UDP and ICMP decoders.
#include "agent/decode/layers.h"

namespace vigil::decode {
namespace {

uint32_t fold(uint64_t acc) {
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  return static_cast<uint32_t>(acc);
}

}  // namespace

uint32_t csum_add(Bytes data, uint32_t acc) {
  // 64-bit accumulator: no carry handling inside the loop for any IP length.
  uint64_t sum = acc;
  const uint8_t* b = data.data();
  size_t n = data.size(), i = 0;
  for (; i + 1 < n; i += 2) sum += (uint32_t(b[i]) << 8) | b[i + 1];
  if (i < n) sum += uint32_t(b[i]) << 8;
  return fold(sum);
}

uint32_t pseudo_header_sum(const Packet& p, uint8_t proto, uint32_t l4_len) {
  uint32_t acc = csum_add({p.src.b.data(), p.src.len()}, 0);
  acc = csum_add({p.dst.b.data(), p.dst.len()}, acc);
  return fold(uint64_t(acc) + proto + (l4_len >> 16) + (l4_len & 0xffff));
}

bool csum_ok(Bytes data, uint32_t initial) {
  return csum_add(data, initial) == 0xffff;
}

}  // namespace vigil::decode

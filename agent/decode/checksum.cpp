// Internet checksums (RFC 1071) for the IP, TCP, UDP and ICMP decoders.
#include <bit>
#include <cstring>

#include "agent/decode/layers.h"

namespace vigil::decode {
namespace {

uint32_t fold(uint64_t acc) {
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  return static_cast<uint32_t>(acc);
}

}  // namespace

uint32_t csum_add(Bytes data, uint32_t acc) {
  // RFC 1071 section 2(B): the sum is byte-order independent, so add the data
  // as native 32-bit words (8 bytes per step into a 64-bit accumulator, which
  // cannot overflow for any IP length) and swap the folded result back to
  // network order at the end.
  const uint8_t* b = data.data();
  size_t n = data.size();
  uint64_t sum = 0;
  while (n >= 8) {
    uint32_t w[2];
    std::memcpy(w, b, 8);
    sum += uint64_t(w[0]) + w[1];
    b += 8;
    n -= 8;
  }
  if (n >= 4) {
    uint32_t w;
    std::memcpy(&w, b, 4);
    sum += w;
    b += 4;
    n -= 4;
  }
  if (n >= 2) {
    uint16_t w;
    std::memcpy(&w, b, 2);
    sum += w;
    b += 2;
    n -= 2;
  }
  if (n) {  // odd trailing byte: the high-order byte of a network-order word
    uint8_t last[2] = {b[0], 0};
    uint16_t w;
    std::memcpy(&w, last, 2);
    sum += w;
  }
  uint32_t folded = fold(sum);
  if constexpr (std::endian::native == std::endian::little) {
    folded = ((folded & 0xff) << 8) | (folded >> 8);
  }
  return fold(uint64_t(folded) + acc);
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

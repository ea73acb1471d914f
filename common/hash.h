// Hash keys shared by the engine's cross-worker tables (thresholds, xbits):
// a 64-bit id (rule or bit name), a small kind, and two 128-bit values
// (addresses as U128, or a flow id).
//
// Pure values; any thread.
#pragma once

#include <cstddef>
#include <cstdint>

namespace vigil {

struct IdPairKey {
  uint64_t id;
  uint8_t kind;
  unsigned __int128 a, b;
  bool operator==(const IdPairKey&) const = default;
};

struct IdPairKeyHash {
  size_t operator()(const IdPairKey& k) const {
    uint64_t h = k.id * 0x9e3779b97f4a7c15ull ^ k.kind;
    h ^= uint64_t(k.a) * 0xff51afd7ed558ccdull ^ uint64_t(k.a >> 64);
    h ^= uint64_t(k.b) * 0xc4ceb9fe1a85ec53ull ^ uint64_t(k.b >> 64);
    return size_t(h);
  }
};

}  // namespace vigil

// Helpers shared by the decoder tests: decode a frame with a fresh or given
// Decoder and read counters by name.
#pragma once

#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "agent/decode/decoder.h"
#include "tests/tools/packet_builder.h"

namespace vigil::test {

inline uint64_t counter(const Decoder& d, std::string_view name) {
  uint64_t v = 0;
  bool found = false;
  d.visit_counters([&](std::string_view n, uint64_t x) {
    if (n == name) v = x, found = true;
  });
  if (!found) throw std::invalid_argument("no counter " + std::string(name));
  return v;
}

// Sum of every decoder.event.* counter: zero means "no anomaly".
inline uint64_t anomalies(const Decoder& d) {
  uint64_t v = 0;
  d.visit_counters([&](std::string_view n, uint64_t x) {
    if (n.starts_with("decoder.event.")) v += x;
  });
  return v;
}

// Names of the non-zero decoder.event.* counters, for readable failures.
inline std::string anomaly_names(const Decoder& d) {
  std::string s;
  d.visit_counters([&](std::string_view n, uint64_t x) {
    if (x && n.starts_with("decoder.event.")) s += std::string(n) + "=" + std::to_string(x) + " ";
  });
  return s;
}

// Keeps a frame alive until the test program exits, so that a Packet built
// from a temporary frame can still be inspected.
inline const Buf& keep(Buf b) {
  static std::deque<Buf> frames;
  frames.push_back(std::move(b));
  return frames.back();
}

inline Packet make_packet(const Buf& frame, int linktype = 1, Timestamp ts = {1700000000, 0}) {
  Packet p;
  p.frame = frame;
  p.linktype = linktype;
  p.wire_len = static_cast<uint32_t>(frame.size());
  p.ts = ts;
  return p;
}

inline std::string_view payload_sv(const Packet& p) {
  return {reinterpret_cast<const char*>(p.payload.data()), p.payload.size()};
}

}  // namespace vigil::test

// vigil-fanout-bench: the cost of the capture reader's per-packet worker
// choice (Fanout::hash, agent/decode/fanout.cpp), alone: every frame of a
// capture (or its first MAX_FRAMES) is read into memory first, then hashed
// PASSES times; prints the best pass in ns per frame, and how 4 workers would
// share the frames. A whole 100 MB capture measures memory misses as much as
// the hash; a few thousand frames stay in cache and measure the hash alone.
// Usage: vigil-fanout-bench CAPTURE [PASSES [MAX_FRAMES]]   (bench/RESULTS.md)
#include <pcap/pcap.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "agent/decode/decoder.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s CAPTURE [PASSES [MAX_FRAMES]]\n", argv[0]);
    return 2;
  }
  const int passes = argc > 2 ? std::max(1, std::atoi(argv[2])) : 5;
  const size_t max_frames = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : SIZE_MAX;
  char err[PCAP_ERRBUF_SIZE];
  pcap_t* pc = pcap_open_offline(argv[1], err);
  if (!pc) {
    std::fprintf(stderr, "%s: %s\n", argv[1], err);
    return 1;
  }
  const int linktype = pcap_datalink(pc);
  std::vector<uint8_t> arena;
  std::vector<std::pair<size_t, size_t>> frames;  // offset, length
  pcap_pkthdr* h = nullptr;
  const u_char* data = nullptr;
  while (frames.size() < max_frames && pcap_next_ex(pc, &h, &data) == 1) {
    frames.emplace_back(arena.size(), h->caplen);
    arena.insert(arena.end(), data, data + h->caplen);
  }
  pcap_close(pc);
  if (frames.empty()) {
    std::fprintf(stderr, "%s: no frames\n", argv[1]);
    return 1;
  }
  vigil::Fanout fanout;
  double best = 1e30;
  uint64_t share[4] = {0, 0, 0, 0};
  uint64_t sink = 0;
  for (int i = 0; i < passes; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    for (const auto& [off, len] : frames) {
      const uint32_t w = fanout.hash(linktype, vigil::Bytes(arena.data() + off, len));
      sink += w;
      if (i == 0) ++share[w % 4];
    }
    std::chrono::duration<double, std::nano> ns = std::chrono::steady_clock::now() - t0;
    best = std::min(best, ns.count() / double(frames.size()));
  }
  std::printf("frames %zu, bytes %zu, best of %d passes: %.1f ns/frame (%.1f Mframes/s)\n", frames.size(),
              arena.size(), passes, best, 1e3 / best);
  std::printf("4 workers: %.1f%% %.1f%% %.1f%% %.1f%%  (checksum %llu)\n", 100.0 * share[0] / frames.size(),
              100.0 * share[1] / frames.size(), 100.0 * share[2] / frames.size(),
              100.0 * share[3] / frames.size(), static_cast<unsigned long long>(sink));
  return 0;
}

// Randomised reassembly checks with fixed seeds: a known byte stream cut into
// random segments, sent shuffled, duplicated and re-cut, across the 2^32
// wrap; what comes out must be the stream itself (or the stream with '#' for
// exactly the bytes never sent).
#include <algorithm>
#include <catch2/catch.hpp>
#include <random>

#include "tests/agent/flow/flow_test_util.h"

using namespace vigil;
using namespace vigil::flowtest;

namespace {

struct Seg {
  uint32_t off, len;
};

std::vector<Seg> cut(std::mt19937& rng, uint32_t total, uint32_t max_len) {
  std::vector<Seg> out;
  for (uint32_t off = 0; off < total;) {
    const uint32_t len = std::min<uint32_t>(total - off, 1 + rng() % max_len);
    out.push_back({off, len});
    off += len;
  }
  return out;
}

std::string make_stream(std::mt19937& rng, size_t n) {
  std::string s(n, '\0');
  // Printable and never '#', so gaps stand out.
  for (char& c : s) c = char('a' + rng() % 26);
  return s;
}

}  // namespace

TEST_CASE("random segmentation, order and duplicates reassemble exactly", "[flow][tcp][random]") {
  for (uint32_t seed = 1; seed <= 20; ++seed) {
    CAPTURE(seed);
    std::mt19937 rng(seed);
    Harness h;
    const uint32_t isn = seed % 2 ? 0xFFFFF000u + seed : rng();  // half of them cross 2^32
    h.handshake(isn, 5000);
    const std::string stream = make_stream(rng, 20000);
    std::vector<Seg> segs = cut(rng, uint32_t(stream.size()), 1500);
    // Duplicates re-cut at other boundaries, so overlaps are partial too.
    for (const Seg& s : cut(rng, uint32_t(stream.size()), 700)) {
      if (rng() % 4 == 0) segs.push_back(s);
    }
    std::shuffle(segs.begin(), segs.end(), rng);
    for (const Seg& s : segs) {
      h.send(h.tcp(true, isn + 1 + s.off, 5001, kPA, stream.substr(s.off, s.len)));
    }
    CHECK(h.ts() == stream);
    CHECK(h.rec.offset_errors == 0);
    CHECK(h.counter("tcp.overlap_diff_data") == 0);
    CHECK(h.counter("tcp.reassembly_gap") == 0);
    h.send(h.tcp(true, isn + 1 + uint32_t(stream.size()), 5001, kFA));
    CHECK(h.rec.ends[0] == 1);
    CHECK(h.counter("tcp.reassembly_memuse") <= 64 * 1024 + 64 * sizeof(Segment));
  }
}

TEST_CASE("random loss shows as gaps over exactly the missing bytes", "[flow][tcp][random]") {
  for (uint32_t seed = 100; seed < 120; ++seed) {
    CAPTURE(seed);
    std::mt19937 rng(seed);
    Harness h;
    const uint32_t isn = 0xFFFFFF00u + seed;
    h.handshake(isn, 5000);
    const std::string stream = make_stream(rng, 10000);
    std::vector<Seg> segs = cut(rng, uint32_t(stream.size()), 1000);
    std::vector<bool> sent(stream.size(), false);
    std::vector<Seg> kept;
    for (const Seg& s : segs) {
      if (rng() % 5 == 0) continue;  // lost before the sensor
      kept.push_back(s);
      for (uint32_t i = s.off; i < s.off + s.len; ++i) sent[i] = true;
    }
    // The last byte must arrive so the stream's extent is known at flush.
    if (!sent.back()) {
      kept.push_back(segs.back());
      for (uint32_t i = segs.back().off; i < stream.size(); ++i) sent[i] = true;
    }
    std::shuffle(kept.begin(), kept.end(), rng);
    for (const Seg& s : kept) h.send(h.tcp(true, isn + 1 + s.off, 5001, kPA, stream.substr(s.off, s.len)));
    h.table->flush_all(Timestamp{2000, 0});
    std::string expect = stream;
    for (size_t i = 0; i < expect.size(); ++i) {
      if (!sent[i]) expect[i] = '#';
    }
    CHECK(h.ts() == expect);
    CHECK(h.rec.offset_errors == 0);
    CHECK(h.rec.ends[0] == 1);
  }
}

TEST_CASE("random conflicting duplicates: the first bytes received win", "[flow][tcp][random]") {
  for (uint32_t seed = 200; seed < 220; ++seed) {
    CAPTURE(seed);
    std::mt19937 rng(seed);
    Harness h;
    const uint32_t isn = rng();
    h.handshake(isn, 5000);
    const std::string stream = make_stream(rng, 8000);
    struct Sent {
      Seg s;
      std::string bytes;
    };
    std::vector<Sent> sends;
    for (const Seg& s : cut(rng, uint32_t(stream.size()), 900))
      sends.push_back({s, stream.substr(s.off, s.len)});
    for (const Seg& s : cut(rng, uint32_t(stream.size()), 400)) {
      if (rng() % 3 != 0) continue;
      std::string evil = stream.substr(s.off, s.len);
      evil[rng() % evil.size()] = 'Z';  // upper case: never in make_stream's output
      sends.push_back({s, evil});
    }
    std::shuffle(sends.begin(), sends.end(), rng);
    // Expected: for every offset, the byte of the first segment that covered it.
    std::string expect(stream.size(), '\0');
    std::vector<bool> have(stream.size(), false);
    for (const Sent& x : sends) {
      for (uint32_t i = 0; i < x.s.len; ++i) {
        if (!have[x.s.off + i]) {
          have[x.s.off + i] = true;
          expect[x.s.off + i] = x.bytes[i];
        }
      }
    }
    for (const Sent& x : sends) h.send(h.tcp(true, isn + 1 + x.s.off, 5001, kPA, x.bytes));
    CHECK(h.ts() == expect);
    CHECK(h.rec.offset_errors == 0);
    if (expect != stream) CHECK(h.counter("tcp.overlap_diff_data") > 0);
  }
}

TEST_CASE("random order under a tight memcap never corrupts the stream", "[flow][tcp][random]") {
  for (uint32_t seed = 300; seed < 310; ++seed) {
    CAPTURE(seed);
    std::mt19937 rng(seed);
    FlowConfig cfg;
    cfg.reassembly_memcap = 6 * sizeof(Segment);
    Harness h(cfg);
    const uint32_t isn = rng();
    h.handshake(isn, 5000);
    const std::string stream = make_stream(rng, 30000);
    std::vector<Seg> segs = cut(rng, uint32_t(stream.size()), 1460);
    std::shuffle(segs.begin(), segs.end(), rng);
    for (const Seg& s : segs) h.send(h.tcp(true, isn + 1 + s.off, 5001, kPA, stream.substr(s.off, s.len)));
    h.send(h.tcp(true, isn + 1 + uint32_t(stream.size()), 5001, kFA));
    h.table->flush_all(Timestamp{2000, 0});
    const std::string got = h.ts();
    REQUIRE(got.size() == stream.size());
    for (size_t i = 0; i < got.size(); ++i) {
      if (got[i] != '#' && got[i] != stream[i]) FAIL("byte " << i << " corrupted");
    }
    CHECK(h.counter("tcp.segment_memcap_drop") > 0);
    CHECK(h.counter("tcp.reassembly_memuse") == 0);
    CHECK(h.rec.offset_errors == 0);
  }
}

// Per-signature alert rate limit at output: a safety net that does not depend
// on the rule writer's `threshold`/`detection_filter` or threshold.config. A
// token bucket per (gid, sid), shared by all workers, decides before an alert
// is built, so that one noisy rule cannot flood eve.json, the uplink spool or
// the collector. Alerts over the limit are not written but counted: the
// worker counts them (detect.alerts_rate_limited) and the limiter keeps how
// many of each signature it dropped, which the stats thread takes as a
// summary once per stats interval (take_summary()).
//
// Time is the packet's time (capture time when reading a file), so a capture
// gives the same result on every run with one worker. With several workers
// the buckets are shared (a per-worker share of the limit would let a rule
// through N times when its flows spread over N workers, and cut one busy flow
// to 1/N): 64 shards, each a mutex and a small map, picked by the signature.
// The lock is taken only when a rule matched, never per packet, and is held
// for a map lookup and a few integer operations; the EVE file writer behind
// it takes one lock per line for every worker anyway.
//
// Threading: allow() and take_summary() from any thread.
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "common/time.h"

namespace vigil {

struct AlertLimitOptions {
  // Alerts per second per signature; 0 = no limit.
  uint64_t rate = 0;
  // Alerts a signature may send at once after a quiet spell (the bucket's
  // size); at least 1.
  uint64_t burst = 2000;
  static constexpr uint64_t kMax = 1000000;  // for rate and burst: keeps the arithmetic in 64 bits
};

struct LimitedSignature {
  uint32_t gid = 1, sid = 0;
  uint64_t dropped = 0;  // since the previous summary
  uint64_t total = 0;    // since start
};

class AlertRateLimiter {
 public:
  // REQUIRES: opt.rate, opt.burst <= kMax; opt.burst >= 1 when opt.rate > 0.
  explicit AlertRateLimiter(AlertLimitOptions opt);

  bool enabled() const { return opt_.rate != 0; }
  // True when the alert of (gid, sid) at packet time `ts` may be written;
  // false when it is dropped (and counted for the summary).
  bool allow(uint32_t gid, uint32_t sid, Timestamp ts);
  // The signatures that dropped alerts since the previous call, by (gid, sid).
  std::vector<LimitedSignature> take_summary();

 private:
  struct Bucket {
    int64_t last_us = 0;   // packet time of the last refill
    uint64_t units = 0;    // tokens * kUnit
    uint64_t dropped = 0;  // since the last summary
    uint64_t total = 0;    // dropped since start
  };
  struct Shard {
    std::mutex mu;
    std::unordered_map<uint64_t, Bucket> buckets;
  };
  // One token in units: a second refills rate * kUnit units, a microsecond `rate`.
  static constexpr uint64_t kUnit = 1000000;

  AlertLimitOptions opt_;
  uint64_t cap_;           // burst * kUnit
  int64_t full_after_us_;  // an idle spell this long refills an empty bucket
  std::array<Shard, 64> shards_;
};

}  // namespace vigil

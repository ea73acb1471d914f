#include "agent/output/alert_limiter.h"

#include <algorithm>

namespace vigil {

AlertRateLimiter::AlertRateLimiter(AlertLimitOptions opt)
    : opt_(opt),
      cap_(opt.burst * kUnit),
      full_after_us_(opt.rate ? static_cast<int64_t>(cap_ / opt.rate + 1) : 0) {}

bool AlertRateLimiter::allow(uint32_t gid, uint32_t sid, Timestamp ts) {
  if (!enabled()) return true;
  const uint64_t key = (uint64_t{gid} << 32) | sid;
  Shard& sh = shards_[(sid ^ (sid >> 6) ^ gid) % shards_.size()];
  const int64_t now = ts.micros();
  std::lock_guard<std::mutex> g(sh.mu);
  auto [it, fresh] = sh.buckets.try_emplace(key);
  Bucket& b = it->second;
  if (fresh) {
    b.last_us = now;
    b.units = cap_;
  } else if (now > b.last_us) {
    // Workers' clocks differ by a little: time only moves forward here. The
    // elapsed time is capped where the bucket is full, so the product fits.
    const int64_t dt = std::min(now - b.last_us, full_after_us_);
    b.units = std::min(cap_, b.units + static_cast<uint64_t>(dt) * opt_.rate);
    b.last_us = now;
  }
  if (b.units >= kUnit) {
    b.units -= kUnit;
    return true;
  }
  ++b.dropped;
  ++b.total;
  return false;
}

std::vector<LimitedSignature> AlertRateLimiter::take_summary() {
  std::vector<LimitedSignature> out;
  for (Shard& sh : shards_) {
    std::lock_guard<std::mutex> g(sh.mu);
    for (auto& [key, b] : sh.buckets) {
      if (b.dropped == 0) continue;
      out.push_back({static_cast<uint32_t>(key >> 32), static_cast<uint32_t>(key), b.dropped, b.total});
      b.dropped = 0;
    }
  }
  std::sort(out.begin(), out.end(), [](const LimitedSignature& a, const LimitedSignature& b) {
    return std::pair{a.gid, a.sid} < std::pair{b.gid, b.sid};
  });
  return out;
}

}  // namespace vigil

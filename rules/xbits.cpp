#include "rules/xbits.h"

namespace vigil::rules {

XbitTable::Key XbitTable::key(const XBitOp& op, const Packet& p) {
  Key k{op.name, uint8_t(op.track), 0, 0};
  U128 s = addr_key(p.src), d = addr_key(p.dst);
  switch (op.track) {
    case XBitOp::kIpSrc:
      k.a = s;
      break;
    case XBitOp::kIpDst:
      k.a = d;
      break;
    case XBitOp::kIpPair:
      k.a = s < d ? s : d;
      k.b = s < d ? d : s;
      break;
  }
  return k;
}

bool XbitTable::live(const Key& k, int64_t now_us) const {
  auto it = map_.find(k);
  return it != map_.end() && it->second > now_us;
}

void XbitTable::prune(int64_t now_us) {
  for (auto it = map_.begin(); it != map_.end();) {
    if (it->second <= now_us)
      it = map_.erase(it);
    else
      ++it;
  }
}

bool XbitTable::check(const Rule& r, const Packet& p) {
  int64_t now = p.ts.micros();
  std::lock_guard<std::mutex> g(mu_);
  for (auto& op : r.xbits) {
    if (!op.is_condition()) continue;
    bool set = live(key(op, p), now);
    if (set != (op.cmd == BitOp::kIsset)) return false;
  }
  return true;
}

void XbitTable::apply(const Rule& r, const Packet& p) {
  int64_t now = p.ts.micros();
  std::lock_guard<std::mutex> g(mu_);
  for (auto& op : r.xbits) {
    if (op.is_condition()) continue;
    Key k = key(op, p);
    bool set = live(k, now);
    bool want = op.cmd == BitOp::kSet || (op.cmd == BitOp::kToggle && !set);
    if (!want) {
      map_.erase(k);
      continue;
    }
    if (map_.size() >= kMaxEntries && !map_.count(k)) {
      prune(now);
      if (map_.size() >= kMaxEntries) continue;  // full of live bits: this one is dropped
    }
    map_[k] = now + int64_t(op.expire_s) * 1000000;
  }
}

}  // namespace vigil::rules

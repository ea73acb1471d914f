// xbits state: named bits per host (ip_src / ip_dst) or host pair (ip_pair,
// order-independent as Suricata's ippair), each with an expiry in packet time.
// Shared by all workers of one engine so results do not depend on the worker
// count. The mutex is taken only when a rule with xbits is evaluated (ET Open:
// 32 rules); the table is bounded, expired entries are dropped when it fills.
#pragma once

#include <cstdint>
#include <mutex>
#include <unordered_map>

#include "common/hash.h"
#include "common/packet.h"
#include "rules/addr.h"
#include "rules/rule.h"

namespace vigil::rules {

class XbitTable {
 public:
  static constexpr size_t kMaxEntries = 65536;
  // True when every condition of the rule's xbits holds for packet p.
  bool check(const Rule& r, const Packet& p);
  // Applies the rule's set/unset/toggle for packet p.
  void apply(const Rule& r, const Packet& p);

 private:
  using Key = IdPairKey;  // bit name, track, the address(es)
  using KeyHash = IdPairKeyHash;
  static Key key(const XBitOp& op, const Packet& p);
  bool live(const Key& k, int64_t now_us) const;
  void prune(int64_t now_us);

  std::mutex mu_;
  std::unordered_map<Key, int64_t, KeyHash> map_;  // -> expiry (microseconds)
};

}  // namespace vigil::rules

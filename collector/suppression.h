// Suppressions as the collector applies them: a CIDR type (IPv4 and IPv6),
// an immutable SuppressionSet built from the store's active suppressions
// (the matcher ingest asks about every alert, the threshold.config lines the
// agents get with the rule set, and the version suffix that tells agents the
// set changed), and SuppressionCache, which keeps the current set.
//
// SuppressionSet is immutable and shared between handler threads.
// SuppressionCache is thread-safe: current() rebuilds the set from the store
// when invalidate() was called (a POST or DELETE) or when one of its
// suppressions has expired, so an expiry takes effect at the next ingest or
// heartbeat (agents heartbeat every few seconds) without a timer thread.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "collector/store/store.h"

namespace vigil::collector {

struct Cidr {
  bool v6 = false;
  std::array<uint8_t, 16> net{};  // the network address (host bits zero); v4 in the first 4 bytes
  int prefix = 0;                 // 0..32 or 0..128
  // "192.0.2.0/24", "192.0.2.7" (/32), "2001:db8::/32", "::1" (/128);
  // host bits set below the prefix are cleared. nullopt when malformed.
  static std::optional<Cidr> parse(std::string_view text);
  // The canonical text: network address and prefix ("10.0.0.0/8").
  std::string str() const;
  // Whether the address (as EVE writes it) is inside; false for another
  // family or a malformed address.
  bool contains(std::string_view ip) const;
};

// The body of POST /api/v1/suppressions ({sid, gid?, track?, cidr?, reason,
// expires_at: unix seconds after `now` or "never"}), checked into *s (cidr
// canonical); false + *why naming the field on a refusal.
bool parse_suppression(const nlohmann::json& body, int64_t now, Suppression* s, std::string* why);

class SuppressionSet {
 public:
  SuppressionSet() = default;
  // From the suppressions active at `now` (others are left out; a cidr that
  // does not parse makes the entry match nothing: POST validates it).
  SuppressionSet(const std::vector<Suppression>& rows, int64_t now);

  // The id of a suppression matching an alert of (gid, sid) between these
  // addresses; 0 when none does.
  int64_t match(uint32_t gid, uint32_t sid, std::string_view src_ip, std::string_view dest_ip) const;
  bool empty() const { return entries_.empty(); }
  // Suricata threshold.config lines, one per suppression, by id:
  // "suppress gen_id 1, sig_id 2001, track by_src, ip 10.0.0.0/8".
  const std::string& threshold() const { return threshold_; }
  // Appended to the rule set's version in heartbeat replies and GET
  // /api/v1/ruleset: "" when empty, else "+" and 12 hex of the SHA-256 of
  // threshold(), so the version changes whenever the active set does.
  const std::string& version_suffix() const { return suffix_; }
  // The earliest expiry among the active suppressions (0: none expires):
  // from then on the set is stale.
  int64_t next_expiry() const { return next_expiry_; }

 private:
  struct Entry {
    int64_t id;
    uint32_t gid, sid;
    int track;  // 0 none, 1 by_src, 2 by_dst
    std::optional<Cidr> cidr;
  };
  std::vector<Entry> entries_;
  std::string threshold_, suffix_;
  int64_t next_expiry_ = 0;
};

class SuppressionCache {
 public:
  // Collectors sharing a PostgreSQL store see each other's changes within
  // this many seconds: the set is read again at least this often.
  static constexpr int64_t kRefreshS = 5;
  explicit SuppressionCache(Store& store) : store_(store) {}
  // The set in force at `now` (unix seconds).
  std::shared_ptr<const SuppressionSet> current(int64_t now);
  // The next current() reads the store again (after a POST or DELETE).
  void invalidate();

 private:
  Store& store_;
  std::mutex mu_;
  std::shared_ptr<const SuppressionSet> set_;
  bool stale_ = true;
  int64_t loaded_at_ = 0;  // unix seconds
};

}  // namespace vigil::collector

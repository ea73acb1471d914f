#include "collector/suppression.h"

#include <arpa/inet.h>

#include <charconv>

#include "common/digest.h"

namespace vigil::collector {
namespace {

// An address in either family; false when malformed.
bool parse_addr(std::string_view text, bool* v6, std::array<uint8_t, 16>* out) {
  if (text.empty() || text.size() > 45) return false;
  std::string s(text);
  out->fill(0);
  if (s.find(':') != std::string::npos) {
    *v6 = true;
    return inet_pton(AF_INET6, s.c_str(), out->data()) == 1;
  }
  *v6 = false;
  return inet_pton(AF_INET, s.c_str(), out->data()) == 1;
}

}  // namespace

std::optional<Cidr> Cidr::parse(std::string_view text) {
  Cidr c;
  size_t slash = text.find('/');
  if (!parse_addr(text.substr(0, slash), &c.v6, &c.net)) return std::nullopt;
  const int max = c.v6 ? 128 : 32;
  c.prefix = max;
  if (slash != std::string_view::npos) {
    std::string_view p = text.substr(slash + 1);
    if (p.empty() || p.size() > 3 || p.find_first_not_of("0123456789") != std::string_view::npos)
      return std::nullopt;
    std::from_chars(p.data(), p.data() + p.size(), c.prefix);
    if (c.prefix > max) return std::nullopt;
  }
  for (int bit = c.prefix; bit < max; ++bit) c.net[bit / 8] &= static_cast<uint8_t>(~(0x80u >> (bit % 8)));
  return c;
}

std::string Cidr::str() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(v6 ? AF_INET6 : AF_INET, net.data(), buf, sizeof buf);
  return std::string(buf) + "/" + std::to_string(prefix);
}

bool Cidr::contains(std::string_view ip) const {
  bool is6;
  std::array<uint8_t, 16> a;
  if (!parse_addr(ip, &is6, &a) || is6 != v6) return false;
  int full = prefix / 8, rest = prefix % 8;
  for (int i = 0; i < full; ++i)
    if (a[i] != net[i]) return false;
  if (rest == 0) return true;
  uint8_t mask = static_cast<uint8_t>(0xff00u >> rest);
  return (a[full] & mask) == net[full];
}

SuppressionSet::SuppressionSet(const std::vector<Suppression>& rows, int64_t now) {
  for (const auto& s : rows) {
    if (!s.active(now)) continue;
    Entry e{s.id, s.gid, s.sid, s.track == "by_src" ? 1 : s.track == "by_dst" ? 2 : 0, std::nullopt};
    threshold_ += "suppress gen_id " + std::to_string(s.gid) + ", sig_id " + std::to_string(s.sid);
    if (e.track != 0) {
      e.cidr = Cidr::parse(s.cidr);
      threshold_ += std::string(", track ") + (e.track == 1 ? "by_src" : "by_dst") + ", ip " +
                    (e.cidr ? e.cidr->str() : s.cidr);
    }
    threshold_ += "\n";
    if (s.expires_at != 0 && (next_expiry_ == 0 || s.expires_at < next_expiry_)) next_expiry_ = s.expires_at;
    entries_.push_back(std::move(e));
  }
  if (!entries_.empty()) suffix_ = "+" + sha256_hex(threshold_).substr(0, 12);
}

int64_t SuppressionSet::match(uint32_t gid, uint32_t sid, std::string_view src_ip,
                              std::string_view dest_ip) const {
  for (const auto& e : entries_) {
    if (e.gid != gid || e.sid != sid) continue;
    if (e.track == 0) return e.id;
    if (e.cidr && e.cidr->contains(e.track == 1 ? src_ip : dest_ip)) return e.id;
  }
  return 0;
}

std::shared_ptr<const SuppressionSet> SuppressionCache::current(int64_t now) {
  std::lock_guard lk(mu_);
  if (!set_ || stale_ || (set_->next_expiry() != 0 && set_->next_expiry() <= now) ||
      now - loaded_at_ >= kRefreshS || now < loaded_at_) {
    set_ = std::make_shared<const SuppressionSet>(store_.list_suppressions(false, now), now);
    stale_ = false;
    loaded_at_ = now;
  }
  return set_;
}

void SuppressionCache::invalidate() {
  std::lock_guard lk(mu_);
  stale_ = true;
}

}  // namespace vigil::collector

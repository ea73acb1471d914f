#include "agent/decode/defrag.h"

#include <algorithm>
#include <cstring>

namespace vigil::decode {
namespace {

constexpr uint32_t kMaxIpLen = 65535;
constexpr uint64_t kFragOverhead = sizeof(std::vector<uint8_t>) + 16;  // per held fragment

void wr16(uint8_t* b, uint16_t v) {
  b[0] = static_cast<uint8_t>(v >> 8);
  b[1] = static_cast<uint8_t>(v);
}

}  // namespace

size_t Defrag::KeyHash::operator()(const Key& k) const {
  uint64_t h = 1469598103934665603ull;
  auto mix = [&h](const uint8_t* b, size_t n) {
    for (size_t i = 0; i < n; ++i) h = (h ^ b[i]) * 1099511628211ull;
  };
  mix(k.src.b.data(), k.src.len());
  mix(k.dst.b.data(), k.dst.len());
  uint8_t rest[9] = {static_cast<uint8_t>(k.id),
                     static_cast<uint8_t>(k.id >> 8),
                     static_cast<uint8_t>(k.id >> 16),
                     static_cast<uint8_t>(k.id >> 24),
                     k.proto,
                     static_cast<uint8_t>(k.vlan[0]),
                     static_cast<uint8_t>(k.vlan[0] >> 8),
                     static_cast<uint8_t>(k.vlan[1]),
                     static_cast<uint8_t>(k.vlan[1] >> 8)};
  mix(rest, sizeof rest);
  return static_cast<size_t>(h);
}

Defrag::Defrag(const DecodeConfig& cfg, DecodeCounters& c) : cfg_(cfg), c_(c) {
  out_.reserve(kMaxIpLen);
}

bool Defrag::timed_out(const Tracker& t, Timestamp now) const {
  return now.sec - t.first_seen.sec > static_cast<int64_t>(cfg_.defrag_timeout_s) ||
         (now.sec - t.first_seen.sec == static_cast<int64_t>(cfg_.defrag_timeout_s) &&
          now.usec > t.first_seen.usec);
}

void Defrag::drop(std::unordered_map<Key, Tracker, KeyHash>::iterator it) {
  mem_ -= it->second.mem;
  trackers_.erase(it);
}

void Defrag::expire(Timestamp now) {
  for (auto it = trackers_.begin(); it != trackers_.end();) {
    auto cur = it++;
    if (timed_out(cur->second, now)) {
      ++c_.defrag_timeouts;
      drop(cur);
    }
  }
}

Defrag::Result Defrag::add(const FragInfo& f, const Packet& p, Bytes& out) {
  f.v6 ? ++c_.defrag_v6_frags : ++c_.defrag_v4_frags;
  const uint32_t len = static_cast<uint32_t>(f.data.size());
  const uint32_t end = f.offset + len;
  // The rebuilt datagram must fit an IP length field: IPv4 total length, or
  // IPv6 payload length (which counts extension headers before the fragment).
  const uint32_t room = f.v6 ? kMaxIpLen - static_cast<uint32_t>(f.unfrag.size() - 40)
                             : kMaxIpLen - static_cast<uint32_t>(f.unfrag.size());
  if (end > room) {
    ++(f.v6 ? c_.ev_ipv6_frag_too_large : c_.ev_ipv4_frag_too_large);
    return Result::kInvalid;
  }
  if (f.more && len % 8 != 0) {
    ++(f.v6 ? c_.ev_ipv6_frag_len : c_.ev_ipv4_frag_len);
    return Result::kInvalid;
  }

  Key k{p.src, p.dst, f.id, f.v6 ? uint8_t(0) : f.proto, {p.vlan_id[0], p.vlan_id[1]}};
  auto it = trackers_.find(k);
  if (it != trackers_.end() && timed_out(it->second, p.ts)) {
    ++c_.defrag_timeouts;
    drop(it);
    it = trackers_.end();
  }
  const uint64_t need = len + kFragOverhead + (it == trackers_.end() || f.offset == 0 ? f.unfrag.size() : 0);
  if (mem_ + need > cfg_.defrag_memcap) {
    ++c_.defrag_memcap;
    return Result::kDropped;
  }
  if (it == trackers_.end()) {
    if (trackers_.size() >= cfg_.defrag_max_trackers) {
      ++c_.defrag_max_trackers;
      return Result::kDropped;
    }
    it = trackers_.emplace(k, Tracker{}).first;
    it->second.first_seen = p.ts;
    it->second.v6 = f.v6;
  }
  Tracker& t = it->second;

  // A last fragment fixes the datagram's end; data past it, or a second
  // last fragment that disagrees, makes the datagram ambiguous.
  bool end_bad = false;
  if (!f.more) {
    end_bad =
        (t.have_last && end != t.end) ||
        std::any_of(t.frags.begin(), t.frags.end(), [&](const Frag& g) { return g.offset + g.len > end; });
  } else {
    end_bad = t.have_last && end > t.end;
  }
  if (end_bad) {
    ++(f.v6 ? c_.ev_ipv6_frag_end : c_.ev_ipv4_frag_end);
    if (t.frags.empty()) drop(it);
    return Result::kInvalid;
  }
  if (std::any_of(t.frags.begin(), t.frags.end(),
                  [&](const Frag& g) { return f.offset < g.offset + g.len && g.offset < end; })) {
    ++c_.defrag_overlap;
  }

  uint64_t before = t.mem;
  if (f.offset == 0 || t.unfrag.empty()) {
    t.mem -= t.unfrag.size();
    t.unfrag.assign(f.unfrag.begin(), f.unfrag.end());
    t.mem += t.unfrag.size();
    t.nh_offset = f.nh_offset;
    t.proto = f.proto;
    t.have_first = t.have_first || f.offset == 0;
  }
  if (!f.more) {
    t.have_last = true;
    t.end = end;
  }
  Frag g;
  g.offset = f.offset;
  g.len = len;
  g.seq = t.next_seq++;
  g.data.assign(f.data.begin(), f.data.end());
  t.frags.push_back(std::move(g));
  t.mem += len + kFragOverhead;
  mem_ += t.mem - before;

  if (!complete(t)) return Result::kHeld;
  out = rebuild(t);
  f.v6 ? ++c_.defrag_v6_done : ++c_.defrag_v4_done;
  drop(it);
  return Result::kComplete;
}

bool Defrag::complete(Tracker& t) {
  if (!t.have_first || !t.have_last) return false;
  // Kept sorted by (offset, arrival): rebuild() relies on this order too.
  std::sort(t.frags.begin(), t.frags.end(), [](const Frag& a, const Frag& b) {
    return a.offset != b.offset ? a.offset < b.offset : a.seq < b.seq;
  });
  uint32_t covered = 0;
  for (const Frag& g : t.frags) {
    if (g.offset > covered) return false;
    covered = std::max(covered, g.offset + g.len);
  }
  return covered >= t.end;
}

Bytes Defrag::rebuild(Tracker& t) {
  const size_t hl = t.unfrag.size();
  out_.assign(hl + t.end, 0);
  std::memcpy(out_.data(), t.unfrag.data(), hl);
  // frags are sorted by (offset, arrival) by complete(); writing them in
  // reverse puts the winners (lowest offset, then earliest arrival) last.
  for (auto g = t.frags.rbegin(); g != t.frags.rend(); ++g) {
    if (g->len) std::memcpy(out_.data() + hl + g->offset, g->data.data(), g->len);
  }
  uint8_t* h = out_.data();
  if (t.v6) {
    h[t.nh_offset] = t.proto;
    wr16(h + 4, static_cast<uint16_t>(out_.size() - 40));
  } else {
    wr16(h + 2, static_cast<uint16_t>(out_.size()));
    wr16(h + 6, rd16(h + 6) & 0x4000);  // keep DF, clear MF and offset
    wr16(h + 10, 0);
    wr16(h + 10, static_cast<uint16_t>(~csum_add({h, hl}, 0)));
  }
  return {out_.data(), out_.size()};
}

}  // namespace vigil::decode

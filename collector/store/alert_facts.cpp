#include "collector/store/alert_facts.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <limits>
#include <mutex>
#include <thread>

namespace vigil::collector {

namespace {

constexpr int kChunkBits = 12;  // ids per chunk: 4096
constexpr int64_t kChunkIds = int64_t{1} << kChunkBits;

enum : uint8_t {
  kPresent = 1,
  kSevNull = 2,
  kSevWide = 4,  // a severity outside int: matches no filter value
  kSportNull = 8,
  kSportWide = 16,  // a port outside 0..65535
  kDportNull = 32,
  kDportWide = 64,
};

struct Fact {
  int64_t ts = 0;
  uint32_t sid = 0, src = 0, dest = 0, agent = 0, category = 0;  // dictionary codes, 0 = NULL
  int32_t severity = 0;                                          // as the series counts it (COALESCE 0)
  uint16_t proto = 0, app_proto = 0, src_port = 0, dest_port = 0;
  uint8_t flags = 0;
};

struct Chunk {
  Fact rows[kChunkIds];
  int live = 0;
  // Bounds of the event times ever added (not narrowed by deletes).
  int64_t min_ts = std::numeric_limits<int64_t>::max(), max_ts = std::numeric_limits<int64_t>::min();
};

struct SvHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// Text values as codes from 1 (0 is NULL).
struct Dict {
  std::unordered_map<std::string, uint32_t, SvHash, std::equal_to<>> codes;
  std::vector<std::string> text{std::string()};
  uint32_t code(std::string_view v) {
    auto it = codes.find(v);
    if (it != codes.end()) return it->second;
    const auto c = static_cast<uint32_t>(text.size());
    text.emplace_back(v);
    codes.emplace(text.back(), c);
    return c;
  }
  // 0 when absent.
  uint32_t find(std::string_view v) const {
    auto it = codes.find(v);
    return it == codes.end() ? 0 : it->second;
  }
  int64_t bytes() const {
    int64_t n = static_cast<int64_t>(text.capacity() * sizeof(std::string));
    for (const auto& t : text) n += 2 * static_cast<int64_t>(t.capacity() + 1) + 48;
    return n;
  }
};

bool get_bit(const std::vector<uint64_t>& bits, uint64_t i) {
  return (bits[i / 64] >> (i % 64)) & 1;
}

int64_t floor_div(int64_t a, int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

// Which codes of an address dictionary fall in `net`.
std::vector<uint8_t> net_codes(const std::vector<std::optional<Ip16>>& parsed, const IpNet& net) {
  std::vector<uint8_t> ok(parsed.size(), 0);
  for (size_t c = 1; c < parsed.size(); ++c)
    ok[c] = parsed[c] && std::memcmp(parsed[c]->data(), net.lo.data(), 16) >= 0 &&
            std::memcmp(parsed[c]->data(), net.hi.data(), 16) <= 0;
  return ok;
}

// A filter's conditions as codes (Impl::match), tested on a row without
// its text values. `none`: a value no alert has, so nothing matches.
struct Match {
  const AlertFilter* f = nullptr;
  int64_t from = std::numeric_limits<int64_t>::min(), to = std::numeric_limits<int64_t>::max();
  uint32_t agent = 0, category = 0, proto = 0, app = 0;
  std::vector<uint8_t> sid_ok, src_ok, dest_ok;
  bool none = false;

  // (A code added after these were made, by a change between the two passes
  // of a free-text count, is one no alert of the first pass had: no match.)
  static bool in(const std::vector<uint8_t>& ok, uint32_t c) { return c < ok.size() && ok[c]; }

  bool pass(const Fact& x) const {
    if (!(x.flags & kPresent) || x.ts < from || x.ts >= to) return false;
    const std::vector<int>& sevs = f->severities;
    if (!sevs.empty()) {
      if (x.flags & (kSevNull | kSevWide)) return false;
      if (std::find(sevs.begin(), sevs.end(), x.severity) == sevs.end()) return false;
    }
    if (!sid_ok.empty() && !in(sid_ok, x.sid)) return false;
    if (agent && x.agent != agent) return false;
    if (category && x.category != category) return false;
    if (proto && x.proto != proto) return false;
    if (app && x.app_proto != app) return false;
    if (f->src_ip && !in(src_ok, x.src)) return false;
    if (f->dest_ip && !in(dest_ok, x.dest)) return false;
    const bool sport = !(x.flags & (kSportNull | kSportWide)), dport = !(x.flags & (kDportNull | kDportWide));
    if (f->src_port && !(sport && x.src_port == *f->src_port)) return false;
    if (f->dest_port && !(dport && x.dest_port == *f->dest_port)) return false;
    if (f->port && !((sport && x.src_port == *f->port) || (dport && x.dest_port == *f->port))) return false;
    return true;
  }
};

}  // namespace

struct AlertFacts::Impl {
  std::map<int64_t, std::unique_ptr<Chunk>> chunks;  // id >> kChunkBits -> chunk
  Dict agents, categories, protos, apps, srcs, dests;
  std::vector<std::optional<Ip16>> src16{std::nullopt}, dest16{std::nullopt};  // by code
  std::unordered_map<int64_t, uint32_t> sid_codes;
  std::vector<int64_t> sids{0};
  int64_t live = 0;
  bool loading = false, loaded = false, overflow = false;
  // Deleted while loading: the loader must not bring these back.
  std::unordered_set<int64_t> dead_ids;
  std::vector<std::pair<int64_t, int64_t>> dead_ranges;

  uint32_t sid_code(int64_t v) {
    auto it = sid_codes.find(v);
    if (it != sid_codes.end()) return it->second;
    const auto c = static_cast<uint32_t>(sids.size());
    sids.push_back(v);
    sid_codes.emplace(v, c);
    return c;
  }
  uint32_t text_code(Dict& d, const std::optional<std::string>& v) { return v ? d.code(*v) : 0; }
  uint32_t addr_code(Dict& d, std::vector<std::optional<Ip16>>& parsed, const std::optional<std::string>& v) {
    if (!v) return 0;
    const size_t before = d.text.size();
    uint32_t c = d.code(*v);
    if (d.text.size() != before) parsed.push_back(ip16(*v));
    return c;
  }
  uint16_t small_code(Dict& d, const std::optional<std::string>& v) {
    uint32_t c = text_code(d, v);
    if (c > 0xffff) overflow = true;
    return static_cast<uint16_t>(c);
  }

  Fact encode(const AlertFactInput& in) {
    const EveFields& f = *in.fields;
    Fact x;
    x.ts = f.ts_us.value_or(0);
    x.flags = kPresent;
    if (f.severity) {
      x.severity = static_cast<int>(*f.severity);
      if (x.severity != *f.severity) x.flags |= kSevWide;
    } else {
      x.flags |= kSevNull;
    }
    x.sid = f.sid ? sid_code(*f.sid) : 0;
    x.src = addr_code(srcs, src16, f.src_ip);
    x.dest = addr_code(dests, dest16, f.dest_ip);
    x.agent = agents.code(*in.agent_id);
    x.category = text_code(categories, f.category);
    x.proto = small_code(protos, f.proto);
    x.app_proto = small_code(apps, f.app_proto);
    auto port = [&](const std::optional<int64_t>& p, uint16_t* out, uint8_t null_flag, uint8_t wide_flag) {
      if (!p)
        x.flags |= null_flag;
      else if (*p < 0 || *p > 0xffff)
        x.flags |= wide_flag;
      else
        *out = static_cast<uint16_t>(*p);
    };
    port(f.src_port, &x.src_port, kSportNull, kSportWide);
    port(f.dest_port, &x.dest_port, kDportNull, kDportWide);
    return x;
  }

  // The filter as codes (the signature, status, assignee and free text
  // conditions are not held here: the caller checks them).
  Match match(const AlertFilter& f) const {
    Match mt;
    mt.f = &f;
    mt.from = f.from_us.value_or(std::numeric_limits<int64_t>::min());
    mt.to = f.to_us.value_or(std::numeric_limits<int64_t>::max());
    auto code_of = [&](const Dict& d, const std::optional<std::string>& v) -> uint32_t {
      if (!v) return 0;
      uint32_t c = d.find(*v);
      if (c == 0) mt.none = true;
      return c;
    };
    mt.agent = code_of(agents, f.agent_id);
    mt.category = code_of(categories, f.category);
    mt.proto = code_of(protos, f.proto);
    mt.app = code_of(apps, f.app_proto);
    if (!f.sids.empty()) {
      mt.sid_ok.assign(sids.size(), 0);
      bool any = false;
      for (int64_t s : f.sids)
        if (auto it = sid_codes.find(s); it != sid_codes.end()) mt.sid_ok[it->second] = 1, any = true;
      if (!any) mt.none = true;
    }
    if (f.src_ip) mt.src_ok = net_codes(src16, *f.src_ip);
    if (f.dest_ip) mt.dest_ok = net_codes(dest16, *f.dest_ip);
    return mt;
  }

  const Fact* find(int64_t id) const {
    auto it = chunks.find(id >> kChunkBits);
    return it == chunks.end() ? nullptr : &it->second->rows[id & (kChunkIds - 1)];
  }

  void set(int64_t id, const Fact& x) {
    auto [it, fresh] = chunks.try_emplace(id >> kChunkBits);
    if (fresh) it->second = std::make_unique<Chunk>();
    Chunk& ch = *it->second;
    Fact& f = ch.rows[id & (kChunkIds - 1)];
    if (!(f.flags & kPresent)) {
      ++ch.live;
      ++live;
    }
    f = x;
    ch.min_ts = std::min(ch.min_ts, x.ts);
    ch.max_ts = std::max(ch.max_ts, x.ts);
  }

  void erase(int64_t id) {
    auto it = chunks.find(id >> kChunkBits);
    if (it == chunks.end()) return;
    Chunk& ch = *it->second;
    Fact& f = ch.rows[id & (kChunkIds - 1)];
    if (!(f.flags & kPresent)) return;
    f.flags = 0;
    --live;
    if (--ch.live == 0) chunks.erase(it);
  }

  bool dead(int64_t id) const {
    if (dead_ids.count(id)) return true;
    for (const auto& [lo, hi] : dead_ranges)
      if (id >= lo && id < hi) return true;
    return false;
  }

  void add_rows(const std::vector<AlertFactInput>& rows) {
    for (const auto& r : rows) set(r.id, encode(r));
  }

  void erase_ids(const std::vector<int64_t>& ids) {
    for (int64_t id : ids) {
      erase(id);
      if (loading) dead_ids.insert(id);
    }
  }

  void erase_range(int64_t lo, int64_t hi) {
    if (loading) dead_ranges.emplace_back(lo, hi);
    // Whole chunks inside the range go at once; the edges id by id.
    auto it = chunks.lower_bound(lo >> kChunkBits);
    while (it != chunks.end() && (it->first << kChunkBits) < hi) {
      const int64_t first = it->first << kChunkBits, last = first + kChunkIds;
      if (first >= lo && last <= hi) {
        live -= it->second->live;
        it = chunks.erase(it);
        continue;
      }
      const int64_t a = std::max(first, lo), b = std::min(last, hi);
      ++it;  // erase() may drop the chunk
      for (int64_t id = a; id < b; ++id) erase(id);
    }
  }

  // Changes made while a count held the lock, in order (see AlertFacts::add).
  struct OwnedRow {
    int64_t id;
    std::string agent_id;
    EveFields fields;
  };
  struct Op {
    std::vector<OwnedRow> rows;  // added, or
    std::vector<int64_t> ids;    // erased, or
    int64_t lo = 0, hi = 0;      // [lo, hi) erased
  };
  std::mutex pending_mu;
  std::vector<Op> pending;
  std::atomic<bool> has_pending{false};

  void queue(Op op) {
    std::lock_guard lk(pending_mu);
    pending.push_back(std::move(op));
    has_pending = true;
  }

  // Under the exclusive lock.
  void drain() {
    if (!has_pending.load()) return;
    std::vector<Op> ops;
    {
      std::lock_guard lk(pending_mu);
      ops.swap(pending);
      has_pending = false;
    }
    std::vector<AlertFactInput> in;
    for (const Op& op : ops) {
      if (!op.rows.empty()) {
        in.clear();
        for (const OwnedRow& r : op.rows) in.push_back({r.id, &r.agent_id, &r.fields});
        add_rows(in);
      } else if (!op.ids.empty()) {
        erase_ids(op.ids);
      } else if (op.lo < op.hi) {
        erase_range(op.lo, op.hi);
      }
    }
  }
};

AlertFacts::AlertFacts(size_t parallel_chunks)
    : impl_(std::make_unique<Impl>()), parallel_chunks_(std::max<size_t>(parallel_chunks, 2)) {}
AlertFacts::~AlertFacts() = default;

// The writer never waits for a count: when one holds the lock (shared), a
// change is queued (make_op), and the next holder of the exclusive lock (the
// next change, the loader, or a count before it reads) applies the queue
// first, then its own change (apply).
template <class Apply, class MakeOp>
void AlertFacts::change(const Apply& apply, const MakeOp& make_op) {
  std::unique_lock lk(mu_, std::try_to_lock);
  if (lk.owns_lock()) {
    impl_->drain();
    apply(*impl_);
    return;
  }
  Impl::Op op;
  make_op(&op);
  impl_->queue(std::move(op));
}

void AlertFacts::add(const std::vector<AlertFactInput>& rows) {
  if (rows.empty()) return;
  change([&](Impl& m) { m.add_rows(rows); },
         [&](Impl::Op* op) {
           op->rows.reserve(rows.size());
           for (const auto& r : rows) op->rows.push_back({r.id, *r.agent_id, *r.fields});
         });
}

void AlertFacts::erase_ids(const std::vector<int64_t>& ids) {
  if (ids.empty()) return;
  change([&](Impl& m) { m.erase_ids(ids); }, [&](Impl::Op* op) { op->ids = ids; });
}

void AlertFacts::erase_range(int64_t lo, int64_t hi) {
  if (lo >= hi) return;
  change([&](Impl& m) { m.erase_range(lo, hi); },
         [&](Impl::Op* op) {
           op->lo = lo;
           op->hi = hi;
         });
}

void AlertFacts::begin_load() {
  std::unique_lock lk(mu_);
  impl_->drain();
  impl_->loading = true;
}

void AlertFacts::load(const std::vector<AlertFactInput>& rows) {
  std::unique_lock lk(mu_);
  Impl& m = *impl_;
  m.drain();
  for (const auto& r : rows) {
    const Fact* f = m.find(r.id);
    if ((f && (f->flags & kPresent)) || m.dead(r.id)) continue;
    m.set(r.id, m.encode(r));
  }
}

void AlertFacts::end_load(bool ok) {
  std::unique_lock lk(mu_);
  impl_->drain();
  impl_->loading = false;
  impl_->loaded = ok;
  impl_->dead_ids.clear();
  impl_->dead_ranges.clear();
}

bool AlertFacts::ready() const {
  std::shared_lock lk(mu_);
  return impl_->loaded && !impl_->overflow;
}

bool AlertFacts::can_answer(const AlertFilter& f) {
  return !f.signature && f.statuses.empty() && !f.assignee && f.from_us && f.to_us;
}

bool AlertFacts::can_list(const AlertFilter& f) {
  return !f.signature && f.statuses.empty() && !f.assignee && !f.q;
}

int64_t AlertFacts::size() const {
  std::shared_lock lk(mu_);
  return impl_->live;
}

int64_t AlertFacts::bytes() const {
  std::shared_lock lk(mu_);
  const Impl& m = *impl_;
  int64_t n = static_cast<int64_t>(m.chunks.size() * (sizeof(Chunk) + 64));
  for (const Dict* d : {&m.agents, &m.categories, &m.protos, &m.apps, &m.srcs, &m.dests}) n += d->bytes();
  n += static_cast<int64_t>((m.src16.capacity() + m.dest16.capacity()) * sizeof(std::optional<Ip16>));
  n += static_cast<int64_t>(m.sids.capacity() * 8 + m.sid_codes.size() * 32);
  return n;
}

namespace {

// The `n` codes with the highest counts, as TopEntry with key(code): count
// descending, then key ascending (the rollups' top_n order).
template <class Key>
std::vector<TopEntry> top_codes(const std::vector<int64_t>& counts, int n, const Key& key) {
  std::vector<TopEntry> v;
  for (size_t c = 1; c < counts.size(); ++c)
    if (counts[c] > 0) v.push_back({key(c), {}, counts[c]});
  auto better = [](const TopEntry& a, const TopEntry& b) {
    return a.count != b.count ? a.count > b.count : a.key < b.key;
  };
  const size_t k = std::min<size_t>(v.size(), static_cast<size_t>(std::max(0, n)));
  std::partial_sort(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end(), better);
  v.resize(k);
  return v;
}

}  // namespace

bool AlertFacts::count(const AlertFilter& f, int64_t interval_s, int top, const MatchBits& fts,
                       FactCounts* out, std::string* err) const {
  *out = {};
  if (impl_->has_pending.load()) {
    std::unique_lock lk(mu_);
    impl_->drain();
  }
  std::shared_lock lk(mu_);
  const Impl& m = *impl_;
  const int64_t from = f.from_us.value_or(std::numeric_limits<int64_t>::min());
  const int64_t to = f.to_us.value_or(std::numeric_limits<int64_t>::max());
  if (from >= to || interval_s <= 0) return true;

  const Match mt = m.match(f);
  if (mt.none) return true;
  auto pass = [&mt](const Fact& x) { return mt.pass(x); };

  // Buckets by index from the first; a slot per severity seen.
  const int64_t interval_us = interval_s * 1'000'000;
  const int64_t b0 = floor_div(from, interval_us);
  const int64_t nb = floor_div(to - 1, interval_us) - b0 + 1;
  const bool dense = nb <= (int64_t{1} << 20);  // else a map of the buckets met

  // Free text: the index's matches over the ids of the chunks that may hold
  // alerts of the range, read without the lock (changes queue meanwhile;
  // an alert added since is past `hi`, so not counted), then one pass.
  int64_t lo = 0, hi = -1;
  std::vector<uint64_t> bits;
  if (f.q) {
    lo = INT64_MAX;
    hi = INT64_MIN;
    for (const auto& [c, ch] : m.chunks) {
      if (ch->max_ts < from || ch->min_ts >= to) continue;
      lo = std::min(lo, c << kChunkBits);
      hi = std::max(hi, (c << kChunkBits) + kChunkIds - 1);
    }
    if (lo > hi) return true;
    lk.unlock();
    bits.assign(static_cast<size_t>((hi - lo) / 64 + 1), 0);
    if (!fts(lo, hi, &bits, err)) return false;
    lk.lock();
  }
  std::vector<std::pair<int64_t, const Chunk*>> work;  // the chunks to read
  for (const auto& [c, ch] : m.chunks) {
    if (ch->max_ts < from || ch->min_ts >= to) continue;
    if (f.q && ((c << kChunkBits) < lo || (c << kChunkBits) > hi)) continue;
    work.emplace_back(c, ch.get());
  }

  struct Tally {
    std::vector<int> sev_of_slot;
    std::vector<std::vector<int64_t>> by_slot;
    std::map<int64_t, std::map<int, int64_t>> sparse;
    std::vector<int64_t> n_sid, n_src, n_dest, n_agent;
  };
  auto scan = [&](size_t w0, size_t w1, Tally* t) {
    t->n_sid.assign(m.sids.size(), 0);
    t->n_src.assign(m.srcs.text.size(), 0);
    t->n_dest.assign(m.dests.text.size(), 0);
    t->n_agent.assign(m.agents.text.size(), 0);
    int last_sev = 0;
    size_t last_slot = SIZE_MAX;
    for (size_t w = w0; w < w1; ++w) {
      const int64_t first = work[w].first << kChunkBits;
      const Chunk& ch = *work[w].second;
      for (int64_t i = 0; i < kChunkIds; ++i) {
        const Fact& x = ch.rows[i];
        if (!pass(x)) continue;
        if (f.q && !get_bit(bits, static_cast<uint64_t>(first + i - lo))) continue;
        const int sev = x.severity;
        const int64_t bk = floor_div(x.ts, interval_us);
        if (dense) {
          if (last_slot == SIZE_MAX || sev != last_sev) {
            auto it = std::find(t->sev_of_slot.begin(), t->sev_of_slot.end(), sev);
            last_slot = static_cast<size_t>(it - t->sev_of_slot.begin());
            if (it == t->sev_of_slot.end()) {
              t->sev_of_slot.push_back(sev);
              t->by_slot.emplace_back(static_cast<size_t>(nb), 0);
            }
            last_sev = sev;
          }
          ++t->by_slot[last_slot][static_cast<size_t>(bk - b0)];
        } else {
          ++t->sparse[bk * interval_s][sev];
        }
        ++t->n_sid[x.sid];
        ++t->n_src[x.src];
        ++t->n_dest[x.dest];
        ++t->n_agent[x.agent];
      }
    }
  };
  // Many chunks: the second half on a thread of its own (the shared lock
  // held here covers it), its counts added to the first's.
  Tally t, t2;
  const size_t half = work.size() >= parallel_chunks_ && std::thread::hardware_concurrency() >= 2
                          ? work.size() / 2
                          : work.size();
  std::thread other;
  if (half < work.size()) other = std::thread([&] { scan(half, work.size(), &t2); });
  scan(0, half, &t);
  if (other.joinable()) {
    other.join();
    for (size_t s2 = 0; s2 < t2.sev_of_slot.size(); ++s2) {
      auto it = std::find(t.sev_of_slot.begin(), t.sev_of_slot.end(), t2.sev_of_slot[s2]);
      if (it == t.sev_of_slot.end()) {
        t.sev_of_slot.push_back(t2.sev_of_slot[s2]);
        t.by_slot.push_back(std::move(t2.by_slot[s2]));
        continue;
      }
      auto& dst = t.by_slot[static_cast<size_t>(it - t.sev_of_slot.begin())];
      for (size_t i = 0; i < dst.size(); ++i) dst[i] += t2.by_slot[s2][i];
    }
    for (const auto& [bk, sevs2] : t2.sparse)
      for (const auto& [sev, n] : sevs2) t.sparse[bk][sev] += n;
    for (auto [a, b2] : {std::pair{&t.n_sid, &t2.n_sid}, std::pair{&t.n_src, &t2.n_src},
                         std::pair{&t.n_dest, &t2.n_dest}, std::pair{&t.n_agent, &t2.n_agent}})
      for (size_t i = 0; i < a->size(); ++i) (*a)[i] += (*b2)[i];
  }
  std::vector<int64_t>&n_sid = t.n_sid, &n_src = t.n_src, &n_dest = t.n_dest, &n_agent = t.n_agent;

  if (dense) {
    for (size_t sl = 0; sl < t.by_slot.size(); ++sl)
      for (int64_t i = 0; i < nb; ++i)
        if (int64_t n = t.by_slot[sl][static_cast<size_t>(i)])
          out->series[(b0 + i) * interval_s][t.sev_of_slot[sl]] += n;
  } else {
    out->series = std::move(t.sparse);
  }
  out->top_signatures = top_codes(n_sid, top, [&](size_t c) { return std::to_string(m.sids[c]); });
  out->top_sources = top_codes(n_src, top, [&](size_t c) { return m.srcs.text[c]; });
  out->top_destinations = top_codes(n_dest, top, [&](size_t c) { return m.dests.text[c]; });
  out->top_agents = top_codes(n_agent, top, [&](size_t c) { return m.agents.text[c]; });
  return true;
}

void AlertFacts::newest(const AlertFilter& f, const std::optional<AlertCursor>& after, int limit,
                        int64_t count_cap, FactPage* out) const {
  *out = {};
  if (impl_->has_pending.load()) {
    std::unique_lock lk(mu_);
    impl_->drain();
  }
  std::shared_lock lk(mu_);
  const Impl& m = *impl_;
  const Match mt = m.match(f);
  if (mt.none || mt.from >= mt.to) return;
  // The chunks that may hold rows of the range, the newest event first.
  std::vector<std::pair<int64_t, const Chunk*>> order;
  for (const auto& [c, ch] : m.chunks)
    if (ch->max_ts >= mt.from && ch->min_ts < mt.to) order.emplace_back(c, ch.get());
  std::sort(order.begin(), order.end(),
            [](const auto& a, const auto& b) { return a.second->max_ts > b.second->max_ts; });
  // The page: a heap whose front is its oldest row.
  const auto newer = [](const FactRow& a, const FactRow& b) {
    return a.ts != b.ts ? a.ts > b.ts : a.id > b.id;
  };
  const size_t want = static_cast<size_t>(std::max(limit, 1));
  std::vector<FactRow>& heap = out->rows;
  int64_t counted = 0;
  auto counting = [&] { return count_cap > 0 && counted <= count_cap; };
  for (const auto& [c, ch] : order) {
    // A chunk whose newest event is older than the page's oldest row holds
    // none of the page, nor does any after it.
    const bool page_full = heap.size() == want && ch->max_ts < heap.front().ts;
    if (page_full && !counting()) break;
    const bool for_page = !page_full && !(after && ch->min_ts > after->ts_us);
    if (!for_page && !counting()) continue;
    const int64_t first = c << kChunkBits;
    for (int64_t i = 0; i < kChunkIds; ++i) {
      const Fact& x = ch->rows[i];
      if (!mt.pass(x)) continue;
      ++counted;
      if (!for_page) continue;
      const FactRow r{x.ts, first + i};
      if (after && !(r.ts < after->ts_us || (r.ts == after->ts_us && r.id < after->id))) continue;
      if (heap.size() < want) {
        heap.push_back(r);
        std::push_heap(heap.begin(), heap.end(), newer);
      } else if (newer(r, heap.front())) {
        std::pop_heap(heap.begin(), heap.end(), newer);
        heap.back() = r;
        std::push_heap(heap.begin(), heap.end(), newer);
      }
    }
  }
  std::sort_heap(heap.begin(), heap.end(), newer);
  out->matched = count_cap > 0 ? std::min(counted, count_cap + 1) : 0;
}

}  // namespace vigil::collector

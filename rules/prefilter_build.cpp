#include "rules/prefilter_build.h"

#include <algorithm>

namespace vigil::rules {

namespace {

// What a content on a transformed buffer guarantees about the untransformed
// bytes the prefilter scans: to_lowercase/to_uppercase/header_lowercase leave
// the pattern present caselessly; dotprefix leaves it present without its
// leading dot (".example.com" in "." + X means "example.com" is in X). Any
// other transform (url_decode, whitespace, hashes) guarantees nothing: false.
// ET's DNS rules are `dns.query; dotprefix; content:".domain"; endswith;`, so
// without this they would all be checked on every DNS transaction.
bool untransformed_form(const std::vector<TransformKind>& ts, std::string& bytes, bool& nocase) {
  for (auto it = ts.rbegin(); it != ts.rend(); ++it) {
    switch (*it) {
      case TransformKind::kToLowercase:
      case TransformKind::kToUppercase:
      case TransformKind::kHeaderLowercase:
        nocase = true;
        break;
      case TransformKind::kDotprefix:
        if (!bytes.empty() && bytes[0] == '.') bytes.erase(0, 1);
        break;
      default:
        return false;
    }
  }
  return !bytes.empty();
}

// Patterns go through the regex API with every byte escaped: the literal API
// of some Hyperscan builds rejects patterns that start with a NUL byte.
std::string compile_db(DbBuilder& b, std::string& err) {
  if (b.patterns.empty()) return "";
  static const char kHex[] = "0123456789abcdef";
  std::vector<std::string> escaped;
  std::vector<const char*> exprs;
  std::vector<unsigned> flags, ids;
  escaped.reserve(b.patterns.size());
  for (size_t i = 0; i < b.patterns.size(); ++i) {
    std::string e;
    e.reserve(b.patterns[i].first.size() * 4);
    for (unsigned char c : b.patterns[i].first) {
      e += "\\x";
      e += kHex[c >> 4];
      e += kHex[c & 15];
    }
    escaped.push_back(std::move(e));
    flags.push_back(HS_FLAG_SINGLEMATCH | (b.patterns[i].second ? HS_FLAG_CASELESS : 0));
    ids.push_back(unsigned(i));
  }
  for (auto& e : escaped) exprs.push_back(e.c_str());
  hs_compile_error_t* ce = nullptr;
  if (hs_compile_multi(exprs.data(), flags.data(), ids.data(), unsigned(exprs.size()), HS_MODE_BLOCK, nullptr,
                       &b.target->db, &ce) != HS_SUCCESS) {
    err = ce && ce->message ? ce->message : "hyperscan compile failed";
    if (ce) hs_free_compile_error(ce);
    return err;
  }
  return "";
}

// The non-empty pattern lists in a fixed order (protocol groups, each "any"
// group before its port groups): the order of the databases in a cache file.
std::vector<DbBuilder*> db_order(const Engine::Impl& impl, PrefilterPlan& plan) {
  std::vector<DbBuilder*> order;
  auto add_order = [&](const Group& g) {
    auto it = plan.builders.find(&g);
    if (it == plan.builders.end()) return;
    for (auto& b : it->second.payload)
      if (!b.patterns.empty()) order.push_back(&b);
    for (auto& by_dir : it->second.tx)
      for (auto& b : by_dir)
        if (b.target && !b.patterns.empty()) order.push_back(&b);
  };
  for (size_t gi = 0; gi < kGroupCount; ++gi) {
    add_order(impl.groups[gi].any);
    for (auto& g : impl.groups[gi].groups) add_order(*g);
  }
  return order;
}

void list_tx(Group& g) {
  for (size_t slot = 0; slot < kBufferCount; ++slot)
    for (int d = 0; d < 2; ++d)
      if (g.tx[slot][d]) g.tx_list.push_back({BufferId(slot), Dir(d), g.tx[slot][d].get()});
}

}  // namespace

FastPattern choose_fast_pattern(const Rule& r) {
  FastPattern best;
  for (int pass = 0; pass < 2 && !best.found; ++pass) {
    size_t best_len = 0;
    for (auto& l : r.buffers) {
      if (r.tx_rule && l.slot == kSlotPayload) continue;
      if (l.slot >= 0 && is_packet_buffer(BufferId(l.slot))) continue;  // not prefiltered
      for (auto& op : l.ops) {
        if (op->kind != OpKind::kContent) continue;
        auto& c = static_cast<const ContentOp&>(*op);
        if (c.negated) continue;
        if (pass == 0 && !c.fast_pattern) continue;
        std::string bytes =
            c.fp_chop_len > 0 ? c.pattern.substr(size_t(c.fp_chop_offset), size_t(c.fp_chop_len)) : c.pattern;
        bool nocase = c.nocase;
        if (!l.transforms.empty() && !untransformed_form(l.transforms, bytes, nocase)) continue;
        if (pass == 1 && bytes.size() <= best_len) continue;
        best.found = true;
        best.slot = l.slot;
        best.nocase = nocase;
        best_len = bytes.size();
        best.bytes = std::move(bytes);
        if (pass == 0) break;
      }
      if (pass == 0 && best.found) break;
    }
  }
  return best;
}

void DbBuilder::add(const FastPattern& fp, uint32_t rule) {
  // A one-byte literal is not given to Hyperscan: the libhs of Debian 12
  // (Vectorscan 5.4.9) was seen to miss one ("=", in the TCP database of ET
  // Open) or report it depending on the alignment of the scanned buffer,
  // i.e. on the heap, the worker count and the configuration. A one-byte
  // prefilter selects almost nothing anyway: the rule is a candidate for
  // every buffer and its own list finds the byte (tests/agent/detect/
  // prefilter_test.cpp).
  if (fp.bytes.size() < 2) {
    target->always.push_back(rule);
    return;
  }
  auto key = std::make_pair(fp.bytes, fp.nocase);
  auto it = ids.find(key);
  uint32_t id;
  if (it == ids.end()) {
    id = uint32_t(patterns.size());
    ids.emplace(key, id);
    patterns.push_back(key);
    target->pattern_rules.emplace_back();
  } else {
    id = it->second;
  }
  target->pattern_rules[id].push_back(rule);
  target->max_len = std::max(target->max_len, fp.bytes.size());
}

namespace {

// Each stream chunk is scanned from the longest payload pattern's length
// before its new bytes, for a pattern split across segments. A prefilter
// needs only part of a content (the rule's own list finds the whole), so
// payload patterns are cut to this many bytes, which bounds that overlap:
// ET Open's longest were 152 bytes.
constexpr size_t kMaxPayloadPattern = 32;

FastPattern payload_pattern(FastPattern fp) {
  if (fp.bytes.size() > kMaxPayloadPattern) fp.bytes.resize(kMaxPayloadPattern);
  return fp;
}

// The directions of scanned bytes (bit 0 to server, bit 1 to client) in
// which a rule can match: its flow direction, and for the app-layer part the
// direction inspect_tx reads its buffers in. Never 0: a rule whose
// directions contradict stays in both, as it was before the split.
unsigned payload_scan_dirs(const Rule& r) {
  unsigned m = rule_flow_dirs(r);
  return m ? m : 3;
}

unsigned tx_scan_dirs(const Rule& r) {
  const int td = rule_tx_dir(r);
  unsigned m = (td < 0 ? 3u : 1u << td) & rule_flow_dirs(r);
  return m ? m : 3;
}

}  // namespace

void add_to_group(const Rule& r, Group& g, PrefilterPlan& plan) {
  if (!r.tx_rule && !r.has_payload) {
    g.header.push_back(r.index);
    return;
  }
  GroupBuilders& b = plan.builders[&g];
  FastPattern fp = choose_fast_pattern(r);
  const unsigned pdirs = payload_scan_dirs(r);
  if (!r.tx_rule) {
    for (int d = 0; d < 2; ++d) {
      if (!(pdirs & (1u << d))) continue;
      b.payload[d].target = &g.payload[d];
      if (fp.found)
        b.payload[d].add(payload_pattern(fp), r.index);
      else
        g.payload[d].always.push_back(r.index);
    }
    return;
  }
  // The payload part of a rule that also has app-layer buffers is matched as
  // packets and stream chunks arrive (remembered per flow, see engine_eval's
  // note_payload_seen): its longest payload content is a payload pattern too.
  if (const BufferList* pl = r.list_for(kSlotPayload)) {
    const ContentOp* best = nullptr;
    for (auto& op : pl->ops) {
      if (op->kind != OpKind::kContent) continue;
      auto* c = static_cast<const ContentOp*>(op.get());
      if (!c->negated && (!best || c->pattern.size() > best->pattern.size())) best = c;
    }
    if (best) {
      FastPattern pfp;
      pfp.found = true;
      pfp.bytes = best->pattern;
      pfp.nocase = best->nocase;
      for (int d = 0; d < 2; ++d) {
        if (!(pdirs & (1u << d))) continue;
        b.payload[d].target = &g.payload[d];
        b.payload[d].add(payload_pattern(pfp), r.index);
      }
    }
  }
  int slot = fp.found ? fp.slot : kSlotPayload;
  if (!fp.found) {
    for (auto& l : r.buffers)
      if (l.slot != kSlotPayload && !is_packet_buffer(BufferId(l.slot))) {
        slot = l.slot;
        break;
      }
  }
  if (slot == kSlotPayload) {
    g.tx_always.push_back(r.index);
    return;
  }
  // A one-directional buffer is scanned in its own direction only; any
  // other in each direction the rule can match in. An HTTP body is scanned
  // as file.data of its direction, the same bytes (common/inspect.h).
  const int bd = buffer_dir(slot);
  const unsigned tdirs = bd >= 0 ? 1u << bd : tx_scan_dirs(r);
  if (is_body_of_file_data(BufferId(slot))) slot = int(BufferId::kFileData);
  for (int d = 0; d < 2; ++d) {
    if (!(tdirs & (1u << d))) continue;
    auto& db = g.tx[size_t(slot)][d];
    if (!db) {
      db = std::make_unique<PatternDb>();
      b.tx[size_t(slot)][d].target = db.get();
    }
    if (fp.found)
      b.tx[size_t(slot)][d].add(fp, r.index);
    else
      db->always.push_back(r.index);
  }
}

bool build_prefilter(PrefilterPlan& plan, const std::string& cache_dir, CacheKey key, Engine::Impl& impl,
                     LoadReport& report) {
  std::vector<DbBuilder*> order = db_order(impl, plan);
  // The databases are keyed by exactly what is compiled, so a change in how
  // fast patterns are chosen can never load a stale database.
  std::vector<PatternDb*> dbs;
  key.add("prefilter by direction");
  for (auto* b : order) {
    for (auto& [bytes, nocase] : b->patterns) {
      key.add(bytes);
      key.add(nocase ? "i" : "c");
    }
    key.add("|db|");
    dbs.push_back(b->target);
  }
  std::string cache_path = hs_cache_path(cache_dir, key);
  bool loaded = !cache_path.empty() && hs_cache_load(cache_path, dbs);
  if (!loaded) {
    for (auto* b : order) {
      std::string err;
      if (!compile_db(*b, err).empty()) {
        report.errors.push_back("prefilter: " + err);
        report.fatal = true;
        return false;
      }
    }
    if (!cache_path.empty()) hs_cache_store(cache_dir, cache_path, dbs);
  }
  report.cache_hit = loaded;
  for (auto& pg : impl.groups) {
    list_tx(pg.any);
    for (auto& g : pg.groups) list_tx(*g);
  }
  for (auto* b : order) {
    report.prefilter_patterns += b->patterns.size();
    ++report.prefilter_databases;
    if (hs_alloc_scratch(b->target->db, &impl.proto_scratch) != HS_SUCCESS) {
      report.errors.push_back("prefilter: cannot allocate scratch");
      report.fatal = true;
      return false;
    }
  }
  return true;
}

}  // namespace vigil::rules

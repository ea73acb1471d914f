// build_engine: read files, parse, order, group, compile the prefilter
// databases (or load them from the cache), and the load report.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>

#include "common/time.h"
#include "rules/classification.h"
#include "rules/engine_impl.h"
#include "rules/iprep.h"
#include "rules/parser.h"

namespace vigil::rules {

namespace {

constexpr const char* kEngineVersion = "vigil-rules-2";  // bump when the database layout changes

// One read into a string of the file's size (a stringstream copy cost ~10%
// of a warm ET Open load).
bool read_file(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return false;
  auto size = in.tellg();
  if (size < 0) return false;
  out.resize(size_t(size));
  in.seekg(0);
  in.read(out.data(), size);
  return bool(in) || in.eof();
}

int action_rank(Action a) {
  switch (a) {
    case Action::kPass:
      return 0;
    case Action::kDrop:
      return 1;
    case Action::kReject:
      return 2;
    default:
      return 3;
  }
}

// Suricata's order: action, then flowbit setters before readers, then priority.
int bits_rank(const Rule& r) {
  bool sets = r.sets_bits, reads = false;
  for (auto& b : r.flowbits) reads = reads || b.is_condition();
  for (auto& x : r.xbits) reads = reads || x.is_condition();
  for (auto& i : r.flowints) reads = reads || i.is_condition();
  if (sets && !reads) return 0;
  if (sets && reads) return 1;
  if (reads) return 2;
  return 3;
}

struct FastPattern {
  int slot = kSlotPayload;
  std::string bytes;
  bool nocase = false;
  bool found = false;
};

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

// The explicit fast_pattern, else the longest positive content (app buffers
// preferred for tx rules, as they are more selective).
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

struct DbBuilder {
  std::map<std::pair<std::string, bool>, uint32_t> ids;
  std::vector<std::pair<std::string, bool>> patterns;
  PatternDb* target = nullptr;
  void add(const FastPattern& fp, uint32_t rule) {
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
};

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

// Keeps the newest few database files: every rule update writes a new one.
void prune_cache(const std::string& dir) {
  constexpr size_t kKeep = 4;
  std::error_code ec;
  std::vector<std::pair<std::filesystem::file_time_type, std::filesystem::path>> files;
  for (auto& e : std::filesystem::directory_iterator(dir, ec)) {
    auto name = e.path().filename().string();
    if (name.rfind("vigil-hs-", 0) != 0 || e.path().extension() != ".db") continue;
    files.emplace_back(e.last_write_time(ec), e.path());
  }
  if (files.size() <= kKeep) return;
  std::sort(files.begin(), files.end(), [](auto& a, auto& b) { return a.first > b.first; });
  for (size_t i = kKeep; i < files.size(); ++i) std::filesystem::remove(files[i].second, ec);
}

uint64_t fnv(uint64_t h, std::string_view s) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  h ^= 0xff;
  h *= 1099511628211ull;
  return h;
}

void index_header_rule(const Rule& r, uint32_t idx, std::vector<std::tuple<U128, U128, uint32_t>>& src,
                       std::vector<std::tuple<U128, U128, uint32_t>>& dst, std::vector<uint32_t>& plain) {
  if (r.src.any && r.dst.any) {
    plain.push_back(idx);
    return;
  }
  bool use_src = r.dst.any || (!r.src.any && r.src.coverage() <= r.dst.coverage());
  const AddrSet& set = use_src ? r.src : r.dst;
  for (auto& [lo, hi] : set.ranges) {
    if (use_src || r.bidir) src.emplace_back(lo, hi, idx);
    if (!use_src || r.bidir) dst.emplace_back(lo, hi, idx);
  }
}

void build_index(std::vector<std::tuple<U128, U128, uint32_t>>& in, AddrIndex& out) {
  if (in.empty()) return;
  std::vector<U128> bounds;
  for (auto& [lo, hi, idx] : in) {
    bounds.push_back(lo);
    if (hi != ~U128(0)) bounds.push_back(hi + 1);
  }
  std::sort(bounds.begin(), bounds.end());
  bounds.erase(std::unique(bounds.begin(), bounds.end()), bounds.end());
  out.starts = bounds;
  out.lists.assign(bounds.size(), {});
  for (auto& [lo, hi, idx] : in) {
    auto a = size_t(std::lower_bound(bounds.begin(), bounds.end(), lo) - bounds.begin());
    for (size_t i = a; i < bounds.size() && bounds[i] <= hi; ++i) out.lists[i].push_back(idx);
  }
  for (auto& l : out.lists) {
    std::sort(l.begin(), l.end());
    l.erase(std::unique(l.begin(), l.end()), l.end());
  }
}

struct GroupBuilders {
  DbBuilder payload;
  std::array<DbBuilder, kBufferCount> tx;
};

// Puts a payload/app-layer/plain header rule into one group: its fast
// pattern into the group's database for that buffer, else the "always" lists.
void add_to_group(const Rule& r, Group& g, GroupBuilders& b) {
  if (!r.tx_rule && !r.has_payload) {
    g.header.push_back(r.index);
    return;
  }
  FastPattern fp = choose_fast_pattern(r);
  if (!r.tx_rule) {
    b.payload.target = &g.payload;
    if (fp.found)
      b.payload.add(fp, r.index);
    else
      g.payload.always.push_back(r.index);
    return;
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
  auto& db = g.tx[size_t(slot)];
  if (!db) {
    db = std::make_unique<PatternDb>();
    b.tx[size_t(slot)].target = db.get();
  }
  if (fp.found)
    b.tx[size_t(slot)].add(fp, r.index);
  else
    db->always.push_back(r.index);
}

// A port set narrow enough to key a rule by (ET's $HTTP_PORTS lists are; the
// "!80" of $SHELLCODE_PORTS and [1024:] are not: they would copy the rule
// into most groups).
constexpr uint32_t kNarrowPorts = 1024;

bool narrow(const PortSet& s) {
  if (s.any) return false;
  uint32_t n = 0;
  for (auto& [lo, hi] : s.ranges) n += uint32_t(hi) - lo + 1;
  return n <= kNarrowPorts;
}

enum class PortKey : uint8_t { kAny, kDst, kSrc };

struct PortKeyed {
  const Rule* rule;
  PortKey key;
};

// A rule only matches packets whose destination port is in its dp (or, <>,
// whose source port is): the group of either packet port holds it.
PortKey port_key(const Rule& r) {
  if (r.bidir) return PortKey::kAny;
  if (narrow(r.dp)) return PortKey::kDst;
  if (narrow(r.sp)) return PortKey::kSrc;
  return PortKey::kAny;
}

// Builds pg's port tables from the keyed rules (in evaluation order) and
// returns, per rule, the groups it belongs to.
std::vector<std::vector<Group*>> build_port_groups(const std::vector<PortKeyed>& rules, PortGroups& pg) {
  std::vector<std::vector<Group*>> targets(rules.size());
  std::map<std::vector<uint32_t>, uint16_t> by_list;  // rule list -> group (shared between ports)
  for (PortKey side : {PortKey::kDst, PortKey::kSrc}) {
    std::vector<uint32_t> bounds;  // elementary intervals [bounds[i], bounds[i+1])
    for (auto& k : rules) {
      if (k.key != side) continue;
      for (auto& [lo, hi] : (side == PortKey::kDst ? k.rule->dp : k.rule->sp).ranges) {
        bounds.push_back(lo);
        bounds.push_back(uint32_t(hi) + 1);
      }
    }
    if (bounds.empty()) continue;
    std::sort(bounds.begin(), bounds.end());
    bounds.erase(std::unique(bounds.begin(), bounds.end()), bounds.end());
    std::vector<std::vector<uint32_t>> lists(bounds.size());  // by interval: positions in `rules`
    for (size_t i = 0; i < rules.size(); ++i) {
      if (rules[i].key != side) continue;
      for (auto& [lo, hi] : (side == PortKey::kDst ? rules[i].rule->dp : rules[i].rule->sp).ranges) {
        auto a = size_t(std::lower_bound(bounds.begin(), bounds.end(), uint32_t(lo)) - bounds.begin());
        for (size_t j = a; j < bounds.size() && bounds[j] <= hi; ++j) lists[j].push_back(uint32_t(i));
      }
    }
    auto& table = side == PortKey::kDst ? pg.by_dp : pg.by_sp;
    table.assign(65536, PortGroups::kNone);
    for (size_t j = 0; j + 1 < bounds.size(); ++j) {
      if (lists[j].empty()) continue;
      if (pg.groups.size() >= PortGroups::kNone && !by_list.count(lists[j])) {
        for (auto i : lists[j]) targets[i].push_back(&pg.any);  // out of group ids: unkeyed
        continue;
      }
      auto [it, fresh] = by_list.emplace(lists[j], uint16_t(pg.groups.size()));
      if (fresh) {
        pg.groups.push_back(std::make_unique<Group>());
        for (auto i : lists[j]) targets[i].push_back(pg.groups.back().get());
      }
      for (uint32_t port = bounds[j]; port < bounds[j + 1] && port < 65536; ++port) table[port] = it->second;
    }
  }
  for (size_t i = 0; i < rules.size(); ++i)
    if (rules[i].key == PortKey::kAny) targets[i].push_back(&pg.any);
  return targets;
}

std::string reason_key(const ParseFailure& f) {
  return f.unsupported ? "unsupported: " + f.keyword : f.reason_class;
}

}  // namespace

std::shared_ptr<const Engine> build_engine(const LoadOptions& opts, LoadReport& report) {
  auto t0 = std::chrono::steady_clock::now();
  report = LoadReport{};
  report.last_reload = format_eve_time(wall_clock_now());
  ParseContext ctx;
  ctx.addr_vars = default_address_vars();
  ctx.port_vars = default_port_vars();
  for (auto& [k, v] : opts.address_vars) ctx.addr_vars[k] = v;
  for (auto& [k, v] : opts.port_vars) ctx.port_vars[k] = v;

  std::string cls_text;
  if (!opts.classification_file.empty()) {
    if (!read_file(opts.classification_file, cls_text)) {
      report.errors.push_back(opts.classification_file + ": cannot read classification file");
      report.fatal = true;
      return nullptr;
    }
  } else {
    cls_text = std::string(kBundledClassification);
  }
  std::vector<std::string> cls_errors;
  ClassMap classes = parse_classification(cls_text, cls_errors);
  for (auto& e : cls_errors)
    report.errors.push_back((opts.classification_file.empty() ? "classification" : opts.classification_file) +
                            ":" + e);
  ctx.classes = &classes;
  ctx.iprep = load_iprep(opts, report.errors);
  ctx.file_scope = opts.rule_file_scope;

  auto impl = std::make_unique<Engine::Impl>();
  std::vector<std::unique_ptr<Rule>> rules;
  uint64_t key_hash = fnv(1469598103934665603ull, kEngineVersion);
  for (auto& [k, v] : ctx.addr_vars) key_hash = fnv(fnv(key_hash, k), v);
  for (auto& [k, v] : ctx.port_vars) key_hash = fnv(fnv(key_hash, k), v);
  std::map<std::pair<uint32_t, uint32_t>, const Rule*> seen;
  for (auto& file : opts.files) {
    std::string text;
    if (!read_file(file, text)) {
      report.errors.push_back(file + ": cannot read rule file");
      report.fatal = true;
      return nullptr;
    }
    FileParse fp;
    ctx.rule_dir = std::filesystem::path(file).parent_path().string();
    parse_text(text, file, ctx, fp);
    LoadReport::FileInfo fi;
    fi.path = file;
    fi.dialect = fp.dialect == Dialect::kSnort3 ? "snort3" : "suricata";
    fi.rules_disabled = fp.disabled;
    report.rules_disabled += fp.disabled;
    for (auto& [line, f] : fp.failures) {
      report.errors.push_back(file + ":" + std::to_string(line) + ": sid " + std::to_string(f.sid) + ": " +
                              f.reason);
      ++report.failures_by_reason[reason_key(f)];
      if (f.unsupported) {
        ++report.unsupported_keywords[f.keyword];
        ++report.rules_skipped;
      }
      ++fi.rules_failed;
    }
    for (auto& r : fp.rules) {
      auto k = std::make_pair(r->gid, r->sid);
      if (seen.count(k)) {
        report.errors.push_back(file + ":" + std::to_string(r->line) + ": sid " + std::to_string(r->sid) +
                                ": duplicate signature (gid " + std::to_string(r->gid) + ", sid " +
                                std::to_string(r->sid) + ")");
        ++report.failures_by_reason["duplicate sid"];
        ++fi.rules_failed;
        continue;
      }
      seen.emplace(k, r.get());
      key_hash = fnv(key_hash, r->text);
      ++fi.rules_loaded;
      rules.push_back(std::move(r));
    }
    report.rules_loaded += fi.rules_loaded;
    report.rules_failed += fi.rules_failed;
    report.files.push_back(fi);
  }

  if (!opts.threshold_file.empty()) {
    std::string text;
    if (!read_file(opts.threshold_file, text)) {
      report.errors.push_back(opts.threshold_file + ": cannot read threshold file");
    } else {
      std::vector<std::string> errs;
      impl->threshold_cfg = parse_threshold_config(text, ctx.addr_vars, errs);
      for (auto& e : errs) report.errors.push_back(opts.threshold_file + ":" + e);
    }
  }
  auto t1 = std::chrono::steady_clock::now();
  report.parse_ms = std::chrono::duration<double, std::milli>(t1 - t0).count();

  std::stable_sort(rules.begin(), rules.end(), [](const auto& a, const auto& b) {
    int aa = action_rank(a->action), ab = action_rank(b->action);
    if (aa != ab) return aa < ab;
    int ba = bits_rank(*a), bb = bits_rank(*b);
    if (ba != bb) return ba < bb;
    return a->priority < b->priority;
  });
  impl->rule_threshold.assign(rules.size(), -1);
  impl->rule_suppress.assign(rules.size(), {});
  for (size_t i = 0; i < rules.size(); ++i) {
    rules[i]->index = uint32_t(i);
    auto& ents = impl->threshold_cfg.entries;
    for (size_t e = 0; e < ents.size(); ++e) {
      if (ents[e].gid != rules[i]->gid || (ents[e].sid != 0 && ents[e].sid != rules[i]->sid)) continue;
      if (ents[e].suppress)
        impl->rule_suppress[i].push_back(uint32_t(e));
      else
        impl->rule_threshold[i] = int32_t(e);
    }
  }

  for (auto& rp : rules) {
    Rule& r = *rp;
    const FlowOpt& fo = r.flow;
    bool flow_kw = fo.established || fo.not_established || fo.stateless || fo.to_server || fo.to_client ||
                   fo.only_stream || fo.no_stream || fo.only_frag || fo.no_frag;
    r.ip_only = !r.tx_rule && !r.has_payload && r.buffers.empty() && r.sp.any && r.dp.any &&
                r.pkt_opts.empty() && !flow_kw && r.app_mask == 0 && r.flowbits.empty() &&
                r.flowints.empty() && r.xbits.empty() && r.tx_ints.empty();
  }

  // Grouping: by L4 protocol, then by port (PortGroups).
  std::map<const Group*, GroupBuilders> builders;
  std::array<std::vector<std::tuple<U128, U128, uint32_t>>, kGroupCount> src_ranges, dst_ranges;
  std::array<std::vector<PortKeyed>, kGroupCount> keyed;
  for (auto& rp : rules) {
    const Rule& r = *rp;
    bool in[kGroupCount] = {};
    switch (r.proto) {
      case ProtoSel::kIp:
        if (r.ip_proto_eq >= 0 && !r.app_mask) {  // Snort's "ip any any ... ip_proto:2": one group
          switch (r.ip_proto_eq) {
            case 6:
              in[kGroupTcp] = true;
              break;
            case 17:
              in[kGroupUdp] = true;
              break;
            case 1:
              in[kGroupIcmp4] = true;
              break;
            case 58:
              in[kGroupIcmp6] = true;
              break;
            default:
              in[kGroupOther] = true;
          }
          break;
        }
        for (auto& b : in) b = true;
        if (r.app_mask) in[kGroupIcmp4] = in[kGroupIcmp6] = in[kGroupOther] = false;
        break;
      case ProtoSel::kTcp:
        in[kGroupTcp] = true;
        break;
      case ProtoSel::kUdp:
        in[kGroupUdp] = true;
        break;
      case ProtoSel::kIcmp:
        in[kGroupIcmp4] = in[kGroupIcmp6] = true;
        break;
      case ProtoSel::kIcmpv4:
        in[kGroupIcmp4] = true;
        break;
      case ProtoSel::kIcmpv6:
        in[kGroupIcmp6] = true;
        break;
    }
    // Header-only rules go to the address index only when their ports are
    // wide: a narrow port set (ET's scan rules: $EXTERNAL_NET any -> $HOME_NET
    // 22) selects far fewer packets than an address list like $EXTERNAL_NET.
    if (!r.tx_rule && !r.has_payload && port_key(r) == PortKey::kAny) {
      std::vector<uint32_t> plain;
      for (size_t gi = 0; gi < kGroupCount; ++gi)
        if (in[gi]) index_header_rule(r, r.index, src_ranges[gi], dst_ranges[gi], plain);
      if (plain.empty()) continue;  // in the address index of each of its groups
    }
    for (size_t gi = 0; gi < kGroupCount; ++gi) {
      if (!in[gi]) continue;
      PortKeyed k{&r, port_key(r)};
      if (gi != kGroupTcp && gi != kGroupUdp) k.key = PortKey::kAny;
      keyed[gi].push_back(k);
    }
  }
  for (size_t gi = 0; gi < kGroupCount; ++gi) {
    PortGroups& pg = impl->groups[gi];
    auto targets = build_port_groups(keyed[gi], pg);
    for (size_t i = 0; i < keyed[gi].size(); ++i)
      for (Group* g : targets[i]) add_to_group(*keyed[gi][i].rule, *g, builders[g]);
  }
  for (size_t gi = 0; gi < kGroupCount; ++gi) {
    build_index(src_ranges[gi], impl->src_index[gi]);
    build_index(dst_ranges[gi], impl->dst_index[gi]);
  }

  // Compile (or load) the Hyperscan databases, in a fixed order for the cache.
  std::vector<DbBuilder*> order;
  auto add_order = [&](const Group& g) {
    auto it = builders.find(&g);
    if (it == builders.end()) return;
    if (!it->second.payload.patterns.empty()) order.push_back(&it->second.payload);
    for (auto& b : it->second.tx)
      if (b.target && !b.patterns.empty()) order.push_back(&b);
  };
  for (size_t gi = 0; gi < kGroupCount; ++gi) {
    add_order(impl->groups[gi].any);
    for (auto& g : impl->groups[gi].groups) add_order(*g);
  }
  report.port_groups = 0;
  for (auto& pg : impl->groups) report.port_groups += pg.groups.size();
  // The databases are keyed by exactly what is compiled, so a change in how
  // fast patterns are chosen can never load a stale database.
  for (auto* b : order) {
    for (auto& [bytes, nocase] : b->patterns) key_hash = fnv(fnv(key_hash, bytes), nocase ? "i" : "c");
    key_hash = fnv(key_hash, "|db|");
  }
  std::string cache_path;
  if (!opts.cache_dir.empty()) {
    char buf[32];
    snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(key_hash));
    cache_path = (std::filesystem::path(opts.cache_dir) / (std::string("vigil-hs-") + buf + ".db")).string();
  }
  bool loaded = false;
  if (!cache_path.empty()) {
    std::string blob;
    if (read_file(cache_path, blob)) {
      size_t pos = 0;
      bool ok = true;
      for (auto* b : order) {
        uint64_t len = 0;
        if (pos + 8 > blob.size()) {
          ok = false;
          break;
        }
        memcpy(&len, blob.data() + pos, 8);
        pos += 8;
        if (pos + len > blob.size() ||
            hs_deserialize_database(blob.data() + pos, size_t(len), &b->target->db) != HS_SUCCESS) {
          ok = false;
          break;
        }
        pos += size_t(len);
      }
      loaded = ok && pos == blob.size();
      if (!loaded) {
        for (auto* b : order) {
          if (b->target->db) hs_free_database(b->target->db);
          b->target->db = nullptr;
        }
      }
    }
  }
  if (!loaded) {
    for (auto* b : order) {
      std::string err;
      if (!compile_db(*b, err).empty()) {
        report.errors.push_back("prefilter: " + err);
        report.fatal = true;
        return nullptr;
      }
    }
    if (!cache_path.empty()) {
      std::error_code ec;
      std::filesystem::create_directories(opts.cache_dir, ec);
      std::string blob;
      for (auto* b : order) {
        char* bytes = nullptr;
        size_t len = 0;
        if (hs_serialize_database(b->target->db, &bytes, &len) != HS_SUCCESS) break;
        uint64_t l64 = len;
        blob.append(reinterpret_cast<const char*>(&l64), 8);
        blob.append(bytes, len);
        free(bytes);
      }
      std::string tmp = cache_path + "." + std::to_string(getpid()) + ".tmp";
      std::ofstream out(tmp, std::ios::binary);
      out.write(blob.data(), std::streamsize(blob.size()));
      out.close();
      if (out) std::filesystem::rename(tmp, cache_path, ec);
      prune_cache(opts.cache_dir);
    }
  } else if (!cache_path.empty()) {
    std::error_code ec;  // a hit counts as use: pruning keeps the recently used
    std::filesystem::last_write_time(cache_path, std::filesystem::file_time_type::clock::now(), ec);
  }
  report.cache_hit = loaded;
  auto list_tx = [](Group& g) {
    for (size_t slot = 0; slot < kBufferCount; ++slot)
      if (g.tx[slot]) g.tx_list.emplace_back(BufferId(slot), g.tx[slot].get());
  };
  for (auto& pg : impl->groups) {
    list_tx(pg.any);
    for (auto& g : pg.groups) list_tx(*g);
  }
  for (auto* b : order) {
    report.prefilter_patterns += b->patterns.size();
    ++report.prefilter_databases;
    if (hs_alloc_scratch(b->target->db, &impl->proto_scratch) != HS_SUCCESS) {
      report.errors.push_back("prefilter: cannot allocate scratch");
      report.fatal = true;
      return nullptr;
    }
  }
  impl->rules = std::move(rules);
  report.compile_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t1).count();
  if (impl->rules.empty() && report.rules_failed > 0 && report.rules_loaded == 0) {
    // Every rule failed: still an engine (with nothing to match), the report says why.
  }
  for (auto& [name, set] : ctx.datasets) impl->datasets.push_back(set);
  return std::make_shared<const Engine>(std::move(impl));
}

void log_report(const LoadReport& r) {
  for (auto& f : r.files) {
    spdlog::info("rules: {} ({} dialect): {} loaded, {} failed, {} disabled", f.path, f.dialect,
                 f.rules_loaded, f.rules_failed, f.rules_disabled);
  }
  for (auto& e : r.errors) spdlog::warn("rules: {}", e);
  for (auto& [k, n] : r.unsupported_keywords) spdlog::info("rules: skipped {} rules using {}", n, k);
  spdlog::info(
      "rules: {} signatures processed. {} loaded, {} failed ({} unsupported); prefilter {} patterns in {} "
      "databases, {} port groups; parse {:.0f} ms, compile {:.0f} ms{}",
      r.rules_loaded + r.rules_failed, r.rules_loaded, r.rules_failed, r.rules_skipped, r.prefilter_patterns,
      r.prefilter_databases, r.port_groups, r.parse_ms, r.compile_ms,
      r.cache_hit ? " (cached databases)" : "");
}

nlohmann::ordered_json report_stats_json(const LoadReport& r) {
  nlohmann::ordered_json e;
  e["id"] = 0;
  e["last_reload"] = r.last_reload;
  e["rules_loaded"] = r.rules_loaded;
  e["rules_failed"] = r.rules_failed;
  e["rules_skipped"] = r.rules_skipped;
  nlohmann::ordered_json files = nlohmann::ordered_json::array();
  for (auto& f : r.files) {
    files.push_back({{"path", f.path},
                     {"dialect", f.dialect},
                     {"rules_loaded", f.rules_loaded},
                     {"rules_failed", f.rules_failed}});
  }
  e["files"] = files;
  e["failures_by_reason"] = r.failures_by_reason;
  e["unsupported_keywords"] = r.unsupported_keywords;
  e["compile_ms"] = r.compile_ms;
  e["cache_hit"] = r.cache_hit;
  nlohmann::ordered_json out;
  out["engines"] = nlohmann::ordered_json::array({e});
  return out;
}

}  // namespace vigil::rules

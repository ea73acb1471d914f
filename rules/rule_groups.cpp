#include "rules/rule_groups.h"

#include <algorithm>
#include <map>
#include <tuple>

namespace vigil::rules {

namespace {

using Ranges = std::vector<std::tuple<U128, U128, uint32_t>>;  // lo, hi, rule index

void index_header_rule(const Rule& r, uint32_t idx, Ranges& src, Ranges& dst, std::vector<uint32_t>& plain) {
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

void build_index(Ranges& in, AddrIndex& out) {
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

// The L4 protocol groups a rule's header (and ip_proto) can match.
void protocol_groups(const Rule& r, bool (&in)[kGroupCount]) {
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
}

}  // namespace

void mark_ip_only(const std::vector<std::unique_ptr<Rule>>& rules) {
  for (auto& rp : rules) {
    Rule& r = *rp;
    const FlowOpt& fo = r.flow;
    bool flow_kw = fo.established || fo.not_established || fo.stateless || fo.to_server || fo.to_client ||
                   fo.only_stream || fo.no_stream || fo.only_frag || fo.no_frag;
    r.ip_only = !r.tx_rule && !r.has_payload && r.buffers.empty() && r.sp.any && r.dp.any &&
                r.pkt_opts.empty() && !flow_kw && r.app_mask == 0 && r.flowbits.empty() &&
                r.flowints.empty() && r.xbits.empty() && r.tx_ints.empty();
  }
}

int rule_tx_dir(const Rule& r) {
  for (auto& l : r.buffers)
    if (l.slot != kSlotPayload && buffer_dir(l.slot) >= 0) return buffer_dir(l.slot);
  return -1;
}

unsigned rule_flow_dirs(const Rule& r) {
  return (r.flow.to_client ? 0u : 1u) | (r.flow.to_server ? 0u : 2u);
}

void build_gates(const std::vector<std::unique_ptr<Rule>>& rules, Engine::Impl& impl) {
  auto key_of = [](const AddrSet& a, std::string& k) {
    k += a.any ? 'A' : 'L';
    if (a.any) return;
    k.append(reinterpret_cast<const char*>(a.ranges.data()), a.ranges.size() * sizeof(a.ranges[0]));
    k += '|';
  };
  std::map<std::string, uint16_t> classes;
  impl.addr_classes.assign(1, AddrClass{});
  impl.gates.assign(rules.size(), RuleGate{});
  for (auto& rp : rules) {
    const Rule& r = *rp;
    RuleGate& g = impl.gates[r.index];
    g.tx_dir = int8_t(rule_tx_dir(r));
    g.flow_dirs = uint8_t(rule_flow_dirs(r));
    if (r.src.any && r.dst.any) continue;
    std::string k(r.bidir ? "B" : "U");
    key_of(r.src, k);
    key_of(r.dst, k);
    auto [it, fresh] = classes.emplace(std::move(k), uint16_t(impl.addr_classes.size()));
    if (fresh) {
      if (impl.addr_classes.size() == 0xffff) {  // out of ids: left to the full check
        classes.erase(it);
        continue;
      }
      impl.addr_classes.push_back(AddrClass{&r.src, &r.dst, r.bidir});
    }
    g.addr_class = it->second;
  }
}

uint64_t group_rules(const std::vector<std::unique_ptr<Rule>>& rules, Engine::Impl& impl,
                     PrefilterPlan& plan) {
  std::array<Ranges, kGroupCount> src_ranges, dst_ranges;
  std::array<std::vector<PortKeyed>, kGroupCount> keyed;
  for (auto& rp : rules) {
    const Rule& r = *rp;
    bool in[kGroupCount] = {};
    protocol_groups(r, in);
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
    PortGroups& pg = impl.groups[gi];
    auto targets = build_port_groups(keyed[gi], pg);
    for (size_t i = 0; i < keyed[gi].size(); ++i)
      for (Group* g : targets[i]) add_to_group(*keyed[gi][i].rule, *g, plan);
  }
  for (size_t gi = 0; gi < kGroupCount; ++gi) {
    build_index(src_ranges[gi], impl.src_index[gi]);
    build_index(dst_ranges[gi], impl.dst_index[gi]);
  }
  uint64_t port_groups = 0;
  for (auto& pg : impl.groups) port_groups += pg.groups.size();
  return port_groups;
}

}  // namespace vigil::rules

// The packet path of the engine: prefilter, header checks, inspection lists,
// flowbits, thresholds, alerts. No locks except the threshold table (only
// when a thresholded rule matched), no exceptions, no allocation once the
// worker's scratch vectors have grown.
#include <algorithm>
#include <atomic>
#include <functional>
#include <string_view>

#include "rules/engine_impl.h"
#include "rules/match_buffer.h"

namespace vigil::rules {

namespace {

constexpr uint32_t kAppBit(AppProto a) {
  return 1u << unsigned(a);
}

struct View {
  IpAddr src, dst;
  uint16_t sp = 0, dp = 0;
  bool to_server = true;
};

GroupId group_of(const Packet& p) {
  switch (p.l4) {
    case L4::kTcp:
      return kGroupTcp;
    case L4::kUdp:
      return kGroupUdp;
    case L4::kIcmp:
      return kGroupIcmp4;
    case L4::kIcmpv6:
      return kGroupIcmp6;
    default:
      break;
  }
  // No usable transport header (a broken TCP header, say): the IP protocol
  // still picks the group, so `ip ... ip_proto:6` rules see the packet;
  // proto_ok keeps tcp/udp rules off it.
  switch (p.ip_proto) {
    case 6:
      return kGroupTcp;
    case 17:
      return kGroupUdp;
    case 1:
      return kGroupIcmp4;
    case 58:
      return kGroupIcmp6;
    default:
      return kGroupOther;
  }
}

bool proto_ok(const Rule& r, const Packet& p) {
  switch (r.proto) {
    case ProtoSel::kIp:
      return p.ip_version != 0;
    case ProtoSel::kTcp:
      return p.l4 == L4::kTcp;
    case ProtoSel::kUdp:
      return p.l4 == L4::kUdp;
    case ProtoSel::kIcmp:
      return p.l4 == L4::kIcmp || p.l4 == L4::kIcmpv6;
    case ProtoSel::kIcmpv4:
      return p.l4 == L4::kIcmp;
    case ProtoSel::kIcmpv6:
      return p.l4 == L4::kIcmpv6;
  }
  return false;
}

bool addr_ok(const Rule& r, const View& v) {
  if (r.src.contains(v.src) && r.dst.contains(v.dst) && r.sp.contains(v.sp) && r.dp.contains(v.dp))
    return true;
  return r.bidir && r.src.contains(v.dst) && r.dst.contains(v.src) && r.sp.contains(v.dp) &&
         r.dp.contains(v.sp);
}

bool flow_ok(const Rule& r, const Packet& p, const FlowView* f, const RuleFlowState* fs, bool to_server,
             int est_override = -1) {
  const FlowOpt& o = r.flow;
  if (o.to_server && !to_server) return false;
  if (o.to_client && to_server) return false;
  bool est = est_override >= 0 ? est_override == 1 : (f && f->state == FlowState::kEstablished);
  if (o.established && !est) return false;
  if (o.not_established && est) return false;
  if (o.only_frag && !p.reassembled) return false;
  if (o.no_frag && p.reassembled) return false;
  if (r.app_mask) {
    // A packet rule sees a TCP flow's protocol only once the session is
    // established, as Suricata's packet path does (PKT_STREAM_EST): not on a
    // fast-open SYN whose data was detected. Transactions are inspected as
    // they progress, so a tx rule keeps the protocol its tx was parsed as.
    AppProto a = f ? f->app_proto : AppProto::kUnknown;
    if (!r.tx_rule && f && p.l4 == L4::kTcp && f->state == FlowState::kNew) a = AppProto::kUnknown;
    // A rule with neither buffers nor payload is a pure packet rule; it sees
    // the protocol only from the packet on which Suricata's IDS-mode
    // reassembly hands the detecting bytes to the app layer (proto_acked).
    if (!r.tx_rule && !r.has_payload && f && p.l4 == L4::kTcp && !(fs && fs->app_acked))
      a = AppProto::kUnknown;
    if (!(r.app_mask & kAppBit(a))) return false;
  }
  return true;
}

bool pkt_opts_ok(const Rule& r, const PktCtx& c) {
  for (auto& o : r.pkt_opts)
    if (!o->match(c)) return false;
  return true;
}

bool bits_ok(const Rule& r, const RuleFlowState* fs) {
  for (auto& b : r.flowbits) {
    if (!b.is_condition()) continue;
    bool want = b.cmd == BitOp::kIsset;
    if (b.any_of) {
      bool any = false;
      for (auto h : b.names) any = any || (fs && fs->has_bit(h));
      if (want ? !any : any) return false;
    } else {
      for (auto h : b.names) {
        bool has = fs && fs->has_bit(h);
        if (has != want) return false;
      }
    }
  }
  for (auto& i : r.flowints) {
    if (!i.is_condition()) continue;
    const int64_t* v = fs ? const_cast<RuleFlowState*>(fs)->find_int(i.name) : nullptr;
    if (i.cmd == IntVarOp::kIsset && !v) return false;
    if (i.cmd == IntVarOp::kIsnotset && v) return false;
    if (i.cmd == IntVarOp::kCmp) {
      if (!v) return false;
      IntCmp c = i.cmp;
      if (i.var_src) {
        const int64_t* o = const_cast<RuleFlowState*>(fs)->find_int(i.var_src);
        if (!o) return false;
        c.a = *o;
      }
      if (!c.eval(*v)) return false;
    }
  }
  return true;
}

bool xbits_ok(const Engine::Impl& e, const Rule& r, const Packet& p) {
  return r.xbits.empty() || e.xbits->check(r, p);
}

void apply_bits(const Rule& r, RuleFlowState* fs) {
  if (!fs) return;
  for (auto& b : r.flowbits) {
    for (auto h : b.names) {
      switch (b.cmd) {
        case BitOp::kSet:
          fs->set_bit(h);
          break;
        case BitOp::kUnset:
          fs->unset_bit(h);
          break;
        case BitOp::kToggle:
          if (fs->has_bit(h))
            fs->unset_bit(h);
          else
            fs->set_bit(h);
          break;
        default:
          break;
      }
    }
  }
  for (auto& i : r.flowints) {
    if (i.is_condition()) continue;
    int64_t val = i.value;
    if (i.var_src) {
      const int64_t* o = fs->find_int(i.var_src);
      if (!o) continue;
      val = *o;
    }
    int64_t* v = fs->find_int(i.name);
    if (!v) {
      if (i.cmd != IntVarOp::kSet && i.cmd != IntVarOp::kAdd) continue;
      if (fs->ints.size() >= kMaxFlowbits) continue;
      fs->ints.emplace_back(i.name, 0);
      v = &fs->ints.back().second;
    }
    if (i.cmd == IntVarOp::kSet)
      *v = val;
    else if (i.cmd == IntVarOp::kAdd)
      *v += val;
    else if (i.cmd == IntVarOp::kSub)
      *v -= val;
  }
}

RuleFlowState* flow_state(FlowView* f) {
  if (!f) return nullptr;
  if (!f->detect) f->detect = std::make_unique<RuleFlowState>();
  return static_cast<RuleFlowState*>(f->detect.get());
}

// Runs one list over [data,len), transforms applied.
bool run_list(const BufferList& l, const uint8_t* data, size_t len, WorkerState& w, size_t* end) {
  BufCtx c;
  if (!l.transforms.empty()) {
    apply_transforms(l, data, len, w.xform);
    c.data = reinterpret_cast<const uint8_t*>(w.xform.data());
    c.len = w.xform.size();
  } else {
    c.data = data;
    c.len = len;
  }
  bool ok = match_list(l, c, end);
  if (c.budget_exhausted) ++w.counters.backtrack_limit;
  return ok;
}

// A packet buffer (is_packet_buffer): the address bytes of ip.src / ip.dst,
// taken from the inspected direction's view (the packet behind stream or
// transaction data may travel the other way).
// tcp.hdr: the TCP header of the packet itself, options included; absent
// (*present false) when the packet has none (not TCP, or cut short).
std::span<const uint8_t> packet_buffer(const View& v, const Packet& p, BufferId id, bool* present) {
  *present = true;
  if (id == BufferId::kTcpHdr) {
    size_t off = p.ip_hlen, n = p.tcp.hlen;
    if (p.l4 != L4::kTcp || n < 20 || off + n > p.l3.size()) {
      *present = false;
      return {};
    }
    return p.l3.subspan(off, n);
  }
  const IpAddr& a = id == BufferId::kIpSrc ? v.src : v.dst;
  return {a.b.data(), a.len()};
}

// The rule's packet-buffer lists (ip.src; dataset:... and the like).
bool packet_buffers_ok(const Rule& r, const View& v, const Packet& p, WorkerState& w) {
  for (auto& l : r.buffers) {
    if (l.slot < 0 || !is_packet_buffer(BufferId(l.slot))) continue;
    bool present = false;
    auto b = packet_buffer(v, p, BufferId(l.slot), &present);
    if (!present || !run_list(l, b.data(), b.size(), w, nullptr)) return false;
  }
  return true;
}

int hs_on_match(unsigned int id, unsigned long long, unsigned long long, unsigned int, void* ctx) {
  static_cast<WorkerState*>(ctx)->hits.push_back(id);
  return 0;
}

void add_candidate(WorkerState& w, uint32_t idx) {
  if (w.seen_epoch[idx] == w.epoch) return;
  w.seen_epoch[idx] = w.epoch;
  w.candidates.push_back(idx);
}

void begin_candidates(WorkerState& w) {
  w.candidates.clear();
  if (++w.epoch == 0) {
    std::fill(w.seen_epoch.begin(), w.seen_epoch.end(), 0);
    for (auto& e : w.class_epoch) std::fill(e.begin(), e.end(), 0);
    w.epoch = 1;
  }
}

// The rule's gate (engine_impl.h) for a view of this call: false when its
// flow direction or its address lists rule the view out. `view` 0 or 1 names
// the view for the per-call cache of address answers (inspect_tx has two).
bool gate_ok(const Engine::Impl& impl, WorkerState& w, uint32_t idx, bool to_server, const IpAddr& src,
             const IpAddr& dst, int view) {
  const RuleGate& g = impl.gates[idx];
  if (!(g.flow_dirs & (to_server ? 1 : 2))) return false;
  if (g.addr_class == 0) return true;
  uint32_t& seen = w.class_epoch[view][g.addr_class];
  uint8_t& ok = w.class_ok[view][g.addr_class];
  if (seen != w.epoch) {
    seen = w.epoch;
    ok = impl.addr_classes[g.addr_class].admits(src, dst);
  }
  return ok != 0;
}

void prefilter(const PatternDb& db, const uint8_t* data, size_t len, WorkerState& w) {
  for (auto idx : db.always) add_candidate(w, idx);
  if (!db.db || len == 0) return;
  w.counters.prefilter_packet_bytes += len;
  w.hits.clear();
  hs_scan(db.db, reinterpret_cast<const char*>(data), unsigned(std::min<size_t>(len, 0xffffffffu)), 0,
          w.scratch, hs_on_match, &w);
  for (auto id : w.hits)
    for (auto idx : db.pattern_rules[id]) add_candidate(w, idx);
}

// The groups a packet with these ports meets (any, destination port, source
// port), without repeats; returns how many.
int port_groups(const PortGroups& pg, uint16_t sp, uint16_t dp, const Group* out[3]) {
  int n = 0;
  out[n++] = &pg.any;
  const Group* d = pg.dp_group(dp);
  if (d) out[n++] = d;
  const Group* s = pg.sp_group(sp);
  if (s && s != d) out[n++] = s;
  return n;
}

bool already_alerted(const WorkerState& w, uint32_t idx) {
  return std::find(w.packet_alerted.begin(), w.packet_alerted.end(), idx) != w.packet_alerted.end();
}

// The stream prefilter. The window is the kept tail plus new bytes; the tail
// was scanned with earlier chunks, so only the new bytes are scanned, with a
// longest-pattern overlap for patterns split across the boundary, and the
// rules hit in earlier chunks whose bytes are still in the window are carried
// over as candidates. A full-window scan (the first chunk after an engine
// swap, or after the carry list overflowed) gives the same candidates.
void stream_prefilter(WorkerState& w, RuleFlowState& fs, int di, const Group* const* gs, int ng, Bytes window,
                      size_t new_from) {
  uint64_t window_end = fs.stream_seen[di] + (window.size() - new_from);
  uint64_t window_start = window_end - window.size();
  fs.stream_seen[di] = window_end;
  auto& carry = fs.carry[di];
  size_t scan_from = 0;
  if (fs.carry_engine == w.engine && !fs.carry_full[di]) {
    size_t overlap = 0;
    for (int i = 0; i < ng; ++i) overlap = std::max(overlap, gs[i]->payload[di].max_len);
    overlap = overlap > 0 ? overlap - 1 : 0;
    scan_from = new_from > overlap ? new_from - overlap : 0;
    size_t keep = 0;
    for (auto& c : carry) {
      if (c.end <= window_start) continue;
      add_candidate(w, c.rule);
      carry[keep++] = c;
    }
    carry.resize(keep);
  } else {
    carry.clear();
    fs.carry_full[di] = false;
    if (fs.carry_engine != w.engine) {
      fs.carry_engine = w.engine;
      fs.carry[1 - di].clear();
      fs.carry_full[1 - di] = true;  // its indexes were another engine's: rescan it whole
    }
  }
  for (int i = 0; i < ng; ++i) {
    const PatternDb& db = gs[i]->payload[di];
    for (auto idx : db.always) add_candidate(w, idx);
    if (!db.db || scan_from >= window.size()) continue;
    w.counters.prefilter_stream_bytes += window.size() - scan_from;
    w.hits.clear();
    hs_scan(db.db, reinterpret_cast<const char*>(window.data() + scan_from),
            unsigned(window.size() - scan_from), 0, w.scratch, hs_on_match, &w);
    for (auto id : w.hits) {
      for (auto idx : db.pattern_rules[id]) {
        add_candidate(w, idx);
        if (fs.carry_full[di]) continue;
        // Carried until the window no longer holds any byte of this chunk:
        // the hit's own end is not known (single-match patterns report only
        // the first occurrence), so the chunk's end stands for it.
        auto it =
            std::find_if(carry.begin(), carry.end(), [&](const StreamCarry& c) { return c.rule == idx; });
        if (it != carry.end()) {
          it->end = window_end;
        } else if (carry.size() < kMaxStreamCarry) {
          carry.push_back({idx, window_end});
        } else {
          fs.carry_full[di] = true;
          carry.clear();
        }
      }
    }
  }
}
}  // namespace

int buffer_dir(int slot) {
  switch (BufferId(slot)) {
    case BufferId::kHttpMethod:
    case BufferId::kHttpUri:
    case BufferId::kHttpUriRaw:
    case BufferId::kHttpRequestLine:
    case BufferId::kHttpHost:
    case BufferId::kHttpHostRaw:
    case BufferId::kHttpUserAgent:
    case BufferId::kHttpCookie:
    case BufferId::kHttpReferer:
    case BufferId::kHttpAccept:
    case BufferId::kHttpAcceptEnc:
    case BufferId::kHttpAcceptLang:
    case BufferId::kHttpRequestHeader:
    case BufferId::kHttpRequestBody:
    case BufferId::kDnsQuery:
    case BufferId::kTlsSni:
    case BufferId::kJa3Hash:
    case BufferId::kJa3String:
    case BufferId::kJa4Hash:
    case BufferId::kFtpCommand:
    case BufferId::kFtpCommandData:
    case BufferId::kSmbShare:
    case BufferId::kSmbNamedPipe:
    case BufferId::kSmbNtlmsspUser:
    case BufferId::kSmbNtlmsspDomain:
      return 0;
    case BufferId::kHttpStatCode:
    case BufferId::kHttpStatMsg:
    case BufferId::kHttpResponseLine:
    case BufferId::kHttpResponseHeader:
    case BufferId::kHttpResponseBody:
    case BufferId::kHttpServer:
    case BufferId::kHttpLocation:
    case BufferId::kDnsAnswerName:
    case BufferId::kJa3sHash:
    case BufferId::kJa3sString:
      return 1;
    default:
      return -1;
  }
}

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {
  static std::atomic<uint64_t> serials{0};
  impl_->serial = ++serials;
}
Engine::~Engine() = default;

size_t Engine::rule_count() const {
  return impl_->rules.size();
}

std::unique_ptr<WorkerState, void (*)(WorkerState*)> Engine::new_worker() const {
  std::unique_ptr<WorkerState, void (*)(WorkerState*)> w(new WorkerState, [](WorkerState* p) { delete p; });
  w->engine = this;
  w->engine_serial = impl_->serial;
  if (impl_->proto_scratch) hs_clone_scratch(impl_->proto_scratch, &w->scratch);
  w->seen_epoch.assign(impl_->rules.size(), 0);
  for (int i = 0; i < 2; ++i) {
    w->class_epoch[i].assign(impl_->addr_classes.size(), 0);
    w->class_ok[i].assign(impl_->addr_classes.size(), 0);
  }
  w->candidates.reserve(256);
  w->hits.reserve(256);
  w->packet_alerted.reserve(16);
  return w;
}

void Engine::save_state() const {
  for (auto& d : impl_->datasets) d->persist();
}

const DetectCounters& Engine::counters(const WorkerState& w) const {
  return w.counters;
}

void Engine::end_packet(WorkerState& w) const {
  w.packet_alerted.clear();
  w.reuse_for = nullptr;
}

namespace {

// Decides whether the matched rule writes an alert (thresholds, suppressions,
// noalert, pass) and writes it.
void fire(const Engine::Impl& e, const Rule& r, const Packet& p, const FlowView* f, RuleFlowState* fs,
          const Transaction* tx, Bytes stream_data, AlertSink& out) {
  apply_bits(r, fs);
  if (!r.xbits.empty()) e.xbits->apply(r, p);
  if (r.action == Action::kPass) {
    if (fs) fs->passed = true;
    return;
  }
  if (r.noalert) return;
  uint64_t flow_id = f ? f->flow_id : 0;
  for (auto si : e.rule_suppress[r.index]) {
    auto& s = e.threshold_cfg.entries[si];
    if (s.suppress_any) return;
    const IpAddr& a = s.suppress_by_dst ? p.dst : p.src;
    if (s.ip.contains(a)) return;
  }
  if (r.detection_filter && !e.thresholds->check(*r.detection_filter, r.gid, r.sid, p, flow_id, true)) return;
  int32_t tc = e.rule_threshold[r.index];
  if (tc >= 0) {
    if (!e.thresholds->check(e.threshold_cfg.entries[size_t(tc)].spec, r.gid, r.sid, p, flow_id, false))
      return;
  } else if (r.threshold && !e.thresholds->check(*r.threshold, r.gid, r.sid, p, flow_id, false)) {
    return;
  }
  AlertEvent a;
  a.gid = r.gid;
  a.sid = r.sid;
  a.rev = r.rev;
  a.msg = r.msg;
  a.category = r.category;
  a.severity = r.priority;
  a.action = "allowed";
  a.metadata = &r.metadata;
  a.packet = &p;
  a.flow = f;
  a.tx = tx;
  a.stream_data = stream_data;
  out.alert(a);
}

// In IDS mode Suricata gives a TCP direction's bytes to the app layer when
// the peer acknowledges them: the flow's protocol becomes known on the first
// packet of the other direction after the session is established (not on the
// SYN/ACK that acknowledges fast-open data), or on a RST of the same
// direction. Vigil's parsers see the bytes as they arrive; packet rules wait
// for this point, so that they alert on the same packets.
bool proto_acked(const Packet& p, const FlowView& f, bool was_established) {
  AppProto own = p.to_server ? f.app_proto_ts : f.app_proto_tc;
  AppProto peer = p.to_server ? f.app_proto_tc : f.app_proto_ts;
  if (was_established && peer != AppProto::kUnknown) return true;
  return (p.tcp.flags & kTcpRst) && own != AppProto::kUnknown;
}

View packet_view(const Packet& p) {
  return View{p.src, p.dst, p.sp, p.dp, p.flow ? p.to_server : true};
}

bool header_ok(const Rule& r, const Packet& p, const View& v, const PktCtx& c, int est_override = -1) {
  return proto_ok(r, p) && addr_ok(r, v) && flow_ok(r, p, c.flow, c.fs, v.to_server, est_override) &&
         pkt_opts_ok(r, c);
}

// A rule with both a payload part and app-layer buffers (content:X;
// file_data; content:Y;): Suricata matches the payload part against the
// stream as it arrives and keeps that match while the transaction's buffers
// complete later. Vigil remembers per flow that the payload part matched on
// some packet or stream chunk (a mark under this pseudo transaction id), and
// the transaction inspection accepts the payload part then.
constexpr uint64_t kPayloadSeenTx = ~uint64_t{0};

void note_payload_seen(const Rule& r, RuleFlowState* fs, const uint8_t* data, size_t len, WorkerState& w) {
  uint64_t key = (uint64_t(r.gid) << 32) | r.sid;
  if (!fs || fs->tx_marked(kPayloadSeenTx, key)) return;
  if (run_list(*r.list_for(kSlotPayload), data, len, w, nullptr)) fs->mark_tx(kPayloadSeenTx, key);
}

// The address index's lists for p's source and destination. A packet
// between its flow's two addresses (not an ICMP error the flow was given)
// takes them from the flow's memo.
void addr_lists(const Engine::Impl& impl, const WorkerState& w, GroupId gid, const Packet& p,
                const FlowView* f, RuleFlowState* fs, const std::vector<uint32_t>* out[2]) {
  const AddrIndex& si = impl.src_index[gid];
  const AddrIndex& dsti = impl.dst_index[gid];
  int side = -1;
  if (f && fs) {
    if (p.src == f->client && p.dst == f->server)
      side = 0;
    else if (p.src == f->server && p.dst == f->client)
      side = 1;
  }
  if (side < 0) {
    out[0] = si.find(p.src);
    out[1] = dsti.find(p.dst);
    return;
  }
  auto& m = fs->addr_memo;
  if (m.engine_serial != w.engine_serial || m.group != gid) {
    m.engine_serial = w.engine_serial;
    m.group = gid;
    m.lists[0] = si.find(f->client);
    m.lists[1] = dsti.find(f->server);
    m.lists[2] = si.find(f->server);
    m.lists[3] = dsti.find(f->client);
  }
  out[0] = m.lists[2 * side];
  out[1] = m.lists[2 * side + 1];
}

}  // namespace

void Engine::inspect_packet(WorkerState& w, const Packet& p, AlertSink& out) const {
  if (p.invalid || p.ip_version == 0) return;
  ++w.counters.packet_inspections;
  FlowView* f = p.flow;
  RuleFlowState* fs = f ? static_cast<RuleFlowState*>(f->detect.get()) : nullptr;
  if (fs && fs->passed) return;
  int est = -1;
  if (f && p.l4 == L4::kTcp) {
    if (!fs) fs = flow_state(f);
    est = fs->was_established ? 1 : 0;
    fs->was_established = f->state == FlowState::kEstablished;
    if (!fs->app_acked) fs->app_acked = proto_acked(p, *f, est == 1);
  }
  const GroupId gid = group_of(p);
  const Group* gs[3];
  int ng = port_groups(impl_->groups[gid], p.sp, p.dp, gs);
  begin_candidates(w);
  for (int i = 0; i < ng; ++i)
    for (auto idx : gs[i]->header) add_candidate(w, idx);
  const std::vector<uint32_t>* by_addr[2];
  addr_lists(*impl_, w, gid, p, f, fs, by_addr);
  for (auto* l : by_addr)
    if (l)
      for (auto idx : *l) add_candidate(w, idx);
  bool tcp_stream = p.l4 == L4::kTcp && f && f->tcp_view.tracked;
  // Encrypted TLS (app-layer.tls.encryption-handling: default): header
  // rules only, as in Suricata.
  bool payload_off = f && f->no_payload_inspection;
  View v = packet_view(p);
  const int pd = v.to_server ? 0 : 1;
  if (!payload_off && w.reuse_for == &p && w.reuse_dir == pd && !p.payload.empty()) {
    for (auto idx : w.reuse_candidates) add_candidate(w, idx);
  } else if (!payload_off) {
    for (int i = 0; i < ng; ++i) {
      if (!p.payload.empty())
        prefilter(gs[i]->payload[pd], p.payload.data(), p.payload.size(), w);
      else
        for (auto idx : gs[i]->payload[pd].always) add_candidate(w, idx);
    }
  }
  std::sort(w.candidates.begin(), w.candidates.end());
  w.counters.prefilter_candidates += w.candidates.size();
  for (auto idx : w.candidates) {
    if (!gate_ok(*impl_, w, idx, v.to_server, v.src, v.dst, 0)) continue;
    const Rule& r = *impl_->rules[idx];
    if (r.tx_rule) {
      if (r.has_payload && f && !payload_off && !p.payload.empty()) {
        if (!fs) fs = flow_state(f);
        PktCtx c{&p, f, fs, v.to_server, false};
        if (header_ok(r, p, v, c, est)) note_payload_seen(r, fs, p.payload.data(), p.payload.size(), w);
      }
      continue;
    }
    if (r.has_payload && tcp_stream && r.stream == StreamSel::kStreamOnly) continue;
    if (already_alerted(w, idx)) continue;
    if (r.ip_only && f && (p.to_server ? f->pkts_toserver : f->pkts_toclient) > 1) continue;
    if (r.has_payload && payload_off) continue;
    ++w.counters.rules_checked;
    if (!fs && f && (r.sets_bits || !r.flowbits.empty() || !r.flowints.empty())) fs = flow_state(f);
    PktCtx c{&p, f, fs, v.to_server, false};
    if (!header_ok(r, p, v, c, est)) continue;
    if (r.has_payload) {
      const BufferList* l = r.list_for(kSlotPayload);
      if (!run_list(*l, p.payload.data(), p.payload.size(), w, nullptr)) continue;
    }
    if (!packet_buffers_ok(r, v, p, w)) continue;
    if (!bits_ok(r, fs) || !xbits_ok(*impl_, r, p)) continue;
    fire(*impl_, r, p, f, fs, nullptr, {}, out);
    if (r.action == Action::kPass) break;
  }
  // This packet was the one protocol-detection-only rules see for its
  // direction (Suricata's PKT_PROTO_DETECT_TS_DONE / _TC_DONE).
  if (f) f->proto_done_pending[v.to_server ? 0 : 1] = false;
}

void Engine::inspect_stream(WorkerState& w, const Packet& p, FlowView& f, Dir d, Bytes window,
                            size_t new_from, AlertSink& out, bool new_is_payload) const {
  if (f.no_payload_inspection) return;
  RuleFlowState* fs = flow_state(&f);
  if (fs->passed || window.empty()) return;
  ++w.counters.stream_inspections;
  View v{d == Dir::kToServer ? f.client : f.server, d == Dir::kToServer ? f.server : f.client,
         d == Dir::kToServer ? f.client_port : f.server_port,
         d == Dir::kToServer ? f.server_port : f.client_port, d == Dir::kToServer};
  const Group* gs[3];
  int ng = port_groups(impl_->groups[kGroupTcp], v.sp, v.dp, gs);
  begin_candidates(w);
  stream_prefilter(w, *fs, int(d), gs, ng, window, new_from);
  std::sort(w.candidates.begin(), w.candidates.end());
  if (new_is_payload) {
    w.reuse_for = &p;
    w.reuse_dir = int(d);
    w.reuse_candidates = w.candidates;
  }
  w.counters.prefilter_candidates += w.candidates.size();
  for (auto idx : w.candidates) {
    if (!gate_ok(*impl_, w, idx, v.to_server, v.src, v.dst, 0)) continue;
    const Rule& r = *impl_->rules[idx];
    if (r.tx_rule && r.has_payload) {
      PktCtx c{&p, &f, fs, v.to_server, true};
      if (header_ok(r, p, v, c)) note_payload_seen(r, fs, window.data(), window.size(), w);
      continue;
    }
    if (r.tx_rule || !r.has_payload || r.stream == StreamSel::kPacketOnly) continue;
    ++w.counters.rules_checked;
    PktCtx c{&p, &f, fs, v.to_server, true};
    if (!header_ok(r, p, v, c)) continue;
    size_t end = 0;
    if (!run_list(*r.list_for(kSlotPayload), window.data(), window.size(), w, &end)) continue;
    if (end <= new_from) continue;  // matched bytes already inspected with an earlier packet
    if (!packet_buffers_ok(r, v, p, w)) continue;
    if (!bits_ok(r, fs) || !xbits_ok(*impl_, r, p)) continue;
    w.packet_alerted.push_back(idx);
    fire(*impl_, r, p, &f, fs, nullptr, window, out);
    if (r.action == Action::kPass) break;
  }
}

void Engine::inspect_tx(WorkerState& w, const Packet& p, FlowView& f, Dir d, const Transaction& tx,
                        AlertSink& out) const {
  RuleFlowState* fs = flow_state(&f);
  if (fs->passed) return;
  ++w.counters.tx_inspections;
  const PortGroups& pg = impl_->groups[f.proto == 6 ? kGroupTcp : f.proto == 17 ? kGroupUdp : kGroupOther];
  // A tx rule is checked in the direction of its buffers: both port views.
  const Group* gs[5];
  int ng = port_groups(pg, f.client_port, f.server_port, gs);
  const Group* rev[3];
  int nr = port_groups(pg, f.server_port, f.client_port, rev);
  for (int i = 1; i < nr; ++i)
    if (std::find(gs, gs + ng, rev[i]) == gs + ng) gs[ng++] = rev[i];
  begin_candidates(w);
  TxScanMemo& memo = fs->tx_memo;
  if (memo.tx_id != tx.tx_id() || memo.engine != w.engine) {
    memo.tx_id = tx.tx_id();
    memo.engine = w.engine;
    memo.scanned.clear();
    memo.hits.clear();
    memo.overflow = false;
  }
  for (auto idx : memo.hits) add_candidate(w, idx);
  for (int gi = 0; gi < ng; ++gi) {
    const Group& g = *gs[gi];
    for (auto idx : g.tx_always) add_candidate(w, idx);
    // Each database scans its buffer in its own direction: a buffer of
    // both directions (file.data) has one database per direction, holding
    // the rules that can read it there (tx_scan_dirs).
    for (auto [slot, sd, db] : g.tx_list) {
      size_t n = tx.buffer_count(slot, sd);
      if (n == 0) continue;
      for (auto idx : db->always) add_candidate(w, idx);
      if (!db->db) continue;
      // Skip buffers that did not change since this transaction's last
      // scan: the parser's version of the buffer where it keeps one (hashing
      // every buffer on every update was 2% of a run with ET Open), else the
      // buffers' contents. Not their addresses: an address says nothing
      // about the bytes once the parser reallocates (a new buffer can land
      // where the old one was), and it made the candidates depend on the
      // heap's layout, i.e. on the worker count and the configuration.
      uint64_t sig = 0;
      if (!tx.buffer_version(slot, sd, &sig)) {
        sig = 1469598103934665603ull ^ n;
        for (size_t i = 0; i < n; ++i) {
          auto b = tx.buffer(slot, sd, i);
          uint64_t content = std::hash<std::string_view>{}(
              std::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
          for (uint64_t part : {uint64_t(b.size()), content}) sig = (sig ^ part) * 1099511628211ull;
        }
      }
      auto seen = std::find_if(memo.scanned.begin(), memo.scanned.end(),
                               [db = db](const auto& e) { return e.first == db; });
      if (!memo.overflow && seen != memo.scanned.end() && seen->second == sig) continue;
      if (seen != memo.scanned.end())
        seen->second = sig;
      else
        memo.scanned.emplace_back(db, sig);
      for (size_t i = 0; i < n; ++i) {
        auto b = tx.buffer(slot, sd, i);
        if (b.empty()) continue;
        w.counters.prefilter_tx_bytes += b.size();
        w.hits.clear();
        hs_scan(db->db, reinterpret_cast<const char*>(b.data()), unsigned(b.size()), 0, w.scratch,
                hs_on_match, &w);
        for (auto id : w.hits) {
          for (auto idx : db->pattern_rules[id]) {
            // Not yet a candidate of this call means not in memo.hits either
            // (those were added first).
            bool fresh = w.seen_epoch[idx] != w.epoch;
            add_candidate(w, idx);
            if (memo.overflow || !fresh) continue;
            if (memo.hits.size() >= kMaxTxMemoHits) {
              memo.overflow = true;
              memo.hits.clear();
            } else {
              memo.hits.push_back(idx);
            }
          }
        }
      }
    }
  }
  std::sort(w.candidates.begin(), w.candidates.end());
  w.counters.prefilter_candidates += w.candidates.size();
  for (auto idx : w.candidates) {
    // The rule's direction: that of its first one-directional buffer, else d.
    const int8_t gd = impl_->gates[idx].tx_dir;
    const Dir rd = gd < 0 ? d : Dir(gd);
    const bool ts = rd == Dir::kToServer;
    if (!gate_ok(*impl_, w, idx, ts, ts ? f.client : f.server, ts ? f.server : f.client, ts ? 0 : 1))
      continue;
    const Rule& r = *impl_->rules[idx];
    uint64_t key = (uint64_t(r.gid) << 32) | r.sid;
    if (fs->tx_marked(tx.tx_id(), key)) continue;
    ++w.counters.rules_checked;
    View v{ts ? f.client : f.server, ts ? f.server : f.client, ts ? f.client_port : f.server_port,
           ts ? f.server_port : f.client_port, ts};
    PktCtx c{&p, &f, fs, ts, false};
    if (!proto_ok(r, p) || !addr_ok(r, v) || !flow_ok(r, p, &f, fs, ts) || !pkt_opts_ok(r, c)) continue;
    bool ok = true;
    for (auto& l : r.buffers) {
      if (l.slot == kSlotPayload) {
        ok =
            run_list(l, p.payload.data(), p.payload.size(), w, nullptr) || fs->tx_marked(kPayloadSeenTx, key);
      } else if (is_packet_buffer(BufferId(l.slot))) {
        bool present = false;
        auto b = packet_buffer(v, p, BufferId(l.slot), &present);
        ok = present && run_list(l, b.data(), b.size(), w, nullptr);
      } else {
        int bd = buffer_dir(l.slot);
        Dir sd = bd < 0 ? rd : Dir(bd);
        size_t n = tx.buffer_count(BufferId(l.slot), sd);
        ok = false;
        for (size_t i = 0; i < n && !ok; ++i) {
          auto b = tx.buffer(BufferId(l.slot), sd, i);
          ok = run_list(l, b.data(), b.size(), w, nullptr);
        }
      }
      if (!ok) break;
    }
    for (size_t i = 0; ok && i < r.tx_ints.size(); ++i) {
      const TxIntCond& ti = r.tx_ints[i];
      int64_t v = 0;
      ok = tx.integer(ti.field, ti.dir < 0 ? rd : Dir(ti.dir), &v) &&
           ti.cmp.eval(ti.mask < 0 ? v : v & ti.mask);
    }
    for (size_t i = 0; ok && i < r.dcerpc.size(); ++i) ok = dcerpc_match(r.dcerpc[i], tx);
    if (!ok || !bits_ok(r, fs) || !xbits_ok(*impl_, r, p)) continue;
    if (!fs->mark_tx(tx.tx_id(), key)) ++w.counters.tx_marks_full;
    if (r.filestore) tx.request_filestore(rd, r.sid);
    fire(*impl_, r, p, &f, fs, &tx, {}, out);
    if (r.action == Action::kPass) break;
  }
}

const std::vector<uint32_t>* AddrIndex::find(const IpAddr& a) const {
  if (starts.empty()) return nullptr;
  U128 k = addr_key(a);
  auto it = std::upper_bound(starts.begin(), starts.end(), k);
  if (it == starts.begin()) return nullptr;
  size_t i = size_t(it - starts.begin()) - 1;
  return i < lists.size() && !lists[i].empty() ? &lists[i] : nullptr;
}

}  // namespace vigil::rules

#include "agent/flow/flow_table.h"

#include <algorithm>
#include <new>
#include <vector>

#include "agent/flow/flow_counters.h"
#include "agent/flow/flow_key.h"
#include "agent/flow/segment_pool.h"
#include "agent/flow/tcp_session.h"

namespace vigil {

namespace {

// Flows wait for their timeout in one list per (protocol, state): within a
// list every flow has the same timeout, so ordering by last activity orders
// by deadline and expiry only looks at list heads.
enum TimeoutClass : uint8_t {
  kTcpNew,
  kTcpEst,
  kTcpClosed,
  kUdpNew,
  kUdpEst,
  kOtherNew,
  kOtherEst,
  kClasses
};

struct Node {
  Flow flow;
  FlowKey key;
  uint64_t hash = 0;
  Node* chain = nullptr;  // hash bucket chain; free list link when unused
  Node* prev = nullptr;   // timeout list
  Node* next = nullptr;
  uint8_t tclass = kClasses;
};

struct List {
  Node* head = nullptr;
  Node* tail = nullptr;
};

constexpr size_t kBlock = 256;  // flows allocated together while the table grows

// The hash table starts small and doubles (rehashing every flow) whenever
// there are more flows than buckets, up to the size flow.max-flows calls for:
// an idle agent holds a few KiB instead of 8 bytes per configured flow, and
// the rehash costs O(flows) once per doubling (amortised O(1) per flow).
constexpr size_t kInitialBuckets = 1024;

size_t bucket_count(uint32_t max_flows) {
  size_t n = kInitialBuckets;
  while (n < max_flows && n < (size_t(1) << 22)) n <<= 1;
  return n;
}

}  // namespace

struct FlowTable::Impl {
  Impl(const FlowConfig& c, StreamSink& s, FlowEndSink& e)
      : cfg(c),
        sink(s),
        end(e),
        pool(c.reassembly_memcap),
        max_buckets(bucket_count(c.max_flows)),
        buckets(std::min(kInitialBuckets, max_buckets), nullptr) {
    timeout_s[kTcpNew] = cfg.tcp_new_timeout;
    timeout_s[kTcpEst] = cfg.tcp_est_timeout;
    timeout_s[kTcpClosed] = cfg.tcp_closed_timeout;
    timeout_s[kUdpNew] = cfg.udp_new_timeout;
    timeout_s[kUdpEst] = cfg.udp_est_timeout;
    timeout_s[kOtherNew] = cfg.other_new_timeout;
    timeout_s[kOtherEst] = cfg.other_est_timeout;
  }
  ~Impl();

  TcpContext ctx() { return TcpContext{cfg, sink, pool, ctr}; }
  Node* find(const FlowKey& k, uint64_t h) const;
  Node* create(const Packet& p, const FlowKey& k, uint64_t h);
  void end_flow(Node* n, FlowEndReason reason, Timestamp now);
  bool account(Node* n, Packet& p);
  void recycle(Node* n);
  void grow_buckets();
  uint64_t memuse() const;
  void unlink_hash(Node* n);
  void list_remove(Node* n);
  void list_append(Node* n, uint8_t cls);
  uint8_t class_of(const Flow& f) const;

  FlowConfig cfg;
  StreamSink& sink;
  FlowEndSink& end;
  FlowCounters ctr;
  SegmentPool pool;
  size_t max_buckets;
  std::vector<Node*> buckets;  // size a power of two, at most max_buckets
  std::vector<std::unique_ptr<Node[]>> blocks;
  Node* free_nodes = nullptr;
  std::vector<TcpSession*> free_sessions;
  size_t sessions_allocated = 0;
  List lists[kClasses];
  uint32_t timeout_s[kClasses] = {};
  size_t active = 0;
  int64_t next_expire_sec = INT64_MIN;
  Packet pseudo[2];  // flow-end triggers, reused
};

FlowTable::Impl::~Impl() {
  // No callbacks here: the sinks may already be gone. Just give memory back.
  for (auto& l : lists) {
    for (Node* n = l.head; n != nullptr; n = n->next) {
      if (n->flow.tcp) n->flow.tcp->reset(pool);
    }
  }
  for (TcpSession* s : free_sessions) delete s;
}

Node* FlowTable::Impl::find(const FlowKey& k, uint64_t h) const {
  for (Node* n = buckets[h & (buckets.size() - 1)]; n != nullptr; n = n->chain) {
    if (n->hash == h && n->key == k) return n;
  }
  return nullptr;
}

uint8_t FlowTable::Impl::class_of(const Flow& f) const {
  const bool est = f.state != FlowState::kNew;
  switch (f.proto) {
    case 6:
      return f.state == FlowState::kClosed ? kTcpClosed : est ? kTcpEst : kTcpNew;
    case 17:
      return est ? kUdpEst : kUdpNew;
    default:
      return est ? kOtherEst : kOtherNew;
  }
}

void FlowTable::Impl::list_remove(Node* n) {
  if (n->tclass >= kClasses) return;
  List& l = lists[n->tclass];
  (n->prev != nullptr ? n->prev->next : l.head) = n->next;
  (n->next != nullptr ? n->next->prev : l.tail) = n->prev;
  n->prev = n->next = nullptr;
  n->tclass = kClasses;
}

void FlowTable::Impl::list_append(Node* n, uint8_t cls) {
  List& l = lists[cls];
  n->tclass = cls;
  n->prev = l.tail;
  n->next = nullptr;
  (l.tail != nullptr ? l.tail->next : l.head) = n;
  l.tail = n;
}

void FlowTable::Impl::unlink_hash(Node* n) {
  Node** link = &buckets[n->hash & (buckets.size() - 1)];
  while (*link != n) link = &(*link)->chain;
  *link = n->chain;
  n->chain = nullptr;
}

Node* FlowTable::Impl::create(const Packet& p, const FlowKey& k, uint64_t h) {
  if (active >= cfg.max_flows) {
    ctr.flow_memcap_refused++;
    return nullptr;
  }
  if (free_nodes == nullptr) {
    std::unique_ptr<Node[]> block(new (std::nothrow) Node[kBlock]);
    if (!block) {
      ctr.flow_memcap_refused++;
      return nullptr;
    }
    for (size_t i = 0; i < kBlock; ++i) {
      block[i].chain = free_nodes;
      free_nodes = &block[i];
    }
    blocks.push_back(std::move(block));
  }
  const uint8_t proto = flow_proto(p);
  TcpSession* session = nullptr;
  if (proto == 6) {
    if (!free_sessions.empty()) {
      session = free_sessions.back();
      free_sessions.pop_back();
    } else {
      session = new (std::nothrow) TcpSession;
      if (session == nullptr) {
        ctr.flow_memcap_refused++;
        return nullptr;
      }
      sessions_allocated++;
    }
  }
  Node* n = free_nodes;
  free_nodes = n->chain;
  n->key = k;
  n->hash = h;
  Node*& bucket = buckets[h & (buckets.size() - 1)];
  n->chain = bucket;
  bucket = n;

  Flow& f = n->flow;
  // The client sent the first packet, unless that packet is an answer
  // (SYN/ACK, ICMP echo reply): then its receiver is the client.
  bool reverse = false;
  if (proto == 6) reverse = (p.tcp.flags & (kTcpSyn | kTcpAck)) == (kTcpSyn | kTcpAck);
  if (p.l4 == L4::kIcmp || p.l4 == L4::kIcmpv6) reverse = icmp_is_reply(proto, p.icmp.type);
  const bool ports = p.l4 == L4::kTcp || p.l4 == L4::kUdp;
  f.client = reverse ? p.dst : p.src;
  f.server = reverse ? p.src : p.dst;
  if (ports) {
    f.client_port = reverse ? p.dp : p.sp;
    f.server_port = reverse ? p.sp : p.dp;
  }
  f.proto = proto;
  f.vlan_count = p.vlan_count;
  f.vlan_id[0] = k.vlan[0];
  f.vlan_id[1] = k.vlan[1];
  f.flow_id = make_flow_id(h, p.ts);
  f.start = f.last_seen = p.ts;
  f.tcp.reset(session);

  ctr.flow_total++;
  switch (p.l4) {
    case L4::kTcp:
      ctr.flow_tcp++;
      break;
    case L4::kUdp:
      ctr.flow_udp++;
      break;
    case L4::kIcmp:
      ctr.flow_icmpv4++;
      break;
    case L4::kIcmpv6:
      ctr.flow_icmpv6++;
      break;
    default:
      ctr.flow_other++;
      break;
  }
  active++;
  list_append(n, class_of(f));
  if (active > buckets.size() && buckets.size() < max_buckets) grow_buckets();
  return n;
}

void FlowTable::Impl::grow_buckets() {
  std::vector<Node*> next;
  try {
    next.assign(buckets.size() * 2, nullptr);
  } catch (const std::bad_alloc&) {
    return;  // longer chains, still correct; tried again at the next new flow
  }
  const size_t mask = next.size() - 1;
  for (Node* head : buckets) {
    while (head != nullptr) {
      Node* n = head;
      head = n->chain;
      n->chain = next[n->hash & mask];
      next[n->hash & mask] = n;
    }
  }
  buckets.swap(next);
}

uint64_t FlowTable::Impl::memuse() const {
  return buckets.capacity() * sizeof(Node*) + blocks.size() * kBlock * sizeof(Node) +
         sessions_allocated * sizeof(TcpSession);
}

void FlowTable::Impl::end_flow(Node* n, FlowEndReason reason, Timestamp now) {
  Flow& f = n->flow;
  if (f.tcp) {
    for (int d = 0; d < 2; ++d) {
      Packet& ps = pseudo[d];
      ps = Packet();
      const bool ts = d == int(Dir::kToServer);
      ps.ts = now;
      ps.ip_version = f.client.family;
      ps.src = ts ? f.client : f.server;
      ps.dst = ts ? f.server : f.client;
      ps.sp = ts ? f.client_port : f.server_port;
      ps.dp = ts ? f.server_port : f.client_port;
      ps.ip_proto = f.proto;
      ps.l4 = L4::kTcp;
      ps.flow = &f;
      ps.to_server = ts;
    }
    TcpContext c = ctx();
    f.tcp->flush(c, f, pseudo[0], pseudo[1]);
  }
  end.on_flow_end(f, reason, now);
  switch (reason) {
    case FlowEndReason::kTimeout:
      ctr.flow_end_timeout++;
      break;
    case FlowEndReason::kShutdown:
      ctr.flow_end_shutdown++;
      break;
    case FlowEndReason::kForced:
      ctr.flow_end_forced++;
      break;
  }
  recycle(n);
}

void FlowTable::Impl::recycle(Node* n) {
  list_remove(n);
  unlink_hash(n);
  if (n->flow.tcp) {
    TcpSession* s = n->flow.tcp.release();
    s->reset(pool);
    free_sessions.push_back(s);
  }
  // A fresh Flow in the same storage: every field back to its default, and
  // the app-layer and detection states owned by the flow released.
  n->flow.~Flow();
  new (&n->flow) Flow();
  n->chain = free_nodes;
  free_nodes = n;
  active--;
}

FlowTable::FlowTable(const FlowConfig& cfg, StreamSink& stream, FlowEndSink& end)
    : impl_(std::make_unique<Impl>(cfg, stream, end)) {}

FlowTable::~FlowTable() = default;

// Counts p in its flow and sets p.flow / p.to_server; returns p.to_server.
bool FlowTable::Impl::account(Node* n, Packet& p) {
  Flow& f = n->flow;
  const bool ports = p.l4 == L4::kTcp || p.l4 == L4::kUdp;
  const bool to_server = p.src == f.client && (!ports || p.sp == f.client_port);
  p.flow = &f;
  p.to_server = to_server;
  if (f.last_seen < p.ts) f.last_seen = p.ts;
  const uint64_t bytes = !p.frame.empty() ? p.frame.size() : p.l3.size();
  if (to_server) {
    f.pkts_toserver++;
    f.bytes_toserver += bytes;
  } else {
    f.pkts_toclient++;
    f.bytes_toclient += bytes;
  }
  return to_server;
}

Flow* FlowTable::process(Packet& p) {
  Impl& m = *impl_;
  p.flow = nullptr;
  FlowKey k;
  uint64_t quote = 0;
  if ((p.l4 == L4::kIcmp || p.l4 == L4::kIcmpv6) && make_icmp_error_key(p, &k)) {
    // An ICMP error about a packet of a known flow belongs to that flow (as in
    // Suricata); it counts there but does not touch TCP state or streams.
    if (Node* n = m.find(k, flow_key_hash(k))) {
      m.account(n, p);
      m.list_remove(n);
      m.list_append(n, m.class_of(n->flow));
      return &n->flow;
    }
    // Otherwise it makes an ICMP flow of its own, per quoted address pair:
    // errors from one router to one host about different conversations land
    // on different workers (fanout.cpp), so they cannot share one flow.
    FlowKey pair;
    pair.lo = k.lo;
    pair.hi = k.hi;
    quote = flow_key_hash(pair) | 1;
  }
  if (!make_flow_key(p, &k)) return nullptr;
  k.quote = quote;
  const uint64_t h = flow_key_hash(k);
  Node* n = m.find(k, h);
  if (n != nullptr && p.l4 == L4::kTcp && (p.tcp.flags & (kTcpSyn | kTcpAck)) == kTcpSyn &&
      n->flow.state == FlowState::kClosed && !(m.cfg.checksum_checks && p.l4_csum_bad)) {
    // Port reuse: a new connection on the 5-tuple of a finished one.
    m.ctr.tcp_ssn_reuse++;
    m.end_flow(n, FlowEndReason::kForced, p.ts);
    n = nullptr;
  }
  if (n == nullptr) {
    n = m.create(p, k, h);
    if (n == nullptr) return nullptr;
  }
  Flow& f = n->flow;
  const bool first_ts = f.pkts_toserver == 0, first_tc = f.pkts_toclient == 0;
  const bool to_server = m.account(n, p);
  if (p.l4 == L4::kTcp) {
    (to_server ? f.tcp_flags_ts : f.tcp_flags_tc) |= p.tcp.flags;
    TcpContext c = m.ctx();
    f.tcp->on_packet(c, f, p, to_server ? Dir::kToServer : Dir::kToClient);
    f.state = tcp_flow_state(f.tcp->state());
  } else {
    if (p.l4 == L4::kIcmp || p.l4 == L4::kIcmpv6) {
      if (to_server && first_ts) {
        f.icmp_type = p.icmp.type;
        f.icmp_code = p.icmp.code;
      } else if (!to_server && first_tc) {
        f.response_icmp_type = p.icmp.type;
        f.response_icmp_code = p.icmp.code;
      }
    }
    if (f.state == FlowState::kNew && f.pkts_toserver > 0 && f.pkts_toclient > 0) {
      f.state = FlowState::kEstablished;
    }
  }
  // Most recent activity goes last in its timeout list.
  m.list_remove(n);
  m.list_append(n, m.class_of(f));
  return &f;
}

void FlowTable::expire(Timestamp now, bool now_too) {
  Impl& m = *impl_;
  // Called per packet; the real work runs at most once per second of packet time.
  if (now.sec < m.next_expire_sec && !now_too) return;
  m.next_expire_sec = now.sec + 1;
  for (int c = 0; c < kClasses; ++c) {
    const int64_t timeout_us = int64_t(m.timeout_s[c]) * 1000000;
    while (m.lists[c].head != nullptr &&
           m.lists[c].head->flow.last_seen.micros() + timeout_us < now.micros()) {
      m.end_flow(m.lists[c].head, FlowEndReason::kTimeout, now);
    }
  }
}

void FlowTable::flush_all(Timestamp now) {
  Impl& m = *impl_;
  for (auto& l : m.lists) {
    while (l.head != nullptr) m.end_flow(l.head, FlowEndReason::kShutdown, now);
  }
}

size_t FlowTable::active() const {
  return impl_->active;
}

void FlowTable::visit_counters(const CounterVisitor& f) const {
  impl_->ctr.visit(f);
  f("flow.active", impl_->active);
  f("flow.memuse", impl_->memuse());
  f("flow.hash_buckets", impl_->buckets.size());
  f("tcp.reassembly_memuse", impl_->pool.in_use());
}

}  // namespace vigil

// Fuzz target: the agent's flow table and TCP reassembly (agent/flow/) over
// one connection whose segments come in any order, overlapping, resent with
// other bytes, with FINs, RSTs, acknowledgements of bytes never seen, bad
// checksums and timeouts, all as the input says.
//
// Input: [config][client ISN:4][server ISN:4] then records of 5 bytes
// [ctl][off:2][len][x]. config bit 0: midstream pickup instead of a handshake,
// bit 1: a small reassembly depth (1000), bit 2: a small memcap (2 KiB),
// bit 3: checksum checks off. ctl bit 7: from the server, bit 6: other bytes
// than the first sending (an overlap that differs), bit 5: the segment
// acknowledges all the peer sent, bit 4: len counts 16-byte units, bit 3: a
// bad checksum; ctl & 7: 0-3 data at offset `off` (of the direction's 8 KiB
// stream), 4 FIN (after `len` bytes of data at `off`), 5 RST, 6 a pure ACK of
// peer offset `off`, 7 `x` seconds pass (timeouts expire the flow).
//
// What it holds the reassembly to, besides no crash and no ASan report:
// deliveries continue the stream (offset = bytes delivered + gap bytes
// before), nothing comes after a direction's end, a direction ends at most
// once, nothing is delivered past the configured depth, and at the end every
// flow has ended and no buffered segment is left out of the pool. With a
// handshake, the first flow's stream offsets are the senders' offsets, so
// also: every delivered byte is one that was sent at that offset (either of
// its two versions), and data plus gaps never go beyond the furthest byte
// sent, FIN or acknowledgement.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string_view>
#include <vector>

#include "agent/flow/flow_table.h"
#include "common/ip_addr.h"

namespace {

using namespace vigil;

constexpr uint32_t kStreamLen = 8192;

uint8_t content(uint32_t off, bool alt) {
  auto b = uint8_t((off * 131u) ^ (off >> 7));
  return alt ? uint8_t(b ^ 0x5a) : b;
}

struct Dirstate {
  uint64_t next = 0;  // data + gap bytes so far
  bool ended = false;
};

struct Checker : StreamSink, FlowEndSink {
  bool exact = false;  // offsets are the senders' (first flow after a handshake)
  uint64_t first_flow = 0;
  uint64_t depth = 0;
  // Per direction: which versions of each byte were sent (bit 0 first, 1 other).
  uint8_t sent[2][kStreamLen] = {};
  uint64_t furthest[2] = {0, 0};  // furthest offset sent, FIN'd or acknowledged
  std::map<uint64_t, Dirstate[2]> flows;

  Dirstate& st(Flow& f, Dir d) {
    if (first_flow == 0) first_flow = f.flow_id;
    return flows[f.flow_id][int(d)];
  }
  bool checked(const Flow& f) const { return exact && f.flow_id == first_flow; }

  void on_stream_data(Flow& f, Dir d, Bytes b, uint64_t offset, const Packet&) override {
    Dirstate& s = st(f, d);
    if (s.ended || offset != s.next) std::abort();
    if (depth != 0 && offset + b.size() > depth) std::abort();
    if (checked(f)) {
      for (size_t i = 0; i < b.size(); ++i) {
        uint64_t o = offset + i;
        if (o >= kStreamLen) std::abort();
        uint8_t have = sent[int(d)][o];
        bool ok = ((have & 1) && b[i] == content(uint32_t(o), false)) ||
                  ((have & 2) && b[i] == content(uint32_t(o), true));
        if (!ok) std::abort();
      }
    }
    s.next += b.size();
    if (checked(f) && s.next > furthest[int(d)]) std::abort();
  }
  void on_stream_gap(Flow& f, Dir d, uint64_t len, const Packet&) override {
    Dirstate& s = st(f, d);
    if (s.ended || len == 0) std::abort();
    s.next += len;
    if (checked(f) && s.next > furthest[int(d)]) std::abort();
  }
  void on_stream_end(Flow& f, Dir d, const Packet*) override {
    Dirstate& s = st(f, d);
    if (s.ended) std::abort();
    s.ended = true;
  }
  void on_flow_end(Flow&, FlowEndReason, Timestamp) override {}
};

uint32_t be32(const uint8_t* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 9) return 0;
  const uint8_t config = data[0];
  const uint32_t isn[2] = {be32(data + 1), be32(data + 5)};
  FlowConfig cfg;
  cfg.midstream = (config & 1) != 0;
  cfg.reassembly_depth = (config & 2) ? 1000 : 0;
  cfg.reassembly_memcap = (config & 4) ? 2048 : 1 << 20;
  cfg.checksum_checks = (config & 8) == 0;
  auto chk = std::make_unique<Checker>();
  chk->exact = !cfg.midstream;
  chk->depth = cfg.reassembly_depth;
  FlowTable table(cfg, *chk, *chk);

  const IpAddr cli = *IpAddr::parse("10.0.0.1"), srv = *IpAddr::parse("10.0.0.2");
  int64_t now = 1000;
  int32_t usec = 0;
  uint32_t sent_end[2] = {0, 0};  // per direction: end of the furthest data sent
  auto send = [&](bool from_server, uint32_t seq, uint32_t ack, uint8_t flags,
                  const std::vector<uint8_t>& payload, bool bad_csum) {
    Packet p;
    usec = (usec + 1) % 1000000;
    p.ts = Timestamp{now, usec};
    p.ip_version = 4;
    p.src = from_server ? srv : cli;
    p.dst = from_server ? cli : srv;
    p.l4 = L4::kTcp;
    p.ip_proto = 6;
    p.sp = from_server ? 80 : 40000;
    p.dp = from_server ? 40000 : 80;
    p.tcp.seq = seq;
    p.tcp.ack = ack;
    p.tcp.flags = flags;
    p.l4_csum_bad = bad_csum;
    p.payload = Bytes(payload.data(), payload.size());
    p.wire_len = uint32_t(54 + payload.size());
    table.expire(p.ts);
    table.process(p);
  };
  const std::vector<uint8_t> none;
  if (!cfg.midstream) {
    send(false, isn[0], 0, kTcpSyn, none, false);
    send(true, isn[1], isn[0] + 1, kTcpSyn | kTcpAck, none, false);
    send(false, isn[0] + 1, isn[1] + 1, kTcpAck, none, false);
  }
  for (size_t o = 9; o + 5 <= size; o += 5) {
    const uint8_t ctl = data[o], kind = ctl & 7;
    const int d = (ctl & 0x80) ? 1 : 0;
    const uint32_t off = ((uint32_t(data[o + 1]) << 8) | data[o + 2]) % kStreamLen;
    uint32_t len = (ctl & 0x10) ? uint32_t(data[o + 3]) * 16 : data[o + 3];
    len = std::min(len, kStreamLen - off);
    const bool alt = (ctl & 0x40) != 0, bad = (ctl & 0x08) != 0;
    const uint32_t base = isn[d] + 1, peer_base = isn[1 - d] + 1;
    const uint32_t ack = (ctl & 0x20) ? peer_base + sent_end[1 - d] : peer_base;
    uint8_t flags = kTcpAck;
    std::vector<uint8_t> payload;
    if (kind <= 4) {
      payload.resize(len);
      for (uint32_t i = 0; i < len; ++i) payload[i] = content(off + i, alt);
      // What reaches the stream may be any of these bytes (a bad checksum
      // is ignored only when checked).
      for (uint32_t i = 0; i < len; ++i) chk->sent[d][off + i] |= alt ? 2 : 1;
      sent_end[d] = std::max(sent_end[d], off + len);
      chk->furthest[d] = std::max<uint64_t>(chk->furthest[d], off + len);
      if (len > 0) flags |= kTcpPsh;
      if (kind == 4) {
        flags |= kTcpFin;
        chk->furthest[d] = std::max<uint64_t>(chk->furthest[d], off + len);
      }
      send(d == 1, base + off, ack, flags, payload, bad);
    } else if (kind == 5) {
      send(d == 1, base + off, ack, kTcpRst | kTcpAck, none, bad);
    } else if (kind == 6) {
      // Acknowledges peer offset `off`: bytes never seen up to there become a gap.
      chk->furthest[1 - d] = std::max<uint64_t>(chk->furthest[1 - d], off);
      send(d == 1, base + sent_end[d], peer_base + off, kTcpAck, none, bad);
    } else {
      now += data[o + 4];
      table.expire(Timestamp{now, 0});
    }
  }
  table.flush_all(Timestamp{now + 1, 0});
  // Every flow ended, and every buffered segment went back to the pool.
  if (table.active() != 0) std::abort();
  table.visit_counters([](std::string_view name, uint64_t v) {
    if (name == "tcp.reassembly_memuse" && v != 0) std::abort();
  });
  return 0;
}

// What the engine remembers per flow: flowbits, flowints, which rules already
// alerted on which transaction, the tail of each stream direction (so a
// pattern split across segments matches), and pass state.
//
// Lives on FlowView::detect; touched only by the worker that owns the flow. Keyed
// by name hashes and (gid, sid), never by engine-local indexes, so it stays
// valid across an engine swap.
#pragma once

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "common/alert.h"

namespace vigil::rules {

// Caps: a flow's detection state must stay small whatever the traffic does.
constexpr size_t kMaxFlowbits = 256;
constexpr size_t kMaxTxMarks = 512;
constexpr size_t kStreamTail = 2048;
constexpr size_t kMaxStreamCarry = 256;

// A rule whose fast pattern was seen in stream bytes that are still in the
// kept tail: the next chunk's prefilter scans only new bytes (plus a pattern
// length of overlap), so these stay candidates while their bytes are in the
// window. `end` is the absolute stream offset the hit's scan ended at.
struct StreamCarry {
  uint32_t rule;  // engine-local index: valid only for carry_engine
  uint64_t end;
};

// The app-layer prefilter's memory of the transaction it last scanned: a
// buffer that has not changed since (same count, sizes and a hash of the
// bytes) is not scanned again on the transaction's next update; the rules its
// patterns hit stay candidates. One transaction at a time (pipelined ones
// simply rescan).
constexpr size_t kMaxTxMemoHits = 1024;
struct TxScanMemo {
  uint64_t tx_id = ~uint64_t{0};
  const void* engine = nullptr;                           // rule indexes are this engine's
  std::vector<std::pair<const void*, uint64_t>> scanned;  // pattern database -> buffer signature
  std::vector<uint32_t> hits;                             // rules hit so far
  bool overflow = false;                                  // too many hits: no memo for this tx
};

struct RuleFlowState : DetectFlowState {
  // Read for every packet: first, in one cache line.
  bool passed = false;  // a pass rule matched the flow
  // TCP: established as Suricata sees it, before this packet's own state change
  // (the ACK completing the handshake is not yet "established").
  bool was_established = false;
  // TCP: the flow's protocol is known to packet rules (see proto_acked in
  // engine_eval.cpp).
  bool app_acked = false;
  // The address index's rule lists for the flow's two addresses, found once
  // per flow instead of twice per packet (inspect_packet): the client as
  // source, the server as destination, the server as source, the client as
  // destination. They point into the engine of that serial.
  struct AddrMemo {
    uint64_t engine_serial = 0;
    uint8_t group = 0;
    const std::vector<uint32_t>* lists[4] = {};
  } addr_memo;
  std::vector<uint64_t> bits;                           // set flowbits (name hashes)
  std::vector<std::pair<uint64_t, int64_t>> ints;       // flowints
  std::vector<std::pair<uint64_t, uint64_t>> tx_marks;  // (tx_id, gid<<32|sid) alerted/matched
  std::vector<uint8_t> tail[2];                         // last stream bytes per direction
  uint64_t stream_seen[2] = {0, 0};                     // stream bytes inspected per direction
  std::vector<StreamCarry> carry[2];                    // see StreamCarry
  bool carry_full[2] = {false, false};                  // carry overflowed: rescan the whole window
  const void* carry_engine = nullptr;                   // engine the carried indexes belong to
  TxScanMemo tx_memo;

  bool has_bit(uint64_t h) const { return std::find(bits.begin(), bits.end(), h) != bits.end(); }
  bool set_bit(uint64_t h) {
    if (has_bit(h)) return true;
    if (bits.size() >= kMaxFlowbits) return false;
    bits.push_back(h);
    return true;
  }
  void unset_bit(uint64_t h) {
    auto it = std::find(bits.begin(), bits.end(), h);
    if (it != bits.end()) bits.erase(it);
  }
  int64_t* find_int(uint64_t h) {
    for (auto& kv : ints)
      if (kv.first == h) return &kv.second;
    return nullptr;
  }
  bool tx_marked(uint64_t tx, uint64_t key) const {
    return std::find(tx_marks.begin(), tx_marks.end(), std::make_pair(tx, key)) != tx_marks.end();
  }
  // False when the mark table is full (the oldest half is dropped then).
  bool mark_tx(uint64_t tx, uint64_t key) {
    bool ok = true;
    if (tx_marks.size() >= kMaxTxMarks) {
      tx_marks.erase(tx_marks.begin(), tx_marks.begin() + kMaxTxMarks / 2);
      ok = false;
    }
    tx_marks.emplace_back(tx, key);
    return ok;
  }
};

}  // namespace vigil::rules

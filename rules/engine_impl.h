// Inside the compiled engine: rules in evaluation order, per-protocol groups
// with one Hyperscan database per buffer for the prefilter, an address index
// for header-only rules with address lists, and per-worker scratch.
//
// Built once by build_engine (engine_build.cpp), then read-only except for the
// internally locked threshold table.
#pragma once

#include <hs/hs.h>

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "rules/dataset.h"
#include "rules/engine.h"
#include "rules/flow_state.h"
#include "rules/rule.h"
#include "rules/threshold.h"
#include "rules/xbits.h"

namespace vigil::rules {

// Multi-pattern prefilter for one buffer of one group.
struct PatternDb {
  hs_database_t* db = nullptr;
  std::vector<std::vector<uint32_t>> pattern_rules;  // pattern id -> rule indexes
  std::vector<uint32_t> always;                      // rules without a fast pattern here
  size_t max_len = 0;                                // longest pattern (stream scan overlap)
  ~PatternDb() {
    if (db) hs_free_database(db);
  }
};

// Sorted elementary intervals of the address space, each with the rules whose
// address list covers it.
struct AddrIndex {
  std::vector<U128> starts;  // interval i is [starts[i], starts[i+1])
  std::vector<std::vector<uint32_t>> lists;
  // The rules of the interval holding a; nullptr when none.
  const std::vector<uint32_t>* find(const IpAddr& a) const;
};

enum GroupId : uint8_t { kGroupTcp, kGroupUdp, kGroupIcmp4, kGroupIcmp6, kGroupOther, kGroupCount };

// The prefilter databases are split by the direction of the bytes they scan
// (0 to server, 1 to client), as Suricata keeps a rule group per flow
// direction: a rule with flow:to_server is only in the to-server databases,
// so a to-client stream chunk or response body is scanned without it. See
// scan_dirs in prefilter_build.cpp for the directions a rule can match in.
struct TxPrefilter {
  BufferId slot;
  Dir dir;  // the direction of the buffer this database scans
  const PatternDb* db;
};

struct Group {
  std::array<PatternDb, 2> payload;  // payload rules (packet and stream), by direction
  std::vector<uint32_t> header;      // rules without payload or app buffers
  // App-layer rules by their prefilter buffer and that buffer's direction (a
  // one-directional buffer has only its own).
  std::array<std::array<std::unique_ptr<PatternDb>, 2>, kBufferCount> tx;
  std::vector<uint32_t> tx_always;   // app-layer rules without buffers (alert http ... (flow:to_server;))
  std::vector<TxPrefilter> tx_list;  // the non-null entries of tx
};

// The rules of one L4 protocol split by port, so that a packet only meets the
// rules whose ports can match: a rule with a narrow destination port set (or,
// failing that, a narrow source port set) lives only in the groups of those
// ports; bidirectional rules and rules with wide or any ports live in `any`.
// A packet meets `any`, the group of its destination port and the group of
// its source port. Ports with identical rule lists share one group.
struct PortGroups {
  static constexpr uint16_t kNone = 0xffff;
  Group any;
  std::vector<std::unique_ptr<Group>> groups;
  std::vector<uint16_t> by_dp, by_sp;  // 65536 entries (empty: no group): index into groups, or kNone
  const Group* dp_group(uint16_t port) const { return pick(by_dp, port); }
  const Group* sp_group(uint16_t port) const { return pick(by_sp, port); }

 private:
  const Group* pick(const std::vector<uint16_t>& t, uint16_t port) const {
    if (t.empty() || t[port] == kNone) return nullptr;
    return groups[t[port]].get();
  }
};

// What a candidate rule needs that can be checked without reading the Rule:
// kept in one small array so that the many candidates that fail here (ET
// Open's $HOME_NET -> $EXTERNAL_NET rules on traffic between two home
// addresses) cost no cache miss on their Rule. A necessary condition only:
// a rule that passes is checked in full.
struct RuleGate {
  uint16_t addr_class = 0;  // index into Engine::Impl::addr_classes; 0: any -> any
  int8_t tx_dir = -1;       // inspect_tx's direction for the rule: its first one-directional buffer's, or -1
  uint8_t flow_dirs = 3;    // bit 0 to server, bit 1 to client: the directions flow:to_server/to_client allow
};

// A distinct pair of source and destination address lists of the rules (with
// <>, either way round).
struct AddrClass {
  const AddrSet* src = nullptr;
  const AddrSet* dst = nullptr;
  bool bidir = false;
  bool admits(const IpAddr& s, const IpAddr& d) const {
    return (src->contains(s) && dst->contains(d)) || (bidir && src->contains(d) && dst->contains(s));
  }
};

struct Engine::Impl {
  uint64_t serial = 0;                       // unique per engine built in this process
  std::vector<RuleGate> gates;               // by rule index
  std::vector<AddrClass> addr_classes;       // [0] unused: any -> any
  std::vector<std::unique_ptr<Rule>> rules;  // by index = evaluation order
  std::array<PortGroups, kGroupCount> groups;
  // Header-only rules with address lists and any ports, per L4 group.
  std::array<AddrIndex, kGroupCount> src_index, dst_index;
  std::unique_ptr<ThresholdTable> thresholds = std::make_unique<ThresholdTable>();
  std::unique_ptr<XbitTable> xbits = std::make_unique<XbitTable>();
  ThresholdConfig threshold_cfg;
  std::vector<int32_t> rule_threshold;               // per rule: threshold.config entry overriding it, or -1
  std::vector<std::vector<uint32_t>> rule_suppress;  // per rule: suppress entries
  hs_scratch_t* proto_scratch = nullptr;             // cloned per worker
  std::vector<std::shared_ptr<Dataset>> datasets;    // for save_state
  ~Impl() {
    if (proto_scratch) hs_free_scratch(proto_scratch);
  }
};

struct WorkerState {
  const void* engine = nullptr;  // the engine this scratch belongs to
  uint64_t engine_serial = 0;    // its Impl::serial (an address can be reused by a later engine)
  hs_scratch_t* scratch = nullptr;
  std::vector<uint32_t> candidates;
  std::vector<uint32_t> hits;        // pattern ids from Hyperscan
  std::vector<uint32_t> seen_epoch;  // per rule: last epoch it was added
  uint32_t epoch = 0;
  // Per address class and view (0: the call's first, 1: reversed, inspect_tx's
  // other direction): the epoch its answer was found in, and the answer.
  std::vector<uint32_t> class_epoch[2];
  std::vector<uint8_t> class_ok[2];
  std::vector<uint32_t> packet_alerted;  // rules that alerted on this packet (stream + packet dedup)
  // Prefilter candidates of the stream chunk that was exactly this packet's
  // payload (a superset of what scanning the payload alone would give).
  const Packet* reuse_for = nullptr;
  int reuse_dir = 0;  // the direction whose databases gave them
  std::vector<uint32_t> reuse_candidates;
  std::string xform;  // transformed buffer storage
  DetectCounters counters;
  ~WorkerState() {
    if (scratch) hs_free_scratch(scratch);
  }
};

// Natural direction of an app buffer: 0 to_server, 1 to_client, -1 both.
int buffer_dir(int slot);

// The direction inspect_tx reads a rule's buffers in: that of its first
// one-directional buffer, or -1 (the direction of the update).
int rule_tx_dir(const Rule& r);
// The directions flow:to_server / to_client allow, as bits (1 to server, 2
// to client); 0 when they contradict.
unsigned rule_flow_dirs(const Rule& r);

}  // namespace vigil::rules

// The parsed, validated form of one rule: header, packet options, per-buffer
// inspection lists, flow-state options, thresholds.
//
// Built by the parser (rules/parser.cpp) through the keyword table
// (rules/keywords.h); immutable once the engine is built and then read by all
// workers concurrently. Option objects hold no mutable state: everything that
// changes while matching lives in the caller's scratch or in RuleFlowState.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/app_proto.h"
#include "common/flow_view.h"
#include "common/inspect.h"
#include "common/packet.h"
#include "common/rule_metadata.h"
#include "rules/addr.h"
#include "rules/int_cmp.h"

namespace vigil::rules {

struct RuleFlowState;

enum class Action : uint8_t { kAlert, kPass, kDrop, kReject };

// Which L4 a rule applies to (header protocol).
enum class ProtoSel : uint8_t { kIp, kTcp, kUdp, kIcmp, kIcmpv4, kIcmpv6 };
// tcp-pkt / tcp-stream restrict TCP payload inspection.
enum class StreamSel : uint8_t { kBoth, kPacketOnly, kStreamOnly };

// Buffer slot of an inspection list: the L4 payload (packet or stream), or an
// app-layer buffer.
constexpr int kSlotPayload = -1;
// Parse-time only: the decoded data of the rule's last base64_decode
// (base64_data); its ops live inside that op, never in Rule::buffers.
constexpr int kSlotBase64 = -3;

// Per-evaluation variables (byte_extract / byte_math results).
constexpr int kMaxVars = 8;
struct EvalVars {
  int64_t v[kMaxVars] = {};
};

// An integer rule argument that is either a literal or a byte_extract variable.
struct IntArg {
  int64_t value = 0;
  int var = -1;  // >= 0: index into EvalVars
  int64_t get(const EvalVars& vars) const { return var >= 0 ? vars.v[var] : value; }
};

// The context of one inspection of a buffer.
struct BufCtx {
  const uint8_t* data = nullptr;
  size_t len = 0;
  EvalVars vars;
  uint32_t budget = 0;  // backtracking steps left; exhausting it counts an anomaly
  bool budget_exhausted = false;
};

enum class OpKind : uint8_t {
  kContent,
  kPcre,
  kByteTest,
  kByteJump,
  kByteExtract,
  kByteMath,
  kIsdataat,
  kBsize,
  kBase64Decode,
  kDataset,
  kValueTest  // the whole buffer against a set of values (ssh.proto:2_compat)
};

// One step of an inspection list. Deterministic ops (everything except content
// and pcre, which search) move the cursor at most once.
struct BufOp {
  explicit BufOp(OpKind k) : kind(k) {}
  virtual ~BufOp() = default;
  OpKind kind;
  bool relative = false;  // position depends on the previous match's end
  // Deterministic evaluation: true on match; may update cursor and vars.
  virtual bool apply(BufCtx& c, size_t& cursor) const = 0;
};

struct ContentOp : BufOp {
  ContentOp() : BufOp(OpKind::kContent) {}
  std::string pattern;  // raw bytes
  bool nocase = false, negated = false, rawbytes = false;
  bool startswith = false, endswith = false;
  bool has_offset = false, has_depth = false, has_distance = false, has_within = false;
  IntArg offset, depth, distance, within;
  bool fast_pattern = false, fast_pattern_only = false;
  int fp_chop_offset = -1, fp_chop_len = -1;
  // Search window for the match start given the previous match end; false when empty.
  bool window(const BufCtx& c, size_t prev_end, size_t& lo, size_t& hi) const;
  // First occurrence with start in [lo, hi) and end <= limit; npos when none.
  size_t find(const BufCtx& c, size_t lo, size_t limit) const;
  bool apply(BufCtx& c, size_t& cursor) const override;
};

enum class TransformKind : uint8_t {
  kToLowercase,
  kToUppercase,
  kStripWhitespace,
  kCompressWhitespace,
  kDotprefix,
  kUrlDecode,
  kToMd5,
  kToSha1,
  kToSha256,
  kStripPseudoHeaders,
  kHeaderLowercase,
};

struct BufferList {
  int slot = kSlotPayload;  // kSlotPayload or a BufferId value
  std::vector<TransformKind> transforms;
  std::vector<std::unique_ptr<BufOp>> ops;
};

// Context of header/packet options.
struct PktCtx {
  const Packet* p = nullptr;
  const FlowView* flow = nullptr;
  RuleFlowState* fs = nullptr;
  bool to_server = true;     // direction being inspected
  bool from_stream = false;  // inspecting reassembled stream data
};

struct PktOpt {
  virtual ~PktOpt() = default;
  virtual bool match(const PktCtx& c) const = 0;
};

struct FlowOpt {
  bool established = false, not_established = false, stateless = false;
  bool to_server = false, to_client = false;
  bool only_stream = false, no_stream = false, only_frag = false, no_frag = false;
};

// flowbits / xbits style named bit operations; names are hashed so state
// survives an engine swap.
struct BitOp {
  enum Cmd : uint8_t { kSet, kUnset, kToggle, kIsset, kIsnotset } cmd = kSet;
  std::vector<uint64_t> names;
  bool any_of = false;  // "a|b": isset when any is set (default: all)
  bool is_condition() const { return cmd == kIsset || cmd == kIsnotset; }
};

// xbits: named bits on a host or host pair, shared by all flows and workers
// (XbitTable), with an expiry in packet time.
struct XBitOp {
  enum Track : uint8_t { kIpSrc, kIpDst, kIpPair } track = kIpSrc;
  BitOp::Cmd cmd = BitOp::kSet;
  uint64_t name = 0;
  uint32_t expire_s = 30;  // Suricata's default
  bool is_condition() const { return cmd == BitOp::kIsset || cmd == BitOp::kIsnotset; }
};

struct IntVarOp {
  enum Cmd : uint8_t { kSet, kAdd, kSub, kIsset, kIsnotset, kCmp } cmd = kSet;
  uint64_t name = 0;
  IntCmp cmp;            // kCmp
  uint64_t var_src = 0;  // value from another flowint when non-zero
  int64_t value = 0;
  bool is_condition() const { return cmd == kIsset || cmd == kIsnotset || cmd == kCmp; }
};

// A comparison of an integer field of the transaction (tls.cert_chain_len,
// tls.version); the rule becomes a transaction rule.
struct TxIntCond {
  TxInt field = TxInt::kCount;
  int dir = -1;  // 0 to_server, 1 to_client, -1 the direction being inspected
  IntCmp cmp;
  int64_t mask = -1;  // >= 0: cmp applies to value & mask ("&0x03=0x03")
};

// dcerpc.iface / dcerpc.opnum (rules/kw_dcerpc.cpp): the transaction's
// DCERPC interface (uuid, lowercase, and an optional major version
// comparison) or REQUEST opnum (any of the inclusive ranges).
struct DcerpcCond {
  std::string iface;  // empty: an opnum condition
  bool has_version = false;
  IntCmp version;
  std::vector<std::pair<uint16_t, uint16_t>> opnums;
};
// The condition holds on the transaction (kw_dcerpc.cpp; workers, pure).
bool dcerpc_match(const DcerpcCond& c, const Transaction& tx);

struct ThresholdSpec {
  // kBackoff (Suricata 8, by_flow only): alerts on match count, count*multiplier,
  // count*multiplier^2, ...; no time window.
  enum Type : uint8_t { kLimit, kThreshold, kBoth, kDetectionFilter, kRate, kBackoff } type = kLimit;
  enum Track : uint8_t { kBySrc, kByDst, kByRule, kByFlow, kByBoth } track = kBySrc;
  uint32_t count = 1;
  uint32_t seconds = 60;
  uint32_t multiplier = 0;  // kBackoff
  // detection_filter unique_on (Suricata 8): count distinct ports, not matches.
  enum Unique : uint8_t { kNoUnique, kUniqueSrcPort, kUniqueDstPort } unique_on = kNoUnique;
};

struct Rule {
  // identity and output
  uint32_t gid = 1, sid = 0, rev = 0;
  int priority = 3;
  bool priority_set = false;
  std::string msg, classtype, category;
  Action action = Action::kAlert;
  RuleMetadata metadata;
  bool noalert = false;
  std::string file;
  int line = 0;
  std::string text;  // original text, for the cache key (emptied once keyed)

  // header
  ProtoSel proto = ProtoSel::kIp;
  StreamSel stream = StreamSel::kBoth;
  uint32_t app_mask = 0;     // bit per AppProto; 0 = any
  int16_t ip_proto_eq = -1;  // ip_proto:N (plain equality): only that protocol's packets
  bool app_negated = false;
  AddrSet src, dst;
  PortSet sp, dp;
  bool bidir = false;

  // options
  FlowOpt flow;
  std::vector<std::unique_ptr<PktOpt>> pkt_opts;
  std::vector<BufferList> buffers;
  std::vector<BitOp> flowbits;
  std::vector<IntVarOp> flowints;
  std::vector<XBitOp> xbits;
  std::vector<TxIntCond> tx_ints;
  std::vector<DcerpcCond> dcerpc;
  std::optional<ThresholdSpec> threshold, detection_filter;
  bool filestore = false;  // on match, the transaction's file is stored (rules/kw_file.cpp)

  // set by the compiler
  uint32_t index = 0;        // evaluation order
  bool tx_rule = false;      // has app-layer buffers: evaluated on transactions
  bool has_payload = false;  // has a payload inspection list
  bool sets_bits = false;    // modifies flowbits/flowints: evaluated before checkers
  // Suricata's "IP-only" rule: protocol and addresses only (any ports, no
  // payload, no flow or packet keywords). Checked on the first packet of each
  // direction of a flow, and on every packet without a flow.
  bool ip_only = false;

  const BufferList* list_for(int slot) const {
    for (auto& b : buffers)
      if (b.slot == slot) return &b;
    return nullptr;
  }
};

// FNV-1a of a flowbit/flowint name: stable across engines.
uint64_t name_hash(std::string_view s);

}  // namespace vigil::rules

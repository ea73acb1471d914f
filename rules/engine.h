// The rules engine as the agent sees it: build_engine() parses and compiles
// rule files into an immutable Engine shared by all workers; each worker makes
// its own Worker context (scratch space) and calls the inspect_* methods.
//
// Threading: build_engine, log_report and report_stats_json run off the packet
// path (start-up, reload). Engine's methods are const and thread-safe; a Worker
// belongs to one thread. Threshold counters are shared across workers behind a
// mutex touched only when a thresholded rule matches.
// Lifetime: alerts handed to the AlertSink point into the engine and the
// packet; valid only during the call.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/alert.h"
#include "common/counters.h"
#include "common/flow_view.h"
#include "common/inspect.h"
#include "common/packet.h"
#include "rules/rule_file_scope.h"

namespace vigil::rules {

struct LoadOptions {
  std::vector<std::string> files;                   // rule files, in order
  std::map<std::string, std::string> address_vars;  // overrides of Suricata's defaults
  std::map<std::string, std::string> port_vars;
  std::string classification_file;  // empty: the bundled rules/sets/classification.config
  std::string threshold_file;       // optional threshold.config
  std::string cache_dir;            // compiled Hyperscan databases; empty = no cache
  // IP reputation, named as suricata.yaml names them: no categories file, no
  // iprep (rules using it fail to load); relative reputation files are read
  // from default_reputation_path.
  std::string reputation_categories_file;
  std::string default_reputation_path;
  std::vector<std::string> reputation_files;
  // Files named by rules (dataset load/state/save). Rule sets from the
  // collector set confine_dir; local rule files keep Suricata's behaviour.
  RuleFileScope rule_file_scope;
  // Application protocols the program parses (bit per AppProto). A rule that
  // needs another one is inert: reported, not loaded (rules/inert.h). All
  // bits set (the default) when the caller does not know, as the collector's
  // rule set check does not.
  uint32_t parsed_app_protos = ~0u;
};

struct LoadReport {
  struct FileInfo {
    std::string path;
    std::string dialect;  // "suricata" or "snort3"
    uint64_t rules_loaded = 0, rules_failed = 0, rules_disabled = 0, rules_inert = 0;
    uint64_t rules_unmet = 0;  // `requires` not met
  };
  uint64_t rules_loaded = 0;
  uint64_t rules_failed = 0;        // parse errors and unsupported keywords together
  uint64_t rules_skipped = 0;       // of rules_failed: unsupported keyword/protocol
  uint64_t rules_disabled = 0;      // commented-out rules (not counted as failed)
  uint64_t rules_unmet = 0;         // skipped: their `requires` is not met (not counted as failed)
  std::vector<std::string> unmet;   // "FILE:LINE: sid N: requires ...: not met, rule skipped"
  uint64_t rules_inert = 0;         // valid but unmatchable here (no parser feeds them); not in loaded
  std::vector<std::string> errors;  // "FILE:LINE: sid N: reason"
  std::vector<std::string> inert;   // "FILE:LINE: sid N: no parser for smb (...)"
  std::map<std::string, uint64_t> inert_by_reason;       // reason -> rules
  std::map<std::string, uint64_t> failures_by_reason;    // reason class -> count
  std::map<std::string, uint64_t> unsupported_keywords;  // keyword -> rules skipped
  std::vector<FileInfo> files;
  double parse_ms = 0, compile_ms = 0;
  bool cache_hit = false;
  uint64_t prefilter_patterns = 0, prefilter_databases = 0;
  uint64_t port_groups = 0;  // rule groups keyed by port (besides one "any" group per protocol)
  std::string last_reload;   // timestamp of the build
  bool fatal = false;        // nothing usable could be built
  uint64_t file_rules = 0;   // rules that inspect files (file.name, filemd5, filesize, filestore, ...)
  uint64_t magic_rules = 0;  // of those, rules on file.magic (filemagic)
};

struct WorkerState;  // per-worker scratch (opaque)

// Counters of one worker (summed by the stats output).
#define VIGIL_DETECT_COUNTERS(X)                             \
  X(alerts_suppressed, "detect.alert_queue_overflow")        \
  X(prefilter_candidates, "detect.mpm_list")                 \
  X(rules_checked, "detect.rules_checked")                   \
  X(backtrack_limit, "detect.anomaly.backtrack_limit")       \
  X(tx_marks_full, "detect.anomaly.tx_marks_full")           \
  X(packet_inspections, "detect.inspect.packets")            \
  X(stream_inspections, "detect.inspect.stream_chunks")      \
  X(tx_inspections, "detect.inspect.tx_updates")             \
  X(prefilter_packet_bytes, "detect.prefilter.packet_bytes") \
  X(prefilter_stream_bytes, "detect.prefilter.stream_bytes") \
  X(prefilter_tx_bytes, "detect.prefilter.tx_bytes")
VIGIL_DECLARE_COUNTERS(DetectCounters, VIGIL_DETECT_COUNTERS)

class Engine {
 public:
  struct Impl;
  explicit Engine(std::unique_ptr<Impl> impl);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  size_t rule_count() const;

  // Per-worker scratch sized for this engine.
  std::unique_ptr<WorkerState, void (*)(WorkerState*)> new_worker() const;

  // A decoded packet. Payload rules for TCP flows that allow packet inspection,
  // header rules, UDP/ICMP/IP rules. Rules that already alerted on this
  // packet from the stream (inspect_stream) are skipped.
  void inspect_packet(WorkerState& w, const Packet& p, AlertSink& out) const;
  // Reassembled stream bytes: `window` holds kept earlier bytes followed by the
  // new ones; only matches that end after `new_from` alert. `new_is_payload`:
  // the new bytes are exactly p's payload (in-order segment), so the
  // following inspect_packet reuses this prefilter's candidates instead of
  // scanning the same bytes again.
  void inspect_stream(WorkerState& w, const Packet& p, FlowView& f, Dir d, Bytes window, size_t new_from,
                      AlertSink& out, bool new_is_payload = false) const;
  // An app-layer transaction progressed; each rule alerts at most once per tx.
  void inspect_tx(WorkerState& w, const Packet& p, FlowView& f, Dir d, const Transaction& tx,
                  AlertSink& out) const;
  // Called once the worker finished a packet (clears per-packet marks).
  void end_packet(WorkerState& w) const;

  const DetectCounters& counters(const WorkerState& w) const;
  // Writes the datasets rules added to (state/save files) now; the agent
  // calls it at exit, where the engine itself is not freed.
  void save_state() const;

  const Impl& impl() const { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

// Builds an engine (never throws for bad rules: they go to the report).
// Returns null only when nothing usable can be built (e.g. unreadable file).
std::shared_ptr<const Engine> build_engine(const LoadOptions& opts, LoadReport& report);
// spdlog summary like Suricata's.
void log_report(const LoadReport& report);
// For the stats event, placed at stats.detect:
// {"engines":[{"id":0,"last_reload":..,"rules_loaded":N,"rules_failed":M,...}]}
nlohmann::ordered_json report_stats_json(const LoadReport& report);

}  // namespace vigil::rules

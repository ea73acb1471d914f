// Agent: one running sensor, what vigil-agent's main composes. It owns, in
// the order open() builds them: the uplink (when enrolled), the rule set in
// use (engine and load report), the capture, the event outputs (eve.json,
// the uplink) and the pipeline; run() adds the signal and stats threads.
//
// Threading: construct, open() and run() on the main thread. While run()
// runs, the uplink's heartbeat thread calls heartbeat() and, when the
// collector publishes a rule set, load_collector_ruleset(); the stats thread
// calls stats_event(). The engine and its load report are replaced together
// (use_rules), so the heartbeat and stats.detect always describe the rule
// set the workers were handed, never the one the agent started with.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "agent/capture/pcap_source.h"
#include "agent/config.h"
#include "agent/detect/rules_detect.h"
#include "agent/metrics_listener.h"
#include "agent/output/eve.h"
#include "agent/pipeline/pipeline.h"
#include "agent/status_socket.h"
#include "agent/uplink/agent_glue.h"
#include "agent/uplink/uplink.h"
#include "common/privileges.h"
#include "rules/engine.h"

namespace vigil {

struct AgentOptions {
  std::string pcap, iface;  // exactly one: offline from a file, or live
  std::string user;         // after capture is open, switch to this user ("" keeps the current one)
  std::string state_dir;    // enrolled state: events go to the collector too
  int drain_timeout_s = 60;
  std::vector<std::string> rule_files;  // -S/-s, directories already expanded (expand_rule_paths)
};

class Agent {
 public:
  // `cfg` is copied; live is set from opt.iface.
  Agent(const AgentConfig& cfg, AgentOptions opt);
  ~Agent();
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;

  // Opens the uplink, loads the rules (a broken rule file is reported before
  // any packet is read), opens the capture and eve.json, drops privileges and
  // starts the uplink. Returns 0, or the process exit status after logging why.
  int open();
  // Reads until end of file, error or SIGINT/SIGTERM, writes the final stats
  // event, drains the uplink (offline). Returns the process exit status.
  int run();

  // Builds an engine from `files` and, when one could be built, makes it and
  // its report the rule set in use (workers pick it up at their next
  // packet). False leaves the current rule set in place. Any thread but the
  // workers; off the packet path.
  // confine_dir: set for the collector's rule set (STATE_DIR/rulefiles),
  // whose dataset files may not name anything outside it; empty for local
  // -S/-s files, which keep Suricata's behaviour.
  bool use_rules(const std::vector<std::string>& files, const std::string& confine_dir = "");
  // The uplink's rule-set handler: saves the collector's rule set in the
  // state directory and uses it. Heartbeat thread.
  // `threshold`: the collector's suppressions as threshold.config lines,
  // used together with the local detect.threshold-file.
  bool load_collector_ruleset(const std::string& version, const std::string& text,
                              const std::string& threshold);

  // The load report of the rule set in use; null when the agent runs without rules. Any thread.
  std::shared_ptr<const rules::LoadReport> rules_report() const;
  // The EVE stats event for this moment (output/stats_event.h), with the
  // alert rate limit's summary `limited`. Any thread after open().
  Json stats_event(const std::vector<LimitedSignature>& limited = {}) const;
  // Heartbeat fields (uplink/agent_glue.h) plus interfaces and the rule set's counts. Any thread after
  // open().
  nlohmann::json heartbeat() const;
  // What `vigil-agent status` prints (agent/status_socket.h): capture, detection, rules, uplink and
  // spool counters. Any thread after open().
  nlohmann::json status() const;
  // GET /metrics of metrics.listen (agent/metrics_listener.h): the Prometheus text.
  std::string metrics_text() const;
  // Counters of the pipeline (capture, decode, flow, app, detect). Any thread after open().
  CounterSnapshot counters() const;

 private:
  // --user as root: looks the user up (before anything is opened) and creates a cache directory it will
  // write.
  int prepare_run_as();
  // Hands what the agent writes after the drop to the user, then drops (common/privileges.h).
  int hand_over_and_drop();
  int open_uplink();
  int open_outputs();
  void stop_uplink();
  // The engine and its report become the rule set in use, together.
  void set_rules(std::shared_ptr<const rules::Engine> engine,
                 std::shared_ptr<const rules::LoadReport> report);

  AgentConfig cfg_;
  AgentOptions opt_;
  std::optional<RunAs> run_as_;   // --user, when started as root
  bool log_dir_created_ = false;  // by this start: then it is the user's too
  std::string created_cache_dir_;
  std::unique_ptr<Uplink> uplink_;
  std::string rules_confine_dir_;     // set when the rule set in use came from the collector
  std::string local_threshold_file_;  // detect.threshold-file as configured, before the collector's lines
  EngineHolder engines_;
  mutable std::mutex rules_mu_;
  std::shared_ptr<const rules::LoadReport> report_;  // guarded by rules_mu_; set with engines_
  PcapSource src_;
  // capture.fanout kernel, live, several workers: the other workers' sockets,
  // in one fan-out group with src_, and when the last one joined.
  std::vector<std::unique_ptr<PcapSource>> fanout_srcs_;
  Timestamp fanout_start_;
  // Opens the other workers' sockets with `lo` and joins them all to one
  // group; on a refusal, falls back to the reader's fan-out (logged).
  void open_fanout(const LiveOptions& lo);
  EveFileOutput eve_file_;
  std::string eve_path_;
  std::unique_ptr<EventRouter> router_;
  std::unique_ptr<UplinkEventOutput> uplink_out_;
  std::unique_ptr<Pipeline> pipeline_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::unique_ptr<StatusServer> status_;      // stopped before what it reads goes
  std::unique_ptr<MetricsListener> metrics_;  // metrics.listen; last: stopped first, like status_
};

// Builds an engine from rule files with the agent's rule settings (variables,
// classification, thresholds, cache, reputation) and logs the report.
std::shared_ptr<const rules::Engine> load_rules(const AgentConfig& cfg, const std::vector<std::string>& files,
                                                rules::LoadReport& report,
                                                const std::string& confine_dir = "");

// -S/-s paths: a directory stands for every *.rules file in it, in name order
// (ET Open ships ~50 files); anything else is kept as given.
std::vector<std::string> expand_rule_paths(const std::vector<std::string>& paths);

// detect.cache-dir: "auto" keeps compiled prefilter databases with the
// enrolled state, else in the user's cache directory, so a restart with the
// same rules skips compilation; "" or "none" turns the cache off.
std::string resolve_rule_cache_dir(const std::string& configured, const std::string& state_dir);

}  // namespace vigil

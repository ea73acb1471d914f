#include "agent/agent.h"

#include <malloc.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <set>
#include <thread>

#include "agent/agent_version.h"
#include "agent/app/app_layer.h"
#include "agent/output/stats_event.h"
#include "common/privileges.h"
#include "common/prometheus.h"

namespace vigil {
namespace {

// Rule sets are built on one long-lived thread of their own. Parsing ET Open
// allocates and frees hundreds of thousands of blocks (rule texts, option
// strings, temporaries); done on the thread that then runs the packet path
// (the main thread, in a one-worker agent), the holes they left in its malloc
// arena made every later malloc and free slower: glibc's unlink_chunk and
// malloc_consolidate took about 4% of the packet phase with ET Open, against
// 1.5% with no rules (perf, bench/RESULTS.md). On a thread of its own they
// stay in that thread's arena. The thread lives as long as the process, so
// glibc never hands its arena to a worker thread started later (an arena of
// a thread that ended goes to the next new thread).
class BuildThread {
 public:
  static BuildThread& instance() {
    static BuildThread t;
    return t;
  }
  // Runs fn on the build thread and waits for it; one call at a time.
  void run(const std::function<void()>& fn) {
    std::lock_guard one(call_mu_);
    std::unique_lock lk(mu_);
    job_ = &fn;
    error_ = nullptr;
    cv_.notify_all();
    cv_.wait(lk, [&] { return job_ == nullptr; });
    if (error_) std::rethrow_exception(error_);
  }
  ~BuildThread() {
    {
      std::lock_guard lk(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    th_.join();
  }

 private:
  BuildThread() : th_([this] { loop(); }) {}
  void loop() {
    // Signals stay with the agent's signal thread (sigwait).
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, nullptr);
    std::unique_lock lk(mu_);
    for (;;) {
      cv_.wait(lk, [&] { return job_ != nullptr || stop_; });
      if (!job_) return;
      lk.unlock();
      std::exception_ptr err;
      try {
        (*job_)();
      } catch (...) {
        err = std::current_exception();
      }
      lk.lock();
      error_ = err;
      job_ = nullptr;
      cv_.notify_all();
    }
  }

  std::mutex call_mu_;
  std::mutex mu_;
  std::condition_variable cv_;
  const std::function<void()>* job_ = nullptr;
  std::exception_ptr error_;
  bool stop_ = false;
  std::thread th_;  // last: started once the members above exist
};

// A path inside dir (lexically).
bool is_under(const std::string& path, const std::string& dir) {
  return !dir.empty() && path.compare(0, dir.size() + 1, dir + "/") == 0;
}

}  // namespace

std::shared_ptr<const rules::Engine> load_rules(const AgentConfig& cfg, const std::vector<std::string>& files,
                                                rules::LoadReport& report, const std::string& confine_dir) {
  rules::LoadOptions lo;
  lo.rule_file_scope.confine_dir = confine_dir;
  lo.files = files;
  lo.address_vars = cfg.address_vars;
  lo.port_vars = cfg.port_vars;
  lo.classification_file = cfg.classification_file;
  lo.threshold_file = cfg.threshold_file;
  lo.cache_dir = cfg.rule_cache_dir;
  lo.reputation_categories_file = cfg.reputation_categories_file;
  lo.default_reputation_path = cfg.default_reputation_path;
  lo.reputation_files = cfg.reputation_files;
  lo.parsed_app_protos = parsed_app_protos();
  std::shared_ptr<const rules::Engine> engine;
  BuildThread::instance().run([&] {
    engine = rules::build_engine(lo, report);
    // The build's garbage stays in the build thread's arena, where nothing
    // else would reuse it: its free pages go back to the system.
    malloc_trim(0);
  });
  rules::log_report(report);
  return engine;
}

std::vector<std::string> expand_rule_paths(const std::vector<std::string>& paths) {
  std::vector<std::string> out;
  for (const auto& path : paths) {
    std::error_code ec;
    if (!std::filesystem::is_directory(path, ec)) {
      out.push_back(path);
      continue;
    }
    std::vector<std::string> found;
    for (const auto& e : std::filesystem::directory_iterator(path, ec)) {
      if (e.path().extension() == ".rules") found.push_back(e.path().string());
    }
    std::sort(found.begin(), found.end());
    out.insert(out.end(), found.begin(), found.end());
  }
  return out;
}

std::string resolve_rule_cache_dir(const std::string& configured, const std::string& state_dir) {
  if (configured != "auto") return configured == "none" ? "" : configured;
  if (!state_dir.empty()) return state_dir + "/rule-cache";
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return std::string(x) + "/vigil";
  if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.cache/vigil";
  return "";
}

Agent::Agent(const AgentConfig& cfg, AgentOptions opt) : cfg_(cfg), opt_(std::move(opt)) {
  cfg_.live = !opt_.iface.empty();
}

Agent::~Agent() {
  stop_uplink();
}

void Agent::stop_uplink() {
  if (uplink_) uplink_->stop();
}

void Agent::open_fanout(const LiveOptions& lo) {
  std::optional<uint16_t> group;
  std::string why = src_.join_fanout(&group);
  for (int i = 1; i < cfg_.workers && why.empty(); ++i) {
    auto s = std::make_unique<PcapSource>();
    why = s->open_live(lo);
    if (why.empty()) why = s->join_fanout(&group);
    fanout_srcs_.push_back(std::move(s));
  }
  if (!why.empty()) {
    // src_ may be in a group of its own: it then gets every packet, as without one.
    fanout_srcs_.clear();
    spdlog::warn("capture.fanout kernel: {}; one capture socket, a reader thread spreads the packets instead",
                 why);
    return;
  }
  fanout_start_ = wall_clock_now();
  spdlog::info("capture: {} sockets in kernel fan-out group {}, one per worker", cfg_.workers,
               group.value_or(0));
}

int Agent::open() {
  if (int rc = prepare_run_as()) return rc;
  // Enrolled: the uplink is opened before anything is read, so that no event is produced unspooled.
  if (int rc = open_uplink()) return rc;
  // Rules first: a broken rule file is reported before any packet is read.
  if (!opt_.rule_files.empty() && !use_rules(opt_.rule_files, rules_confine_dir_)) {
    spdlog::error("no usable rules loaded from {}", fmt::join(opt_.rule_files, ", "));
    return 1;
  }
  std::string err;
  if (!opt_.pcap.empty()) {
    err = src_.open_file(opt_.pcap, cfg_.bpf);
  } else {
    LiveOptions lo{opt_.iface, cfg_.snaplen, cfg_.promisc, cfg_.buffer_size_mb, cfg_.immediate, cfg_.bpf};
    const bool fanout = cfg_.kernel_fanout && cfg_.workers > 1;
    if (fanout) {
      // The capture buffer is the total over the workers' sockets.
      int total = cfg_.buffer_size_mb > 0 ? cfg_.buffer_size_mb : auto_buffer_size_mb(opt_.iface);
      lo.buffer_size_mb = std::max(2, (total + cfg_.workers - 1) / cfg_.workers);
    }
    err = src_.open_live(lo);
    if (err.empty() && fanout) open_fanout(lo);
  }
  if (!err.empty()) {
    spdlog::error("{}", err);
    return 1;
  }
  if (int rc = open_outputs()) return rc;
  if (!cfg_.metrics_listen.empty()) {
    // Bound before the drop (a port below 1024 needs root); answers once the pipeline exists.
    metrics_ = MetricsListener::bind(cfg_.metrics_listen, &err);
    if (!metrics_) {
      spdlog::error("metrics.listen: {}", err);
      return 1;
    }
  }
  // Capture, the log file and the metrics port are open: nothing below needs root.
  if (int rc = hand_over_and_drop()) return rc;
  if (uplink_) {
    uplink_out_ = std::make_unique<UplinkEventOutput>(*uplink_);
    router_->add_output(uplink_out_.get(), uplink_config_from(cfg_.root, opt_.state_dir, "").event_types);
  }

  DetectFactory factory;
  if (!opt_.rule_files.empty()) {
    factory = [this] { return make_rules_detect(engines_, DetectOptions{}); };
  }
  pipeline_ = std::make_unique<Pipeline>(cfg_, *router_, factory);
  pipeline_->set_capture(&src_);
  if (!fanout_srcs_.empty()) {
    std::vector<PcapSource*> all{&src_};
    for (auto& s : fanout_srcs_) all.push_back(s.get());
    pipeline_->set_fanout_sources(std::move(all));
  }
  if (uplink_) {
    uplink_->set_heartbeat_source([this] { return heartbeat(); });
    // A new rule set from the collector: built on the heartbeat thread, while the workers keep
    // using the old engine; swapped in atomically; the old engine is freed when the last worker lets go.
    uplink_->set_ruleset_handler(
        [this](const std::string& version, const std::string& text, const std::string& threshold) {
          return load_collector_ruleset(version, text, threshold);
        });
    uplink_->start();
  }
  if (!opt_.state_dir.empty()) {
    // Opened after the drop: the socket is the agent's user's, like the rest of the state directory.
    std::string err, path = status_socket_path(opt_.state_dir);
    status_ = StatusServer::start(
        path, [this] { return status(); }, &err);
    if (!status_) spdlog::warn("status socket: {}; `vigil-agent status` will not answer", err);
  }
  if (metrics_) {
    metrics_->start([this] { return metrics_text(); });
    spdlog::info("metrics: GET http://{}/metrics", cfg_.metrics_listen);
  }
  return 0;
}

nlohmann::json Agent::status() const {
  CounterSnapshot c = counters();
  auto get = [&](const char* n) -> uint64_t {
    auto it = c.find(n);
    return it == c.end() ? 0 : it->second;
  };
  auto uptime = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started_);
  struct passwd* pw = getpwuid(geteuid());
  nlohmann::json s{{"version", kAgentVersion},
                   {"pid", getpid()},
                   {"user", pw ? std::string(pw->pw_name) : std::to_string(geteuid())},
                   {"uptime_s", uptime.count()},
                   {"alerts", get("detect.alert")},
                   {"alerts_rate_limited", get("detect.alerts_rate_limited")}};
  s["capture"] = {{"source", opt_.iface.empty() ? opt_.pcap : opt_.iface},
                  {"packets", get("capture.packets")},
                  {"bytes", get("capture.bytes")},
                  {"kernel_drops", get("capture.kernel_drops") + get("capture.kernel_ifdrops")}};
  auto report = rules_report();
  s["rules"] = {{"loaded", report ? report->rules_loaded : 0},
                {"failed", report ? report->rules_failed : 0},
                {"inert", report ? report->rules_inert : 0},
                {"version", uplink_ ? uplink_->ruleset_version() : std::string("local")}};
  if (uplink_) {
    nlohmann::json up{{"agent_id", uplink_->agent_id()}};
    uplink_->visit_counters([&](std::string_view n, uint64_t v) { up[std::string(n)] = v; });
    s["uplink"] = up;
  }
  return s;
}

// GET /metrics (metrics.listen): every counter of the stats event and of
// `vigil-agent status` (the same snapshot, plus the uplink's), named
// vigil_agent_<dotted name>_total, and the rules gauges.
std::string Agent::metrics_text() const {
  namespace pm = prometheus;
  // Counters that go down as well as up.
  static constexpr std::string_view kGauges[] = {"flow.active", "tcp.reassembly_memuse", "spool.depth",
                                                 "spool.bytes", "capture.fanout_sockets"};
  pm::Writer w;
  std::set<std::string, std::less<>> seen;  // a name twice would make the whole scrape invalid
  auto one = [&](std::string_view dotted, uint64_t v) {
    if (!seen.emplace(dotted).second) return;
    bool gauge = std::find(std::begin(kGauges), std::end(kGauges), dotted) != std::end(kGauges);
    pm::Type t = gauge ? pm::Type::kGauge : pm::Type::kCounter;
    std::string name = pm::metric_name("vigil_agent", dotted, t);
    w.family(name, dotted, t);
    w.sample(name, static_cast<double>(v));
  };
  for (const auto& [name, v] : counters()) one(name, v);
  if (uplink_) uplink_->visit_counters(one);
  auto report = rules_report();
  w.gauge("vigil_agent_rules_loaded", "Rules in the rule set in use.",
          static_cast<double>(report ? report->rules_loaded : 0));
  w.gauge("vigil_agent_rules_failed", "Rules of the rule set in use that could not be loaded.",
          static_cast<double>(report ? report->rules_failed : 0));
  w.gauge("vigil_agent_rules_inert",
          "Rules of the rule set in use that nothing can match here: their protocol has no parser.",
          static_cast<double>(report ? report->rules_inert : 0));
  w.gauge("vigil_agent_uptime_seconds", "Seconds since the agent started.",
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count());
  return w.text();
}

int Agent::prepare_run_as() {
  if (opt_.user.empty()) return 0;
  if (geteuid() != 0) {
    spdlog::warn("--user {}: not started as root, so there is nothing to drop; running as uid {}", opt_.user,
                 geteuid());
    return 0;
  }
  RunAs u;
  std::string err;
  if (!lookup_run_as(opt_.user, &u, &err)) {
    spdlog::error("{}", err);
    return 2;
  }
  run_as_ = u;
  // A cache directory outside the state directory is written after the drop
  // (rule sets from the collector): one the agent creates is the user's.
  const std::string& cache = cfg_.rule_cache_dir;
  std::error_code ec;
  if (!opt_.state_dir.empty() && !cache.empty() && !is_under(cache, opt_.state_dir) &&
      !std::filesystem::exists(cache, ec)) {
    std::filesystem::create_directories(cache, ec);
    if (!ec) created_cache_dir_ = cache;
  }
  return 0;
}

int Agent::hand_over_and_drop() {
  if (!run_as_) return 0;
  const RunAs& u = *run_as_;
  std::vector<std::string> mine;  // written by the agent after the drop
  if (!opt_.state_dir.empty()) mine.push_back(opt_.state_dir);
  mine.push_back(log_dir_created_ ? cfg_.log_dir : eve_path_);
  if (!created_cache_dir_.empty()) mine.push_back(created_cache_dir_);
  std::string err;
  for (const auto& p : mine) {
    if (!hand_over_tree(p, u, &err)) {
      spdlog::error("{}", err);
      return 1;
    }
  }
  if (!drop_to(u, &err)) {
    spdlog::error("{}", err);
    return 1;
  }
  if (!opt_.state_dir.empty() && access(opt_.state_dir.c_str(), R_OK | W_OK | X_OK) != 0) {
    spdlog::error(
        "--user {}: cannot reach the state directory {} after the drop: a directory above it is closed to "
        "that user; keep the state directory where it can reach it (e.g. /var/lib/vigil-agent)",
        u.name, opt_.state_dir);
    return 1;
  }
  const std::string& cache = cfg_.rule_cache_dir;
  if (!opt_.state_dir.empty() && !cache.empty() && !is_under(cache, opt_.state_dir) &&
      access(cache.c_str(), W_OK | X_OK) != 0) {
    spdlog::warn(
        "--user {}: cannot write detect.cache-dir {}: rule sets from the collector will be compiled without "
        "the cache; give the directory to {} (chown) or leave detect.cache-dir at auto",
        u.name, cache, u.name);
  }
  spdlog::info("capture open; running as {} (uid {}, gid {})", u.name, u.uid, u.gid);
  return 0;
}

int Agent::open_uplink() {
  if (opt_.state_dir.empty()) return 0;
  local_threshold_file_ = cfg_.threshold_file;
  std::string err;
  uplink_ = Uplink::open(uplink_config_from(cfg_.root, opt_.state_dir, cfg_.hostname), &err);
  if (!uplink_) {
    spdlog::error("uplink: {}", err);
    return 1;
  }
  // Without local rules the collector's rule set is used: the last one saved, or none until it arrives.
  std::error_code ec;
  std::filesystem::create_directories(collector_rule_files_dir(opt_.state_dir), ec);
  if (opt_.rule_files.empty()) {
    rules_confine_dir_ = collector_rule_files_dir(opt_.state_dir);
    std::string saved, version;
    if (saved_collector_ruleset(opt_.state_dir, &saved, &version)) {
      uplink_->set_ruleset_version(version);
      // The threshold.config it was built with (local lines + the collector's suppressions).
      if (std::string thr = collector_threshold_path(opt_.state_dir); access(thr.c_str(), R_OK) == 0)
        cfg_.threshold_file = thr;
    } else {
      saved = opt_.state_dir + "/collector.rules";
      std::ofstream(saved, std::ios::app).flush();
    }
    opt_.rule_files.push_back(saved);
  }
  return 0;
}

int Agent::open_outputs() {
  std::error_code ec;
  log_dir_created_ = !std::filesystem::exists(cfg_.log_dir, ec);
  std::filesystem::create_directories(cfg_.log_dir, ec);
  eve_path_ = (std::filesystem::path(cfg_.log_dir) / cfg_.eve_filename).string();
  std::string err = eve_file_.open(eve_path_);
  if (!err.empty()) {
    spdlog::error("{}", err);
    return 1;
  }
  std::vector<std::string> unknown;
  EventMask::from_names(cfg_.eve_types, &unknown);
  for (const auto& t : unknown) {
    spdlog::warn("outputs.eve.types: '{}' is not an event type ({}); ignored", t, event_type_names());
  }
  EveOptions eo{cfg_.eve_types,  cfg_.eve_payload, cfg_.eve_payload_printable,
                cfg_.eve_packet, cfg_.hostname,    cfg_.eve_dns};
  router_ = std::make_unique<EventRouter>(eo);
  router_->add_output(&eve_file_);
  return 0;
}

bool Agent::use_rules(const std::vector<std::string>& files, const std::string& confine_dir) {
  auto report = std::make_shared<rules::LoadReport>();
  auto engine = load_rules(cfg_, files, *report, confine_dir);
  if (!engine) return false;
  // Rules on files need the files tracked (the workers are built after the
  // first load; a later rule set cannot turn tracking on).
  if (report->file_rules > 0 && !cfg_.app.files.enabled && !pipeline_) {
    spdlog::info("{} rules inspect files: file tracking on", report->file_rules);
    cfg_.app.files.enabled = true;
  }
  if (report->magic_rules > 0 && !cfg_.app.files.magic && !pipeline_) {
    spdlog::info("{} rules inspect file.magic: libmagic on", report->magic_rules);
    cfg_.app.files.magic = true;
  }
  set_rules(std::move(engine), std::move(report));
  return true;
}

bool Agent::load_collector_ruleset(const std::string& version, const std::string& text,
                                   const std::string& threshold) {
  std::string fresh = opt_.state_dir + "/collector.rules.new", path;
  if (!(std::ofstream(fresh, std::ios::trunc) << text)) {
    spdlog::error("rule set {} from the collector: cannot write {}; keeping the rule set in use", version,
                  fresh);
    return false;
  }
  // The collector's suppressions go through the threshold-file support, after
  // the local detect.threshold-file's lines.
  std::string thr_text;
  if (!local_threshold_file_.empty()) {
    std::ifstream in(local_threshold_file_);
    thr_text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    if (!thr_text.empty() && thr_text.back() != '\n') thr_text += '\n';
  }
  thr_text += threshold;
  AgentConfig cfg = cfg_;
  cfg.threshold_file = collector_threshold_path(opt_.state_dir) + ".new";
  if (!(std::ofstream(cfg.threshold_file, std::ios::trunc) << thr_text)) {
    spdlog::error("rule set {} from the collector: cannot write {}; keeping the rule set in use", version,
                  cfg.threshold_file);
    return false;
  }
  // Saved only once it has built, so a restart never starts from a rule set that does not load.
  auto report = std::make_shared<rules::LoadReport>();
  auto engine = load_rules(cfg, {fresh}, *report, collector_rule_files_dir(opt_.state_dir));
  if (!engine || !save_collector_ruleset(opt_.state_dir, version, text, thr_text, &path)) return false;
  set_rules(std::move(engine), std::move(report));
  return true;
}

void Agent::set_rules(std::shared_ptr<const rules::Engine> engine,
                      std::shared_ptr<const rules::LoadReport> report) {
  std::lock_guard<std::mutex> g(rules_mu_);
  engines_.set(std::move(engine));
  report_ = std::move(report);
}

std::shared_ptr<const rules::LoadReport> Agent::rules_report() const {
  std::lock_guard<std::mutex> g(rules_mu_);
  return report_;
}

CounterSnapshot Agent::counters() const {
  CounterSnapshot c = pipeline_ ? pipeline_->counters() : CounterSnapshot{};
  // Lines eve.json could not take (disk full, a failed reopen after rotation).
  c["eve.write_errors"] = eve_file_.write_errors();
  return c;
}

Json Agent::stats_event(const std::vector<LimitedSignature>& limited) const {
  auto uptime = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started_);
  auto report = rules_report();
  return vigil::stats_event(counters(), uptime, report.get(), wall_clock_now(), limited);
}

nlohmann::json Agent::heartbeat() const {
  nlohmann::json hb = heartbeat_fields(counters());
  hb["interfaces"] = opt_.iface.empty() ? nlohmann::json::array() : nlohmann::json::array({opt_.iface});
  auto report = rules_report();
  hb["rules_loaded"] = report ? report->rules_loaded : 0;
  hb["rules_failed"] = report ? report->rules_failed : 0;
  return hb;
}

int Agent::run() {
  Pipeline& pipeline = *pipeline_;
  EventRouter& router = *router_;
  // Signals: a dedicated thread waits for them, so no handler runs on the packet path.
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGUSR2);  // sent by run() itself to end the signal thread
  sigaddset(&sigs, SIGHUP);   // log rotation: reopen eve.json (packaging/logrotate)
  // Left blocked after run(): a signal during the final drain waits instead of cutting it short.
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);
  std::thread sig_thread([&] {
    int sig = 0;
    while (sigwait(&sigs, &sig) == 0) {
      if (sig == SIGHUP) {
        std::string err = eve_file_.reopen();
        if (err.empty()) {
          spdlog::info("SIGHUP: reopened {}", eve_path_);
        } else {
          spdlog::error("SIGHUP: {}; events for the file are counted as write errors until the next SIGHUP",
                        err);
        }
        continue;
      }
      if (sig != SIGUSR2) {
        spdlog::info("signal {}: stopping", sig);
        pipeline.request_stop();
      }
      break;
    }
  });

  // Every stats interval and at exit: the signatures the alert rate limit
  // cut since the last time, logged and in the stats event, so that what was
  // not written is seen.
  auto emit_stats = [&] {
    std::vector<LimitedSignature> limited = pipeline.take_alert_limit_summary();
    for (const LimitedSignature& l : limited) {
      spdlog::warn(
          "alert rate limit: {} alerts of signature {}:{} not written since the last stats event "
          "({} in all; outputs.eve.alert.rate-limit {}/s)",
          l.dropped, l.gid, l.sid, l.total, cfg_.alert_limit.rate);
    }
    if (router.wants(EventType::kStats)) router.emit(EventType::kStats, stats_event(limited));
  };
  std::mutex stats_mu;
  std::condition_variable stats_cv;
  bool done = false;
  std::thread stats_thread([&] {
    std::unique_lock<std::mutex> l(stats_mu);
    while (!stats_cv.wait_for(l, std::chrono::seconds(std::max(1, cfg_.stats_interval_s)),
                              [&] { return done; })) {
      emit_stats();
      router.flush();
    }
  });

  auto report = rules_report();
  spdlog::info("vigil-agent {} reading {} with {} worker(s), {} rules; events to {}", kAgentVersion,
               opt_.pcap.empty() ? "interface " + opt_.iface : opt_.pcap, cfg_.workers,
               report ? report->rules_loaded : 0, eve_path_);
  if (src_.is_live()) {
    if (!fanout_srcs_.empty()) {
      spdlog::info("capture buffer {} x {} MiB (capture.buffer-size-mb{}, shared out among the sockets)",
                   fanout_srcs_.size() + 1, src_.buffer_size_mb(),
                   cfg_.buffer_size_mb > 0 ? "" : ": 0, sized from the link speed");
    } else {
      spdlog::info("capture buffer {} MiB (capture.buffer-size-mb{})", src_.buffer_size_mb(),
                   cfg_.buffer_size_mb > 0 ? "" : ": 0, sized from the link speed");
    }
  }
  auto run_started = std::chrono::steady_clock::now();
  int rc = fanout_srcs_.empty() ? pipeline.run(src_) : pipeline.run_fanout(fanout_start_);
  double run_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - run_started).count();
  {
    std::lock_guard<std::mutex> g(stats_mu);
    done = true;
  }
  stats_cv.notify_all();
  stats_thread.join();
  pthread_kill(sig_thread.native_handle(), SIGUSR2);
  sig_thread.join();

  CounterSnapshot final_counters = pipeline.counters();
  emit_stats();
  router.flush();
  if (uplink_) {
    if (!opt_.pcap.empty() && !uplink_->drain(std::chrono::seconds(opt_.drain_timeout_s))) {
      spdlog::warn("uplink: collector did not take every event within {} s; the rest stays spooled in {}",
                   opt_.drain_timeout_s, opt_.state_dir);
    }
    uplink_->stop();
    uplink_->visit_counters([](std::string_view n, uint64_t v) { spdlog::info("{} {}", n, v); });
  }
  auto get = [&](const char* n) {
    auto it = final_counters.find(n);
    return it == final_counters.end() ? 0 : it->second;
  };
  spdlog::info("done: {} packets, {} alerts ({} over the rate limit, not written), {} flows in {:.3f} s; {}",
               get("capture.packets"), get("detect.alert"), get("detect.alerts_rate_limited"),
               get("flow.total"), run_s, eve_path_);
  // The engine is not freed at exit: releasing tens of thousands of parsed
  // rules piece by piece takes longer than the kernel takes to drop the pages.
  // (Reachable from a static, so leak checkers do not report it.)
  static auto* keep_engine = new std::shared_ptr<const rules::Engine>(engines_.get());
  if (*keep_engine) (*keep_engine)->save_state();
  return rc;
}

}  // namespace vigil

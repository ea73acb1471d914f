// vigil-agent: the sensor. Offline (-r FILE) it reads a capture, writes
// LOGDIR/eve.json and exits when everything is written; live (-i IFACE) it
// runs until SIGINT/SIGTERM. Flags follow Suricata's where one exists.
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "agent/agent_version.h"
#include "agent/capture/pcap_source.h"
#include "agent/config.h"
#include "agent/detect/rules_detect.h"
#include "agent/output/eve.h"
#include "agent/pipeline/pipeline.h"
#include "agent/uplink/agent_glue.h"
#include "rules/engine.h"

using namespace vigil;

namespace {

struct Args {
  std::string pcap, iface, config, logdir, checksum = "auto", user, bpf;
  std::vector<std::string> rules_exclusive, rules_extra, sets;
  int workers = 0;
  std::string state_dir;  // enrolled: events go to the collector too
  int drain_timeout_s = 60;
  EnrollOptions enroll;
  bool test_rules = false, verbose = false, quiet = false, dump_config = false;
};

bool drop_privileges(const std::string& user) {
  if (user.empty() || geteuid() != 0) return true;
  struct passwd* pw = getpwnam(user.c_str());
  if (!pw) {
    spdlog::error("--user {}: no such user", user);
    return false;
  }
  if (initgroups(pw->pw_name, pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0) {
    spdlog::error("--user {}: cannot drop privileges", user);
    return false;
  }
  spdlog::info("capture open; running as {}", user);
  return true;
}

// detect.cache-dir: "auto" keeps compiled prefilter databases with the
// enrolled state, else in the user's cache directory, so a restart with the
// same rules skips compilation; "" or "none" turns the cache off.
std::string resolve_rule_cache_dir(const std::string& configured, const std::string& state_dir) {
  if (configured != "auto") return configured == "none" ? "" : configured;
  if (!state_dir.empty()) return state_dir + "/rule-cache";
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return std::string(x) + "/vigil";
  if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.cache/vigil";
  return "";
}

// confine_dir: set for the collector's rule set (STATE_DIR/rulefiles), whose
// dataset files may not name anything outside it; empty for local -S/-s files.
std::shared_ptr<const rules::Engine> load_rules(const AgentConfig& cfg, const std::vector<std::string>& files,
                                                rules::LoadReport& report,
                                                const std::string& confine_dir = "") {
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
  auto engine = rules::build_engine(lo, report);
  rules::log_report(report);
  return engine;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  CLI::App app{
      "vigil-agent: network intrusion detection sensor.\n\n"
      "Examples:\n"
      "  vigil-agent -r capture.pcap -S my.rules -l out/   analyse a capture file, alerts in out/eve.json\n"
      "  vigil-agent -i eth0 -S /etc/vigil/rules/vigil.rules -l /var/log/vigil   watch an interface\n"
      "  vigil-agent --test-rules -S my.rules                check a rule file and exit\n"};
  app.get_formatter()->column_width(34);
  app.add_option("-r,--pcap", a.pcap, "Read packets from a capture file (pcap or pcapng)");
  app.add_option("-i,--interface", a.iface, "Capture live on this interface");
  app.add_option("-S", a.rules_exclusive,
                 "Load rules from this file or directory of *.rules only (may repeat)");
  app.add_option("-s", a.rules_extra, "Load rules from this file in addition (may repeat)");
  app.add_option("-l,--log-dir", a.logdir, "Directory for eve.json (default: config default-log-dir)");
  app.add_option("-c,--config", a.config, "YAML configuration file");
  app.add_option("-k", a.checksum,
                 "Checksum checks: all, none or auto (default: config capture.checksum-checks, auto)")
      ->check(CLI::IsMember({"all", "none", "auto"}));
  app.add_option("--set", a.sets, "Override a configuration key, e.g. outputs.eve.types=alert,flow,stats");
  app.add_option("--workers", a.workers, "Packet worker threads (default: threading.workers, 1)");
  app.add_option("--bpf", a.bpf, "BPF filter for capture (also config capture.bpf-filter)");
  app.add_option("--user", a.user, "After opening the capture, switch to this unprivileged user");
  app.add_flag("-T,--test-rules", a.test_rules,
               "Check the rule files given with -S/-s and exit (non-zero on errors)");
  app.add_flag("--dump-config", a.dump_config,
               "Print the configuration (defaults merged with -c and --set) and exit");
  app.add_flag("-v,--verbose", a.verbose, "More log output");
  app.add_flag("-q,--quiet", a.quiet, "Only warnings and errors");
  app.add_option("--state-dir", a.state_dir, "Enrolled state directory: ship events to the collector");
  app.add_option("--drain-timeout", a.drain_timeout_s,
                 "With -r: seconds to wait for the collector to take the rest");
  app.set_version_flag("-V,--version", std::string("vigil-agent ") + kAgentVersion);
  auto* enroll =
      app.add_subcommand("enroll", "Enrol with a collector: trade a token for this agent's credentials");
  enroll->add_option("--collector", a.enroll.collector_url, "https://HOST:PORT")->required();
  enroll->add_option("--token", a.enroll.token, "Enrolment token from 'vigil-collector token create'")
      ->required();
  enroll->add_option("--ca-file", a.enroll.ca_file, "The collector's CA certificate (DATA_DIR/ca.pem)");
  enroll->add_option("--pin", a.enroll.pin, "Or: SHA-256 fingerprint of the collector's server certificate");
  enroll->add_option("--state-dir", a.enroll.state_dir, "Where the credentials are kept")->required();
  enroll->add_option("--hostname", a.enroll.hostname, "Name shown on the collector (default: host name)");
  CLI11_PARSE(app, argc, argv);
  if (enroll->parsed()) return run_enroll(a.enroll);

  auto logger = spdlog::stderr_color_mt("vigil");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  spdlog::set_level(a.quiet ? spdlog::level::warn : a.verbose ? spdlog::level::debug : spdlog::level::info);

  if (a.checksum == "none") a.sets.insert(a.sets.begin(), "capture.checksum-checks=no");
  if (a.checksum == "all") a.sets.insert(a.sets.begin(), "capture.checksum-checks=yes");
  if (a.workers > 0) a.sets.push_back("threading.workers=" + std::to_string(a.workers));
  if (!a.logdir.empty()) a.sets.push_back("default-log-dir=" + a.logdir);
  if (!a.bpf.empty()) a.sets.push_back("capture.bpf-filter=" + a.bpf);

  ConfigResult cr = load_config(a.config, a.sets);
  if (!cr.ok) {
    spdlog::error("configuration: {}", cr.error);
    return 2;
  }
  if (a.dump_config) {
    // The defaults with their comments, or the merged result of -c / --set.
    if (a.config.empty() && a.sets.empty()) {
      fputs(default_config_yaml(), stdout);
    } else {
      YAML::Emitter em;
      em << cr.cfg.root;
      printf("%s\n", em.c_str());
    }
    return 0;
  }
  cr.cfg.live = !a.iface.empty();
  cr.cfg.rule_cache_dir = resolve_rule_cache_dir(cr.cfg.rule_cache_dir, a.state_dir);
  const AgentConfig& cfg = cr.cfg;

  // A directory stands for every *.rules file in it, in name order (ET Open ships ~50 files).
  std::vector<std::string> rule_files;
  for (const auto* list : {&a.rules_exclusive, &a.rules_extra}) {
    for (const auto& path : *list) {
      std::error_code dec;
      if (!std::filesystem::is_directory(path, dec)) {
        rule_files.push_back(path);
        continue;
      }
      std::vector<std::string> found;
      for (const auto& e : std::filesystem::directory_iterator(path, dec)) {
        if (e.path().extension() == ".rules") found.push_back(e.path().string());
      }
      std::sort(found.begin(), found.end());
      rule_files.insert(rule_files.end(), found.begin(), found.end());
    }
  }

  if (a.test_rules) {
    if (rule_files.empty()) {
      spdlog::error("--test-rules needs rule files (-S FILE)");
      return 2;
    }
    rules::LoadReport report;
    auto engine = load_rules(cfg, rule_files, report);
    for (const auto& e : report.errors) fprintf(stderr, "%s\n", e.c_str());
    bool ok = engine && report.rules_failed == 0;
    fprintf(stderr, "%s: %zu rules loaded, %zu failed\n", ok ? "OK" : "FAILED", report.rules_loaded,
            report.rules_failed);
    return ok ? 0 : 1;
  }

  if (a.pcap.empty() == a.iface.empty()) {
    fprintf(stderr, "vigil-agent: give exactly one of -r FILE or -i IFACE (see --help)\n");
    return 2;
  }

  // Enrolled: the uplink is opened before anything is read, so that no event is produced unspooled.
  std::unique_ptr<Uplink> uplink;
  std::string collector_rules_version, rules_confine_dir;
  std::error_code ec_dirs;
  if (!a.state_dir.empty()) {
    std::string uerr;
    uplink = Uplink::open(uplink_config_from(cfg.root, a.state_dir, cfg.hostname), &uerr);
    if (!uplink) {
      spdlog::error("uplink: {}", uerr);
      return 1;
    }
    // Without local rules the collector's rule set is used: the last one saved, or none until it arrives.
    std::string saved;
    std::filesystem::create_directories(collector_rule_files_dir(a.state_dir), ec_dirs);
    if (rule_files.empty()) {
      rules_confine_dir = collector_rule_files_dir(a.state_dir);
      if (saved_collector_ruleset(a.state_dir, &saved, &collector_rules_version)) {
        uplink->set_ruleset_version(collector_rules_version);
      } else {
        saved = a.state_dir + "/collector.rules";
        std::ofstream(saved, std::ios::app).flush();
      }
      rule_files.push_back(saved);
    }
  }

  // Rules first: a broken rule file is reported before any packet is read.
  EngineHolder engines;
  rules::LoadReport report;
  bool have_rules = !rule_files.empty();
  if (have_rules) {
    auto engine = load_rules(cfg, rule_files, report, rules_confine_dir);
    if (!engine) {
      spdlog::error("no usable rules loaded from {}", fmt::join(rule_files, ", "));
      return 1;
    }
    engines.set(engine);
  }

  PcapSource src;
  std::string err;
  if (!a.pcap.empty()) {
    err = src.open_file(a.pcap, cfg.bpf);
  } else {
    LiveOptions lo{a.iface, cfg.snaplen, cfg.promisc, cfg.buffer_size_mb, cfg.immediate, cfg.bpf};
    err = src.open_live(lo);
  }
  if (!err.empty()) {
    spdlog::error("{}", err);
    return 1;
  }
  std::error_code ec;
  std::filesystem::create_directories(cfg.log_dir, ec);
  EveFileOutput eve_file;
  std::string eve_path = (std::filesystem::path(cfg.log_dir) / cfg.eve_filename).string();
  err = eve_file.open(eve_path);
  if (!err.empty()) {
    spdlog::error("{}", err);
    return 1;
  }
  EveOptions eo{cfg.eve_types, cfg.eve_payload, cfg.eve_payload_printable, cfg.eve_packet, cfg.hostname};
  EventRouter router(eo);
  router.add_output(&eve_file);
  // Capture and the log file are open: nothing below needs root.
  if (!drop_privileges(a.user)) return 1;
  std::unique_ptr<UplinkEventOutput> uplink_out;
  if (uplink) {
    uplink_out = std::make_unique<UplinkEventOutput>(*uplink);
    router.add_output(uplink_out.get(), uplink_config_from(cfg.root, a.state_dir, "").event_types);
  }

  DetectFactory factory;
  if (have_rules) {
    factory = [&engines] { return make_rules_detect(engines, DetectOptions{}); };
  }
  Pipeline pipeline(cfg, router, factory);
  pipeline.set_capture(&src);
  if (uplink) {
    uplink->set_heartbeat_source([&] {
      auto hb = heartbeat_fields(pipeline.counters());
      hb["interfaces"] = a.iface.empty() ? Json::array() : Json::array({a.iface});
      hb["rules_loaded"] = report.rules_loaded;
      return hb;
    });
    // A new rule set from the collector: built here, on the heartbeat thread, while the workers keep
    // using the old engine; swapped in atomically; the old engine is freed when the last worker lets go.
    uplink->set_ruleset_handler([&](const std::string& version, const std::string& text) {
      std::string fresh = a.state_dir + "/collector.rules.new", path;
      std::ofstream(fresh, std::ios::trunc) << text;
      rules::LoadReport rep;
      auto engine = load_rules(cfg, {fresh}, rep, collector_rule_files_dir(a.state_dir));
      if (!engine || !save_collector_ruleset(a.state_dir, version, text, &path)) return false;
      engines.set(engine);
      return true;
    });
    uplink->start();
  }

  // Signals: a dedicated thread waits for them, so no handler runs on the packet path.
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGUSR2);  // sent by main itself to end the signal thread
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);
  std::thread sig_thread([&] {
    int sig = 0;
    if (sigwait(&sigs, &sig) == 0 && sig != SIGUSR2) {
      spdlog::info("signal {}: stopping", sig);
      pipeline.request_stop();
    }
  });

  auto started = std::chrono::steady_clock::now();
  auto stats_event = [&] {
    Json j;
    j["timestamp"] = format_eve_time(wall_clock_now());
    j["event_type"] = "stats";
    Json st = nest_counters(pipeline.counters());
    st["uptime"] =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started).count();
    if (have_rules) st["detect"].update(rules::report_stats_json(report), true);
    Json out = Json::object();
    out["uptime"] = st["uptime"];
    for (auto& [k, v] : st.items()) {
      if (k != "uptime") out[k] = v;
    }
    j["stats"] = out;
    return j;
  };

  std::mutex stats_mu;
  std::condition_variable stats_cv;
  bool done = false;
  std::thread stats_thread([&] {
    std::unique_lock<std::mutex> l(stats_mu);
    while (!stats_cv.wait_for(l, std::chrono::seconds(std::max(1, cfg.stats_interval_s)),
                              [&] { return done; })) {
      if (router.wants("stats")) router.emit("stats", stats_event());
      router.flush();
    }
  });

  spdlog::info("vigil-agent {} reading {} with {} worker(s), {} rules; events to {}", kAgentVersion,
               a.pcap.empty() ? "interface " + a.iface : a.pcap, cfg.workers,
               have_rules ? report.rules_loaded : 0, eve_path);
  auto run_started = std::chrono::steady_clock::now();
  int rc = pipeline.run(src);
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
  if (router.wants("stats")) router.emit("stats", stats_event());
  router.flush();
  if (uplink) {
    if (!a.pcap.empty() && !uplink->drain(std::chrono::seconds(a.drain_timeout_s))) {
      spdlog::warn("uplink: collector did not take every event within {} s; the rest stays spooled in {}",
                   a.drain_timeout_s, a.state_dir);
    }
    uplink->stop();
    uplink->visit_counters([](std::string_view n, uint64_t v) { spdlog::info("{} {}", n, v); });
  }
  auto get = [&](const char* n) {
    auto it = final_counters.find(n);
    return it == final_counters.end() ? 0 : it->second;
  };
  spdlog::info("done: {} packets, {} alerts, {} flows in {:.3f} s; {}", get("capture.packets"),
               get("detect.alert"), get("flow.total"), run_s, eve_path);
  // The engine is not freed at exit: releasing tens of thousands of parsed
  // rules piece by piece takes longer than the kernel takes to drop the pages.
  // (Reachable from a static, so leak checkers do not report it.)
  static auto* keep_engine = new std::shared_ptr<const rules::Engine>(engines.get());
  if (*keep_engine) (*keep_engine)->save_state();
  (void)keep_engine;
  return rc;
}

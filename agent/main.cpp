// vigil-agent: the sensor. Offline (-r FILE) it reads a capture, writes
// LOGDIR/eve.json and exits when everything is written; live (-i IFACE) it
// runs until SIGINT/SIGTERM. Flags follow Suricata's where one exists.
// This file reads the command line and the configuration; the running
// sensor is an Agent (agent.h).
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdio>

#include "agent/agent.h"
#include "agent/agent_version.h"
#include "agent/config.h"
#include "common/private_files.h"

using namespace vigil;

namespace {

struct Args {
  std::string pcap, iface, config, logdir, checksum = "auto", user, bpf;
  std::vector<std::string> rules_exclusive, rules_extra, sets;
  int workers = 0;
  std::string state_dir;  // enrolled: events go to the collector too
  int drain_timeout_s = 60;
  EnrollOptions enroll;
  bool test_rules = false, verbose = false, quiet = false, dump_config = false, config_docs = false;
};

}  // namespace

int main(int argc, char** argv) {
  // Nothing the agent creates is readable by others (explicit 0600 for secrets, spool and eve.json).
  set_program_umask();
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
  app.add_flag("--config-docs", a.config_docs, "Print the configuration reference (Markdown) and exit");
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

  if (a.config_docs) {
    fputs(config_docs_markdown().c_str(), stdout);
    return 0;
  }
  ConfigResult cr = load_config(a.config, a.sets);
  for (const auto& w : cr.warnings) spdlog::warn("configuration: {}", w);
  if (!cr.ok) {
    fprintf(stderr, "%s\nvigil-agent: not started: the configuration has errors\n", cr.error.c_str());
    return 2;
  }
  if (a.dump_config) {
    fputs(dump_config(cr).c_str(), stdout);
    return 0;
  }
  cr.cfg.rule_cache_dir = resolve_rule_cache_dir(cr.cfg.rule_cache_dir, a.state_dir);
  const AgentConfig& cfg = cr.cfg;

  std::vector<std::string> rule_files = expand_rule_paths(a.rules_exclusive);
  for (auto& f : expand_rule_paths(a.rules_extra)) rule_files.push_back(std::move(f));

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

  AgentOptions opt;
  opt.pcap = a.pcap;
  opt.iface = a.iface;
  opt.user = a.user;
  opt.state_dir = a.state_dir;
  opt.drain_timeout_s = a.drain_timeout_s;
  opt.rule_files = std::move(rule_files);
  Agent agent(cfg, std::move(opt));
  if (int rc = agent.open()) return rc;
  return agent.run();
}

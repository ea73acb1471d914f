// vigil-agent: the sensor. Offline (-r FILE) it reads a capture, writes
// LOGDIR/eve.json and exits when everything is written; live (-i IFACE) it
// runs until SIGINT/SIGTERM. Flags follow Suricata's where one exists.
// This file reads the command line and the configuration; the running
// sensor is an Agent (agent.h).
#include <net/if.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "agent/agent.h"
#include "agent/agent_version.h"
#include "agent/config.h"
#include "agent/uplink/agent_state.h"
#include "common/private_files.h"
#include "common/privileges.h"

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
  bool check_config = false;
};

void print_lines(const std::string& text, const char* prefix = "") {
  size_t at = 0;
  while (at < text.size()) {
    size_t nl = text.find('\n', at);
    if (nl == std::string::npos) nl = text.size();
    if (nl > at) fprintf(stderr, "%s%.*s\n", prefix, static_cast<int>(nl - at), text.data() + at);
    at = nl + 1;
  }
}

// --check-config: loads what a start would load (configuration, -S/-s rules
// or the enrolled state's saved rule set with the files they name, the
// enrolment, --user) without opening the capture or writing eve.json. What
// was checked goes to standard output, every problem to standard error as
// FILE:LINE: reason. 0 when a start would find nothing wrong, else 2.
int check_config(const Args& a, ConfigResult& cr) {
  int problems = 0;
  auto problem = [&](const std::string& line) {
    fprintf(stderr, "%s\n", line.c_str());
    ++problems;
  };
  printf("configuration: %s\n", a.config.empty() ? "built-in defaults (no -c)" : a.config.c_str());
  print_lines(fmt::format("{}", fmt::join(cr.warnings, "\n")), "warning: ");
  if (!cr.ok) {
    print_lines(cr.error);
    fprintf(stderr,
            "vigil-agent: the configuration has errors (above, as FILE:LINE: key: reason); rules not "
            "checked until they are fixed\n");
    return 2;
  }
  printf("configuration: ok\n");
  cr.cfg.rule_cache_dir = resolve_rule_cache_dir(cr.cfg.rule_cache_dir, a.state_dir);

  if (!a.state_dir.empty()) {
    AgentState st;
    std::string err;
    if (load_agent_state(a.state_dir, &st, &err)) {
      printf("enrolment: %s/agent.json: agent %s, collector %s\n", a.state_dir.c_str(), st.agent_id.c_str(),
             st.collector_url.c_str());
    } else {
      problem("--state-dir: " + err);
    }
  }

  std::vector<std::string> files = expand_rule_paths(a.rules_exclusive);
  for (auto& f : expand_rule_paths(a.rules_extra)) files.push_back(std::move(f));
  std::string confine;
  if (files.empty() && !a.state_dir.empty()) {
    std::string saved, version;
    if (saved_collector_ruleset(a.state_dir, &saved, &version)) {
      files.push_back(saved);
      confine = collector_rule_files_dir(a.state_dir);
      printf("rules: the collector's rule set %s saved in %s\n", version.c_str(), saved.c_str());
    }
  }
  if (files.empty()) {
    printf("rules: none given (-S FILE or -s FILE); a start would run without detection\n");
  } else {
    rules::LoadReport report;
    auto engine = load_rules(cr.cfg, files, report, confine);
    for (const auto& e : report.errors) fprintf(stderr, "%s\n", e.c_str());
    uint64_t broken = report.rules_failed - report.rules_skipped;
    printf(
        "rules: %zu file(s), %llu loaded, %llu failed (%llu of them use keywords or protocols this agent "
        "does not support: skipped, not errors), %llu inert (valid, but no parser here feeds them)\n",
        files.size(), static_cast<unsigned long long>(report.rules_loaded),
        static_cast<unsigned long long>(report.rules_failed),
        static_cast<unsigned long long>(report.rules_skipped),
        static_cast<unsigned long long>(report.rules_inert));
    if (!engine || report.fatal) {
      problem("rules: nothing usable could be built from " + fmt::format("{}", fmt::join(files, ", ")));
    } else if (broken > 0) {
      problem(
          fmt::format("rules: {} rule(s) do not parse (listed above as FILE:LINE: sid N: reason); fix or "
                      "comment them out",
                      broken));
    }
  }

  if (!a.pcap.empty()) {
    if (access(a.pcap.c_str(), R_OK) != 0) {
      problem("-r " + a.pcap + ": cannot read it: " + strerror(errno));
    } else {
      printf("capture: file %s readable (not opened)\n", a.pcap.c_str());
    }
  } else if (!a.iface.empty()) {
    if (if_nametoindex(a.iface.c_str()) == 0) {
      problem("-i " + a.iface + ": no such interface (list them with: ip link)");
    } else {
      printf("capture: interface %s exists (not opened)\n", a.iface.c_str());
    }
  }
  if (!a.user.empty()) {
    RunAs u;
    std::string err;
    if (!lookup_run_as(a.user, &u, &err)) {
      problem(err);
    } else {
      printf("--user %s: uid %u, gid %u%s\n", u.name.c_str(), u.uid, u.gid,
             geteuid() == 0 ? "" : " (not root now: a start would not switch)");
    }
  }
  if (problems) {
    fprintf(stderr, "vigil-agent: %d problem(s) (above); a start would fail or run without what they name\n",
            problems);
    return 2;
  }
  printf("vigil-agent: configuration OK\n");
  return 0;
}

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
  app.add_flag("--check-config", a.check_config,
               "Load the configuration and the rules as a start would, report every problem as "
               "FILE:LINE: reason and exit (0: all good, 2: problems); opens no capture");
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
  std::string status_state_dir;
  bool status_json = false;
  auto* status_cmd =
      app.add_subcommand("status", "Ask the running agent for its counters (over STATE_DIR/status.sock)");
  status_cmd->add_option("--state-dir", status_state_dir, "The running agent's --state-dir")->required();
  status_cmd->add_flag("--json", status_json, "Print the agent's answer as JSON");
  CLI11_PARSE(app, argc, argv);
  if (enroll->parsed()) return run_enroll(a.enroll);
  if (status_cmd->parsed()) {
    nlohmann::json st;
    std::string err;
    if (!query_status(status_socket_path(status_state_dir), &st, &err)) {
      fprintf(stderr, "vigil-agent status: %s\n", err.c_str());
      return 1;
    }
    fputs(status_json ? (st.dump(2) + "\n").c_str() : format_status(st).c_str(), stdout);
    return 0;
  }

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
  if (a.check_config) {
    spdlog::set_level(spdlog::level::off);  // its findings are printed plainly, once
    return check_config(a, cr);
  }
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
    // Inert rules are valid: listed with the reason, not a failure.
    for (const auto& e : report.inert) fprintf(stderr, "%s\n", e.c_str());
    for (const auto& [why, n] : report.inert_by_reason)
      fprintf(stderr, "inert: %llu rules: %s\n", static_cast<unsigned long long>(n), why.c_str());
    // Rules whose `requires` is not met are skipped, as Suricata does: not a failure.
    for (const auto& e : report.unmet) fprintf(stderr, "%s\n", e.c_str());
    bool ok = engine && report.rules_failed == 0;
    fprintf(stderr, "%s: %zu rules loaded, %zu failed, %zu inert, %zu skipped (requires)\n",
            ok ? "OK" : "FAILED", report.rules_loaded, report.rules_failed, report.rules_inert,
            report.rules_unmet);
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

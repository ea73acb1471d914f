// Agent: the rule set in use is one thing, engine and report together. After
// use_rules() (what a collector push does), the heartbeat and the stats event
// describe the new set with its own counts, and the workers run it.
#include "agent/agent.h"

#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "tests/tools/packet_builder.h"
#include "tests/tools/pcap_writer.h"

using namespace vigil;

namespace {

std::filesystem::path temp_dir(const char* name) {
  auto d = std::filesystem::temp_directory_path() /
           (std::string("vigil-agent-") + name + std::to_string(getpid()));
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d;
}

void write_file(const std::filesystem::path& p, const std::string& text) {
  std::ofstream(p, std::ios::trunc) << text;
}

}  // namespace

TEST_CASE("a new rule set replaces the start-up one in the heartbeat, stats.detect and the workers") {
  auto dir = temp_dir("reload");
  std::string pcap = (dir / "in.pcap").string();
  {
    test::PcapWriter w(pcap);
    w.write({1700000000, 0}, test::udp4("10.0.0.1", "10.0.0.2", 1000, 53, "MARKER-B"));
  }
  write_file(dir / "start.rules", "alert udp any any -> any any (msg:\"a\"; content:\"MARKER-A\"; sid:1;)\n");
  write_file(dir / "new.rules",
             "alert udp any any -> any any (msg:\"b\"; content:\"MARKER-B\"; sid:2;)\n"
             "alert udp any any -> any any (msg:\"c\"; content:\"MARKER-C\"; sid:3;)\n"
             "alert udp any any -> any any (msg:\"broken\"; no_such_keyword; sid:4;)\n");

  ConfigResult cr = load_config("", {"default-log-dir=" + (dir / "log").string(), "detect.cache-dir=none",
                                     "outputs.eve.types=alert,stats"});
  REQUIRE(cr.ok);
  cr.cfg.rule_cache_dir = resolve_rule_cache_dir(cr.cfg.rule_cache_dir, "");
  AgentOptions opt;
  opt.pcap = pcap;
  opt.rule_files = {(dir / "start.rules").string()};
  Agent agent(cr.cfg, opt);
  REQUIRE(agent.open() == 0);
  REQUIRE(agent.rules_report());
  CHECK(agent.rules_report()->rules_loaded == 1);
  CHECK(agent.heartbeat()["rules_loaded"] == 1);

  REQUIRE(agent.use_rules({(dir / "new.rules").string()}));
  CHECK(agent.heartbeat()["rules_loaded"] == 2);
  CHECK(agent.heartbeat()["rules_failed"] == 1);
  Json st = agent.stats_event();
  CHECK(st["stats"]["detect"]["engines"][0]["rules_loaded"] == 2);
  CHECK(st["stats"]["detect"]["engines"][0]["rules_failed"] == 1);

  // A rule set that builds nothing leaves the one in use.
  CHECK_FALSE(agent.use_rules({(dir / "missing.rules").string()}));
  CHECK(agent.heartbeat()["rules_loaded"] == 2);

  // The workers run the new set: sid 2 fires on the packet, sid 1 would not.
  sigset_t mask;  // run() blocks SIGINT/SIGTERM for its signal thread; give them back to the test runner
  pthread_sigmask(SIG_SETMASK, nullptr, &mask);
  int rc = agent.run();
  pthread_sigmask(SIG_SETMASK, &mask, nullptr);
  REQUIRE(rc == 0);
  std::ifstream eve(dir / "log" / "eve.json");
  std::string line, sids;
  while (std::getline(eve, line)) {
    auto j = Json::parse(line);
    if (j["event_type"] == "alert") sids += std::to_string(j["alert"]["signature_id"].get<int>()) + " ";
  }
  CHECK(sids == "2 ");
  std::filesystem::remove_all(dir);
}

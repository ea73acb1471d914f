#include "agent/config.h"

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <sstream>

using namespace vigil;

namespace {

// The errors of loading `yaml` as "agent.yaml", one per line ("" when it loads).
std::string errors_of(const std::string& yaml, const std::vector<std::string>& sets = {}) {
  return load_config_text("agent.yaml", yaml, sets).error;
}

std::string warnings_of(const std::string& yaml, const std::vector<std::string>& sets = {}) {
  auto r = load_config_text("agent.yaml", yaml, sets);
  std::string out;
  for (const auto& w : r.warnings) out += (out.empty() ? "" : "\n") + w;
  return out;
}

}  // namespace

TEST_CASE("defaults match Suricata's address and port variables") {
  auto r = load_config("", {});
  REQUIRE(r.ok);
  CHECK(r.cfg.address_vars.at("HOME_NET") == "[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]");
  CHECK(r.cfg.address_vars.at("EXTERNAL_NET") == "!$HOME_NET");
  CHECK(r.cfg.port_vars.at("HTTP_PORTS") == "80");
  CHECK(r.cfg.wants("alert"));
  CHECK(r.cfg.wants("flow"));
  CHECK_FALSE(r.cfg.wants("http"));
  CHECK(r.cfg.flow.reassembly_depth == 1024 * 1024);
  CHECK(r.cfg.app.http_request_body_limit == 102400);
  CHECK(r.cfg.flow.tcp_est_timeout == 600);
  CHECK(r.cfg.stats_interval_s == 8);
  CHECK(r.warnings.empty());
}

TEST_CASE("the agent's key table is sound: defaults convert and validate, every key has help") {
  const auto& s = agent_config_schema().schema();
  CHECK(s.table_errors().empty());
  for (const auto& e : s.table_errors()) UNSCOPED_INFO(e);
  for (const auto& k : s.keys()) {
    INFO(k.key);
    CHECK_FALSE(k.help.empty());
  }
}

TEST_CASE("set overrides scalars and lists") {
  auto r = load_config("", {"outputs.eve.types=alert,http,dns", "stream.reassembly.depth=4096",
                            "vars.address-groups.HOME_NET=[10.1.0.0/16]", "capture.checksum-checks=false"});
  REQUIRE(r.ok);
  CHECK(r.cfg.eve_types == std::vector<std::string>{"alert", "http", "dns"});
  CHECK(r.cfg.flow.reassembly_depth == 4096);
  CHECK(r.cfg.address_vars.at("HOME_NET") == "[10.1.0.0/16]");
  CHECK(r.cfg.address_vars.at("EXTERNAL_NET") == "!$HOME_NET");
  CHECK_FALSE(r.cfg.decode.checksum_checks);
  CHECK_FALSE(r.cfg.flow.checksum_checks);
}

TEST_CASE("sizes and durations take units") {
  auto r = load_config_text("agent.yaml",
                            "stream:\n  reassembly:\n    depth: 2mb\n    memcap: 1gb\n"
                            "defrag: {memcap: 64kb, timeout: 2m}\n"
                            "flow:\n  timeouts:\n    tcp: {established: 1h}\n"
                            "uplink: {batch-max-age-ms: 2s, heartbeat-interval: 10}\n",
                            {});
  REQUIRE(r.ok);
  CHECK(r.cfg.flow.reassembly_depth == 2 * 1024 * 1024);
  CHECK(r.cfg.flow.reassembly_memcap == 1024ull * 1024 * 1024);
  CHECK(r.cfg.decode.defrag_memcap == 64 * 1024);
  CHECK(r.cfg.decode.defrag_timeout_s == 120);
  CHECK(r.cfg.flow.tcp_est_timeout == 3600);
  // uplink.* reach the uplink through the validated tree, in its own units.
  CHECK(r.cfg.root["uplink"]["batch-max-age-ms"].as<int>() == 2000);
  CHECK(r.cfg.root["uplink"]["heartbeat-interval"].as<int>() == 10);
  CHECK(r.cfg.root["uplink"]["spool-max-bytes"].as<uint64_t>() == 512ull << 20);
}

TEST_CASE("every bad value names file, line, key and reason") {
  struct Case {
    const char* yaml;
    const char* error;
  };
  const Case cases[] = {
      {"threading:\n  workers: 2\nflow:\n  max-flows: 200k\n",
       "agent.yaml:4: flow.max-flows: expected an integer, got '200k'"},
      {"flow:\n  max-flows: 0\n", "agent.yaml:2: flow.max-flows: expected from 1 to 4294967295, got '0'"},
      {"threading: {workers: 5000}\n",
       "agent.yaml:1: threading.workers: expected from 1 to 1024, got '5000'"},
      {"outputs:\n  eve:\n    payload: maybe\n",
       "agent.yaml:3: outputs.eve.payload: expected true or false, got 'maybe'"},
      {"stream:\n  reassembly:\n    depth: 1tb\n",
       "agent.yaml:3: stream.reassembly.depth: expected a size (bytes, or a number with kb, mb or gb), got "
       "'1tb'"},
      {"stream:\n  reassembly:\n    depth: -1\n",
       "agent.yaml:3: stream.reassembly.depth: expected a size (bytes, or a number with kb, mb or gb), got "
       "'-1'"},
      {"flow:\n  timeouts:\n    tcp:\n      new: 5x\n",
       "agent.yaml:4: flow.timeouts.tcp.new: expected a duration like 30s, 5m or 500ms, got '5x'"},
      {"flow:\n  timeouts:\n    udp: {new: 1500ms}\n",
       "agent.yaml:3: flow.timeouts.udp.new: expected a whole number of seconds, got '1500ms'"},
      {"stats:\n  interval: 0\n", "agent.yaml:2: stats.interval: expected from 1s to 1d, got '0'"},
      {"capture:\n  checksum-checks: sometimes\n",
       "agent.yaml:2: capture.checksum-checks: expected one of auto, yes, no, got 'sometimes'"},
      {"app-layer:\n  tls:\n    encryption-handling: bypass\n",
       "agent.yaml:3: app-layer.tls.encryption-handling: expected one of default, full, got 'bypass'"},
      {"uplink:\n  spool-sync: [full]\n",
       "agent.yaml:2: uplink.spool-sync: expected one of full, normal, got a list"},
      {"outputs:\n  eve:\n    types: [alert, {flow: {}}]\n",
       "agent.yaml:3: outputs.eve.types: expected a list of strings, got a map in it"},
      {"outputs:\n  eve:\n    types:\n      - alert\n      - anomaly\n",
       "agent.yaml:3: outputs.eve.types: 'anomaly' is not an event type (alert, flow, stats, http, dns, "
       "tls, ssh, smtp, ftp, fileinfo, ftp_data, smb)"},
      {"vars:\n  address-groups:\n    HOME_NET: [10.0.0.0/8]\n",
       "agent.yaml:3: vars.address-groups.HOME_NET: expected a string, got a list"},
      {"vars:\n  address-groups:\n    HOME_NET: \"[10.0.0.0/33]\"\n",
       "agent.yaml:3: vars.address-groups.HOME_NET: invalid address '10.0.0.0/33'"},
      {"vars:\n  port-groups:\n    HTTP_PORTS: \"70000\"\n",
       "agent.yaml:3: vars.port-groups.HTTP_PORTS: invalid port '70000'"},
      {"vars:\n  address-groups: [HOME_NET]\n",
       "agent.yaml:2: vars.address-groups: expected a map of NAME: value, got a list"},
      {"decoder:\n  vxlan:\n    ports: any\n",
       "agent.yaml:3: decoder.vxlan.ports: 'any' is every port; list the tunnel's ports"},
      {"decoder:\n  geneve:\n    ports: {a: 1}\n",
       "agent.yaml:3: decoder.geneve.ports: expected a port or a list of ports, got a map"},
      {"decoder:\n  teredo:\n    enabled: 2\n",
       "agent.yaml:3: decoder.teredo.enabled: expected true or false, got '2'"},
      {"host-name: [a, b]\n", "agent.yaml:1: host-name: expected a string, got a list"},
      {"host-name: a\xf8"
       "b\n",
       "agent.yaml:1: host-name: expected UTF-8 text, got other bytes"},
      {"reputation-files: {a: b}\n", "agent.yaml:1: reputation-files: expected a list of strings, got a map"},
      {"flow: 5\n", "agent.yaml:1: flow: expected a section of keys, got '5'"},
      {"- threading\n", "agent.yaml:1: top level: expected a map of keys, got a list"},
      {"threading:\n  workers: 2\n bad-indent: [\n", "agent.yaml:3: yaml: end of map not found"},
  };
  for (const auto& c : cases) {
    INFO(c.yaml);
    auto r = load_config_text("agent.yaml", c.yaml, {});
    CHECK_FALSE(r.ok);
    CHECK(r.error == c.error);
  }
}

TEST_CASE("every error is listed, not only the first, and nothing falls back to a default") {
  std::string e = errors_of(
      "flow:\n  max-flows: 200k\nthreading:\n  workers: many\nvars:\n  address-groups:\n    HOME_NET: "
      "[10.0.0.0/8]\n");
  CHECK(e ==
        "agent.yaml:2: flow.max-flows: expected an integer, got '200k'\n"
        "agent.yaml:4: threading.workers: expected an integer, got 'many'\n"
        "agent.yaml:7: vars.address-groups.HOME_NET: expected a string, got a list");
  // A broken HOME_NET is reported once, at its line; the defaults built on it are not.
  CHECK(errors_of("vars:\n  address-groups:\n    HOME_NET: \"[1.2.3.4/40]\"\n") ==
        "agent.yaml:3: vars.address-groups.HOME_NET: invalid address '1.2.3.4/40'");
}

TEST_CASE("unknown keys are warnings with the closest known key, and loading goes on") {
  auto r = load_config_text("agent.yaml", "threading:\n  workerz: 4\nflow:\n  max-flows: 1000\n", {});
  REQUIRE(r.ok);
  CHECK(r.cfg.flow.max_flows == 1000);
  CHECK(r.cfg.workers == 1);
  REQUIRE(r.warnings.size() == 1);
  CHECK(r.warnings[0] == "agent.yaml:2: threading.workerz: unknown key (did you mean threading.workers?)");

  CHECK(warnings_of("flow-timeouts:\n  tcp: {new: 10}\n") ==
        "agent.yaml:1: flow-timeouts: unknown key (did you mean flow.timeouts?)");
  CHECK(warnings_of("classification-file: /etc/suricata/classification.config\n") ==
        "agent.yaml:1: classification-file: unknown key (did you mean detect.classification-file?)");
  // Inside a known section only its own keys are suggested; suricata.yaml's names are matched by their part.
  CHECK(warnings_of("stats:\n  enabled: yes\ndefrag:\n  trackers: 100\n") ==
        "agent.yaml:2: stats.enabled: unknown key, ignored\n"
        "agent.yaml:4: defrag.trackers: unknown key (did you mean defrag.max-trackers?)");
  // One warning for a whole unknown section (suricata.yaml's af-packet has dozens of keys).
  CHECK(warnings_of("af-packet:\n  - interface: eth0\n    cluster-id: 99\nmax-pending-packets: 1024\n") ==
        "agent.yaml:1: af-packet: unknown key, ignored\n"
        "agent.yaml:4: max-pending-packets: unknown key, ignored");
  // Suricata's list of outputs has another shape than ours: a warning, not an error.
  auto s = load_config_text("agent.yaml", "outputs:\n  - eve-log:\n      enabled: yes\n", {});
  CHECK(s.ok);
  REQUIRE(s.warnings.size() == 1);
  CHECK(s.warnings[0].rfind("agent.yaml:1: outputs: ignored: Suricata's list of outputs", 0) == 0);
}

TEST_CASE("config: errors from --set name --set") {
  CHECK(errors_of("", {"flow.max-flows=200k"}) == "--set: flow.max-flows: expected an integer, got '200k'");
  CHECK(errors_of("", {"no-equals-sign"}) == "--set: no-equals-sign: expected KEY=VALUE");
  CHECK(errors_of("", {"outputs.eve.types.x=1"}) ==
        "--set: outputs.eve.types.x: outputs.eve.types is a value, not a section");
  CHECK(errors_of("", {"vars.address-groups=x"}) ==
        "--set: vars.address-groups: is a map; set one entry: vars.address-groups.NAME=VALUE");
  CHECK(errors_of("", {"flow=1"}) == "--set: flow: is a section; set one of its keys");
  CHECK(errors_of("", {"vars.address-groups.HOME_NET=[10.0.0.300]"}) ==
        "--set: vars.address-groups.HOME_NET: invalid address '10.0.0.300'");
  auto r = load_config("", {"threading.workerz=2"});
  CHECK(r.ok);
  REQUIRE(r.warnings.size() == 1);
  CHECK(r.warnings[0] == "--set: threading.workerz: unknown key (did you mean threading.workers?)");
}

TEST_CASE("a YAML file merges over the defaults and names itself in errors") {
  std::string path = std::string(VIGIL_BINARY_DIR) + "/config_test_ok.yaml";
  {
    std::ofstream f(path);
    f << "threading:\n  workers: 3\nvars:\n  port-groups:\n    HTTP_PORTS: \"[80,8080]\"\n";
  }
  auto r = load_config(path, {});
  REQUIRE(r.ok);
  CHECK(r.cfg.workers == 3);
  CHECK(r.cfg.port_vars.at("HTTP_PORTS") == "[80,8080]");
  CHECK(r.cfg.port_vars.at("SSH_PORTS") == "22");  // untouched defaults stay
  {
    std::ofstream f(path);
    f << "# comment\nthreading:\n  workers: 3\nflow:\n  max-flows: 200k\n";
  }
  auto bad = load_config(path, {});
  CHECK_FALSE(bad.ok);
  CHECK(bad.error == path + ":5: flow.max-flows: expected an integer, got '200k'");
  std::remove(path.c_str());
  auto missing = load_config(path, {});
  CHECK_FALSE(missing.ok);
  CHECK(missing.error == path + ": file: cannot be read");
}

TEST_CASE("checksum checks: auto by default, yes/no and the -k spellings accepted, others refused") {
  CHECK(load_config("", {}).cfg.checksum_mode == ChecksumMode::kAuto);
  CHECK(load_config("", {"capture.checksum-checks=no"}).cfg.checksum_mode == ChecksumMode::kNo);
  CHECK(load_config("", {"capture.checksum-checks=all"}).cfg.checksum_mode == ChecksumMode::kYes);
  auto bad = load_config("", {"capture.checksum-checks=sometimes"});
  CHECK_FALSE(bad.ok);
  CHECK(bad.error == "--set: capture.checksum-checks: expected one of auto, yes, no, got 'sometimes'");
}

TEST_CASE("tunnel ports, max layers and TLS encryption handling come from the decoder/app-layer keys") {
  auto d = load_config("", {});
  REQUIRE(d.ok);
  CHECK(d.cfg.decode.vxlan_ports == std::vector<uint16_t>{4789});
  CHECK(d.cfg.decode.geneve_ports == std::vector<uint16_t>{6081});
  CHECK(d.cfg.decode.teredo_ports == std::vector<uint16_t>{3544});
  CHECK(d.cfg.decode.max_tunnel_depth == 8);
  CHECK_FALSE(d.cfg.app.tls_inspect_encrypted);

  auto r = load_config("", {"decoder.vxlan.ports=[4789, 8472]", "decoder.teredo.enabled=false",
                            "decoder.max-layers=3", "app-layer.tls.encryption-handling=full"});
  REQUIRE(r.ok);
  CHECK(r.cfg.decode.vxlan_ports == std::vector<uint16_t>{4789, 8472});
  CHECK(r.cfg.decode.teredo_ports.empty());
  CHECK(r.cfg.decode.geneve_ports == std::vector<uint16_t>{6081});
  CHECK(r.cfg.decode.max_tunnel_depth == 3);
  CHECK(r.cfg.app.tls_inspect_encrypted);

  // suricata.yaml writes the tunnel ports as port variables; a YAML list works too.
  auto v = load_config_text("agent.yaml",
                            "vars:\n  port-groups:\n    VXLAN_PORTS: \"[4789,4790]\"\n"
                            "decoder:\n  vxlan: {ports: $VXLAN_PORTS}\n  geneve: {ports: [6081, 6082]}\n",
                            {});
  REQUIRE(v.ok);
  CHECK(v.cfg.decode.vxlan_ports == std::vector<uint16_t>{4789, 4790});
  CHECK(v.cfg.decode.geneve_ports == std::vector<uint16_t>{6081, 6082});

  CHECK(errors_of("", {"decoder.geneve.ports=70000"}) == "--set: decoder.geneve.ports: invalid port '70000'");
  CHECK(errors_of("", {"decoder.geneve.ports=1:100"}) ==
        "--set: decoder.geneve.ports: '1:100' has more than 64 ports");
}

TEST_CASE("config: the --dump-config output loads back to the same values") {
  auto defaults = load_config("", {});
  REQUIRE(defaults.ok);
  auto again = load_config_text("dump.yaml", dump_config(defaults), {});
  REQUIRE(again.ok);
  CHECK(again.warnings.empty());
  CHECK(again.values.all() == defaults.values.all());

  auto changed = load_config_text(
      "agent.yaml",
      "vars:\n  address-groups: {HOME_NET: \"[10.9.0.0/16]\", MY_NET: \"!$HOME_NET\"}\n"
      "stream: {reassembly: {depth: 3000}}\ndefrag: {timeout: 90}\nhost-name: \"sensor: one\"\n"
      "uplink: {batch-max-age-ms: 1500, event-types: [alert, stats]}\n",
      {"outputs.eve.types=alert,http", "reputation-files=a b.list,c.list", "capture.bpf-filter=not port 22",
       "decoder.vxlan.ports=[4789,8472]", "capture.checksum-checks=none"});
  REQUIRE(changed.ok);
  std::string text = dump_config(changed);
  auto back = load_config_text("dump.yaml", text, {});
  INFO(text);
  REQUIRE(back.ok);
  CHECK(back.warnings.empty());
  CHECK(back.values.all() == changed.values.all());
  CHECK(back.values.all() != defaults.values.all());
  CHECK(back.cfg.hostname == "sensor: one");
  CHECK(back.cfg.reputation_files == std::vector<std::string>{"a b.list", "c.list"});
}

TEST_CASE("agent/CONFIG.md is the generated reference") {
  std::ifstream in(std::string(VIGIL_SOURCE_DIR) + "/agent/CONFIG.md", std::ios::binary);
  REQUIRE(in);
  std::stringstream ss;
  ss << in.rdbuf();
  // Regenerate with: build/agent/vigil-agent --config-docs > agent/CONFIG.md
  CHECK(ss.str() == config_docs_markdown());
}

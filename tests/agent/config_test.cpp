#include "agent/config.h"

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>

using namespace vigil;

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
}

TEST_CASE("set overrides scalars and lists") {
  auto r = load_config("", {"outputs.eve.types=alert,http,dns", "stream.reassembly.depth=4096",
                            "vars.address-groups.HOME_NET=[10.1.0.0/16]", "capture.checksum-checks=false"});
  REQUIRE(r.ok);
  CHECK(r.cfg.eve_types == std::vector<std::string>{"alert", "http", "dns"});
  CHECK(r.cfg.flow.reassembly_depth == 4096);
  CHECK(r.cfg.address_vars.at("HOME_NET") == "[10.1.0.0/16]");
  CHECK_FALSE(r.cfg.decode.checksum_checks);
  CHECK_FALSE(r.cfg.flow.checksum_checks);
}

TEST_CASE("bad set and bad YAML are reported with a reason") {
  auto r = load_config("", {"no-equals-sign"});
  CHECK_FALSE(r.ok);
  CHECK(r.error.find("KEY=VALUE") != std::string::npos);
  auto r2 = load_config("", {"outputs.eve.types.x=1"});
  CHECK_FALSE(r2.ok);

  std::string path = std::string(VIGIL_BINARY_DIR) + "/config_test_bad.yaml";
  {
    std::ofstream f(path);
    f << "threading:\n  workers: 2\n bad-indent: [\n";
  }
  auto r3 = load_config(path, {});
  CHECK_FALSE(r3.ok);
  CHECK(r3.error.find(path) == 0);
  std::remove(path.c_str());
}

TEST_CASE("a YAML file merges over the defaults") {
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
  std::remove(path.c_str());
}

TEST_CASE("checksum checks: auto by default, yes/no and the -k spellings accepted, others refused") {
  CHECK(load_config("", {}).cfg.checksum_mode == ChecksumMode::kAuto);
  CHECK(load_config("", {"capture.checksum-checks=no"}).cfg.checksum_mode == ChecksumMode::kNo);
  CHECK(load_config("", {"capture.checksum-checks=all"}).cfg.checksum_mode == ChecksumMode::kYes);
  auto bad = load_config("", {"capture.checksum-checks=sometimes"});
  CHECK_FALSE(bad.ok);
  CHECK(bad.error.find("auto, yes or no") != std::string::npos);
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

  auto bad = load_config("", {"decoder.geneve.ports=70000"});
  CHECK_FALSE(bad.ok);
  CHECK(bad.error == "decoder.geneve.ports: '70000' is not a port");
  auto bad2 = load_config("", {"app-layer.tls.encryption-handling=bypass"});
  CHECK_FALSE(bad2.ok);
  CHECK(bad2.error == "app-layer.tls.encryption-handling: 'bypass' is not default or full");
}

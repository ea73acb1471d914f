#include "collector/config.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "collector/sources/rule_sources.h"

using namespace vigil::collector;

namespace {

std::string errors_of(const std::string& yaml) {
  CollectorConfig cfg;
  std::string err;
  load_collector_config_text("collector.yaml", yaml, &cfg, &err);
  return err;
}

}  // namespace

TEST_CASE("collector config: the table is sound and the defaults are the documented ones") {
  const auto& s = collector_config_schema().schema();
  for (const auto& e : s.table_errors()) UNSCOPED_INFO(e);
  CHECK(s.table_errors().empty());
  CollectorConfig cfg;
  std::string err;
  REQUIRE(load_collector_config("", &cfg, &err));
  CHECK(cfg.data_dir == "/var/lib/vigil-collector");
  CHECK(cfg.listen == "0.0.0.0:8443");
  CHECK(cfg.heartbeat_interval_s == 5);
  CHECK(cfg.offline_after_s == 15);
  CHECK(cfg.server_threads == 16);
  CHECK_FALSE(cfg.ruleset_allow_errors);
  CHECK(cfg.rule_sources.empty());
}

TEST_CASE("collector config: README's example loads") {
  CollectorConfig cfg;
  std::string err;
  std::vector<std::string> warnings;
  REQUIRE(load_collector_config_text("collector.yaml", R"(data_dir: /srv/vigil
listen: 127.0.0.1:9443
tls: {cert: /etc/vigil/collector.pem, key: /etc/vigil/collector.key}
store: {type: sqlite, path: /srv/vigil/c.db}
heartbeat_interval_s: 5
offline_after_s: 2m
ruleset: {allow_errors: true}
server_threads: 4
rule_sources:
  - name: et-open
    url: https://rules.example/emerging.rules.tar.gz
    checksum_url: https://rules.example/emerging.rules.tar.gz.md5
    interval_s: 86400
  - url: https://rules.example/local.rules
rule_policy:
  enable_sids: [2010935]
  disable_regex: ["ET INFO"]
  modify: [{sid: 2019401, from: "alert", to: "drop"}]
)",
                                     &cfg, &err, &warnings));
  CHECK(warnings.empty());
  CHECK(cfg.data_dir == "/srv/vigil");
  CHECK(cfg.listen == "127.0.0.1:9443");
  CHECK(cfg.tls_cert == "/etc/vigil/collector.pem");
  CHECK(cfg.store_path == "/srv/vigil/c.db");
  CHECK(cfg.store_type == "sqlite");
  CHECK(cfg.offline_after_s == 120);
  CHECK(cfg.ruleset_allow_errors);
  CHECK(cfg.server_threads == 4);
  REQUIRE(cfg.rule_sources.size() == 2);
  CHECK(cfg.rule_sources[0].name == "et-open");
  CHECK(cfg.rule_sources[0].checksum_url.find(".md5") != std::string::npos);
  CHECK(cfg.rule_sources[1].url == "https://rules.example/local.rules");
  CHECK(cfg.rule_sources[1].interval_s == 86400);
  // A list of listen addresses: the first serves everything.
  CollectorConfig two;
  REQUIRE(load_collector_config_text("c.yaml", "listen: ['[::1]:8443', '127.0.0.1:8443']\n", &two, &err));
  CHECK(two.listen == "[::1]:8443");
}

TEST_CASE("collector config: every bad value names file, line, key and reason") {
  struct Case {
    const char* yaml;
    const char* error;
  };
  const Case cases[] = {
      {"heartbeat_interval_s: soon\n",
       "collector.yaml:1: heartbeat_interval_s: expected a duration like 30s, 5m or 500ms, got 'soon'"},
      {"server_threads: 0\n", "collector.yaml:1: server_threads: expected from 1 to 1024, got '0'"},
      {"server_threads: [4]\n", "collector.yaml:1: server_threads: expected an integer, got a list"},
      {"listen: 8443\n", "collector.yaml:1: listen: '8443' is not ADDR:PORT"},
      {"listen: {a: b}\n", "collector.yaml:1: listen: expected a list of strings, got a map"},
      {"data_dir: [a]\n", "collector.yaml:1: data_dir: expected a string, got a list"},
      {"store:\n  type: mysql\n",
       "collector.yaml:2: store.type: expected one of sqlite, postgresql, got 'mysql'"},
      {"store:\n  type: postgresql\n",
       "collector.yaml:2: store.type: postgresql needs store.url, the database's URL (like "
       "postgresql://vigil@/vigil?host=/run/postgresql)"},
      {"store:\n  url: postgresql:///v\n",
       "collector.yaml:2: store.url: is for store.type postgresql (with sqlite, store.path is used)"},
      {"store:\n  type: postgres\n  url: /tmp/db\n",
       "collector.yaml:3: store.url: '/tmp/db' is not a PostgreSQL URL (postgresql://...) or connection "
       "string "
       "(host=... dbname=...)"},
      {"ruleset:\n  allow_errors: sure\n",
       "collector.yaml:2: ruleset.allow_errors: expected true or false, got 'sure'"},
      {"tls:\n  cert: /a.pem\n",
       "collector.yaml:2: tls.cert: tls.cert and tls.key go together (or neither: generated in data_dir)"},
      {"rule_sources:\n  - name: x\n",
       "collector.yaml:2: rule_sources[0].url: missing (every entry needs one)"},
      {"rule_sources:\n  - url: http://a\n    interval_s: 10\n",
       "collector.yaml:3: rule_sources[0].interval_s: expected from 1m to 30d, got '10'"},
      {"rule_sources: http://a\n",
       "collector.yaml:1: rule_sources: expected a list of entries, got 'http://a'"},
      {"rule_sources:\n  - http://a\n",
       "collector.yaml:2: rule_sources[0]: expected an entry with keys name, url, checksum_url, interval_s, "
       "got "
       "'http://a'"},
      {"rule_policy:\n  enable_sids: [12, x]\n",
       "collector.yaml:2: rule_policy.enable_sids: 'x' is not a sid"},
      {"rule_policy:\n  disable_regex: [\"(\"]\n",
       "collector.yaml:2: rule_policy.disable_regex: '(' is not a regular expression: "},
      {"rule_policy:\n  modify:\n    - {sid: abc, from: a}\n",
       "collector.yaml:3: rule_policy.modify[0].sid: expected an integer, got 'abc'"},
      {"rule_policy: [a]\n", "collector.yaml:1: rule_policy: expected a section of keys, got a list"},
  };
  for (const auto& c : cases) {
    INFO(c.yaml);
    std::string e = errors_of(c.yaml);
    // std::regex's own wording follows the fixed prefix.
    CHECK(e.substr(0, std::string(c.error).size()) == c.error);
    CHECK(e.find('\n') == std::string::npos);
  }
  CHECK(errors_of("server_threads: x\noffline_after_s: y\n") ==
        "collector.yaml:1: server_threads: expected an integer, got 'x'\n"
        "collector.yaml:2: offline_after_s: expected a duration like 30s, 5m or 500ms, got 'y'");
}

TEST_CASE("collector config: server.* limits take units and are range-checked") {
  CollectorConfig cfg;
  std::string err;
  std::vector<std::string> warnings;
  REQUIRE(
      load_collector_config_text("collector.yaml",
                                 "server:\n  head_timeout: 5\n  idle_timeout: 2m\n  max_body_events: 32mb\n"
                                 "  head_timeout_s: 3\n",
                                 &cfg, &err, &warnings));
  CHECK(cfg.server.head_timeout_s == 5);
  CHECK(cfg.server.idle_timeout_s == 120);
  CHECK(cfg.server.max_body_events == 32ll << 20);
  CHECK(cfg.server.max_connections == HttpLimits{}.max_connections);
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0] ==
        "collector.yaml:5: server.head_timeout_s: unknown key (did you mean server.head_timeout?)");
  CHECK(errors_of("server:\n  head_timeout: 0\n") ==
        "collector.yaml:2: server.head_timeout: expected from 1s to 1h, got '0'");
  CHECK(errors_of("server:\n  max_header_size: 4mb\n") ==
        "collector.yaml:2: server.max_header_size: expected from 1kb to 1mb, got '4mb'");
  CHECK(errors_of("server:\n  max_connections: lots\n") ==
        "collector.yaml:2: server.max_connections: expected an integer, got 'lots'");
}

TEST_CASE("collector config: unknown keys warn with the closest key and the load goes on") {
  CollectorConfig cfg;
  std::string err;
  std::vector<std::string> warnings;
  REQUIRE(load_collector_config_text(
      "collector.yaml",
      "hearbeat_interval_s: 9\nserver_threads: 3\nrule_sources:\n  - url: http://a\n"
      "    intervall_s: 60\n",
      &cfg, &err, &warnings));
  CHECK(cfg.server_threads == 3);
  REQUIRE(warnings.size() == 2);
  CHECK(warnings[0] ==
        "collector.yaml:1: hearbeat_interval_s: unknown key (did you mean heartbeat_interval_s?)");
  CHECK(warnings[1] ==
        "collector.yaml:5: rule_sources[0].intervall_s: unknown key (did you mean interval_s?)");
}

TEST_CASE("collector config: the rule policy comes from the same table") {
  std::string path = std::string(VIGIL_BINARY_DIR) + "/collector_config_test.yaml";
  {
    std::ofstream f(path);
    f << "rule_policy:\n  enable_sids: [2010935]\n  disable_sids: [1, 2]\n  disable_categories: "
         "[emerging-icmp]\n"
         "  modify: [{sid: 7, from: alert, to: drop}, {from: x}]\n  local_rules: [/etc/vigil/local.rules]\n";
  }
  RulePolicy p;
  std::string err;
  REQUIRE(load_rule_policy(path, &p, &err));
  CHECK(p.enable_sids == std::set<uint32_t>{2010935});
  CHECK(p.disable_sids == std::set<uint32_t>{1, 2});
  CHECK(p.disable_categories.count("emerging-icmp") == 1);
  REQUIRE(p.modify.size() == 2);
  CHECK(p.modify[0].sid == 7);
  CHECK(p.modify[0].to == "drop");
  CHECK(p.modify[1].sid == 0);
  CHECK(p.local_rules == std::vector<std::string>{"/etc/vigil/local.rules"});
  {
    std::ofstream f(path);
    f << "rule_policy:\n  disable_sids: [one]\n";
  }
  RulePolicy bad;
  CHECK_FALSE(load_rule_policy(path, &bad, &err));
  CHECK(err == path + ":2: rule_policy.disable_sids: 'one' is not a sid");
  std::remove(path.c_str());
}

TEST_CASE("collector config: the dump loads back to the same values") {
  CollectorConfig cfg;
  std::string err;
  REQUIRE(
      load_collector_config_text("collector.yaml",
                                 "listen: '[::1]:9000'\noffline_after_s: 90\nrule_sources:\n  - name: a b\n"
                                 "    url: 'http://x/y?z=1#f'\n    interval_s: 2h\n"
                                 "rule_policy:\n  disable_regex: ['ET INFO: \"x\"']\n"
                                 "  modify: [{sid: 5, from: 'a|b', to: ''}]\n",
                                 &cfg, &err));
  std::string text = dump_collector_config(cfg);
  CollectorConfig back;
  std::vector<std::string> warnings;
  INFO(text);
  REQUIRE(load_collector_config_text("dump.yaml", text, &back, &err, &warnings));
  CHECK(warnings.empty());
  CHECK(back.values.all() == cfg.values.all());
  CHECK(back.rule_sources[0].interval_s == 7200);
}

TEST_CASE("collector/CONFIG.md is the generated reference") {
  std::ifstream in(std::string(VIGIL_SOURCE_DIR) + "/collector/CONFIG.md", std::ios::binary);
  REQUIRE(in);
  std::stringstream ss;
  ss << in.rdbuf();
  // Regenerate with: build/collector/vigil-collector config docs > collector/CONFIG.md
  CHECK(ss.str() == collector_config_docs());
}

TEST_CASE("collector config: forward outputs load typed, and a bad one names file, line and entry") {
  CollectorConfig cfg;
  std::string err;
  REQUIRE(load_collector_config_text("collector.yaml", R"(forward:
  - {name: siem, type: syslog, address: "127.0.0.1:6514", transport: tls, format: cef, backoff_max_ms: 2s}
  - {name: hook, type: webhook, url: "http://127.0.0.1:9/x", headers: "A: 1; B: two", min_severity: 2}
)",
                                     &cfg, &err));
  REQUIRE(cfg.forward.size() == 2);
  CHECK(cfg.forward[0].transport == "tls");
  CHECK(cfg.forward[0].format == "cef");
  CHECK(cfg.forward[0].backoff_max_ms == 2000);
  CHECK(cfg.forward[0].queue_max == 10000);
  CHECK(cfg.forward[1].min_severity == 2);
  REQUIRE(cfg.forward[1].headers.size() == 2);
  CHECK(cfg.forward[1].headers[1] == std::pair<std::string, std::string>{"B", "two"});

  CHECK(errors_of("forward:\n  - {name: a, type: syslog}\n") ==
        "collector.yaml:1: forward: forward[0] (a): address: a syslog output needs HOST:PORT");
  CHECK(errors_of("forward:\n  - {name: a, type: webhook, url: ftp://x}\n") ==
        "collector.yaml:1: forward: forward[0] (a): url: a webhook needs http://HOST[:PORT]/PATH or "
        "https://...");
  CHECK(errors_of("x: 1\nforward:\n  - {name: a, type: webhook, url: 'http://h/', queue_max: 0}\n")
            .find("collector.yaml:3: forward[0].queue_max:") == 0);
  CHECK(errors_of("forward:\n  - {name: a b, type: webhook, url: 'http://h/'}\n").find("name: letters") !=
        std::string::npos);
  CHECK(errors_of("forward:\n  - {name: a, type: kafka, brokers: 'h:9092'}\n") ==
        "collector.yaml:1: forward: forward[0] (a): topic: a kafka output needs one");
  CHECK(errors_of("forward:\n  - {name: a, type: kafka, brokers: h, topic: t, kafka_properties: x}\n")
            .find("kafka_properties: 'x' is not 'name=value'") != std::string::npos);
  CHECK(errors_of("forward:\n  - {name: a, type: elastic}\n").find("forward[0].type:") != std::string::npos);
}

// The collector's configuration keys (collector.yaml): one line per key with
// its type, default, range, help and the CollectorConfig field it sets.
// Loading, `vigil-collector config dump`, `config docs` (collector/CONFIG.md)
// and the error messages all come from here.
#include <regex>

#include "collector/config.h"

namespace vigil::collector {

namespace {

using config::Value;
using config::ValueSet;
using K = config::TypedKey<CollectorConfig>;

constexpr int64_t kDay = 86400;

std::string check_listen(const Value& v, const ValueSet&) {
  if (v.list.empty()) return "needs an address, like 0.0.0.0:8443";
  std::string host;
  int port = 0;
  for (const auto& a : v.list) {
    if (!split_host_port(a, &host, &port)) return "'" + a + "' is not ADDR:PORT";
  }
  return "";
}

std::string check_tls(const Value&, const ValueSet& all) {
  bool cert = !all.at("tls.cert").s.empty(), key = !all.at("tls.key").s.empty();
  return cert == key ? "" : "tls.cert and tls.key go together (or neither: generated in data_dir)";
}

std::string check_store_type(const Value& v, const ValueSet& all) {
  if (v.s == "postgresql" && all.at("store.url").s.empty())
    return "postgresql needs store.url, the database's URL (like "
           "postgresql://vigil@/vigil?host=/run/postgresql)";
  return "";
}

std::string check_store_url(const Value& v, const ValueSet& all) {
  if (v.s.empty()) return "";
  if (all.at("store.type").s != "postgresql")
    return "is for store.type postgresql (with sqlite, store.path is used)";
  if (v.s.rfind("postgresql://", 0) != 0 && v.s.rfind("postgres://", 0) != 0 &&
      v.s.find('=') == std::string::npos)
    return "'" + v.s +
           "' is not a PostgreSQL URL (postgresql://...) or connection string (host=... dbname=...)";
  return "";
}

config::KeySpec checked(config::KeySpec k, config::Validator v) {
  k.validate = std::move(v);
  return k;
}

std::string check_sids(const Value& v, const ValueSet&) {
  for (const auto& s : v.list) {
    int64_t n = 0;
    if (!config::parse_int_text(s, &n) || n < 1 || n > 4294967295) return "'" + s + "' is not a sid";
  }
  return "";
}

std::string check_regex(const std::string& r) {
  try {
    std::regex re(r, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    return "'" + r + "' is not a regular expression: " + e.what();
  }
  return "";
}

std::string check_regexes(const Value& v, const ValueSet&) {
  for (const auto& r : v.list) {
    if (auto e = check_regex(r); !e.empty()) return e;
  }
  return "";
}

std::string check_modify(const Value& v, const ValueSet&) {
  for (const auto& m : v.records) {
    if (auto e = check_regex(m.at("from")); !e.empty()) return e;
  }
  return "";
}

std::string not_empty(const Value& v, const ValueSet&) {
  return v.s.empty() ? "must not be empty" : "";
}

std::string check_forward(const Value& v, const ValueSet&) {
  return forward::check_forward_records(v.records);
}

std::vector<K> collector_keys() {
  using namespace config;
  return {
      {string("data_dir", "/var/lib/vigil-collector",
              "Data directory (mode 0700): the database, the generated CA and server certificate (--data-dir "
              "overrides).",
              not_empty),
       [](CollectorConfig& c, const Value& v) { c.data_dir = v.s; }},
      [] {
        auto k = list("listen", "[\"0.0.0.0:8443\"]",
                      "ADDR:PORT for agents, API and UI ([v6]:PORT for IPv6); a list is accepted, its first "
                      "entry serves everything (--listen overrides).",
                      check_listen);
        k.doc_type = "ADDR:PORT (or a list of them)";
        return K{k, [](CollectorConfig& c, const Value& v) { c.listen = v.list.front(); }};
      }(),
      {string(
           "tls.cert", "\"\"",
           "Server certificate (PEM) to serve; empty: a CA and certificate are generated in data_dir on the "
           "first start.",
           check_tls),
       [](CollectorConfig& c, const Value& v) { c.tls_cert = v.s; }},
      {string("tls.key", "\"\"", "Private key of tls.cert (PEM)."),
       [](CollectorConfig& c, const Value& v) { c.tls_key = v.s; }},
      {checked(choice("store.type", "sqlite", {"sqlite", "postgresql"},
                      "Where everything is kept: sqlite (one file, store.path) or postgresql (a database "
                      "several collectors can share, store.url).",
                      {{"postgres", "postgresql"}}),
               check_store_type),
       [](CollectorConfig& c, const Value& v) { c.store_type = v.s; }},
      {string("store.path", "\"\"", "SQLite database file; empty: DATA_DIR/collector.db."),
       [](CollectorConfig& c, const Value& v) { c.store_path = v.s; }},
      {boolean("store.stats_cache", "true",
               "SQLite store: keep each alert's filterable values in memory (about 48 bytes an alert, loaded "
               "in the background at start), so that dashboard counts under a filter the rollups cannot "
               "answer (text, address, port, protocol, category) take milliseconds instead of reading every "
               "alert of the range."),
       [](CollectorConfig& c, const Value& v) { c.store_stats_cache = v.b; }},
      {string(
           "store.url", "\"\"",
           "PostgreSQL database (store.type postgresql): a libpq URL such as "
           "postgresql://vigil@/vigil?host=/run/postgresql, or a connection string. Keep a password out of "
           "it: libpq reads ~/.pgpass (or passfile=...).",
           check_store_url),
       [](CollectorConfig& c, const Value& v) { c.store_url = v.s; }},
      {duration("heartbeat_interval_s", "5", 1, kDay,
                "How often agents send a heartbeat (told to them in "
                "every reply)."),
       [](CollectorConfig& c, const Value& v) { c.heartbeat_interval_s = int(v.i); }},
      {duration("offline_after_s", "15", 1, 30 * kDay,
                "An agent without a heartbeat for this long is shown "
                "offline."),
       [](CollectorConfig& c, const Value& v) { c.offline_after_s = int(v.i); }},
      {boolean(
           "ruleset.allow_errors", "false",
           "Publish uploaded rule sets that contain bad rules (they are reported) instead of refusing them."),
       [](CollectorConfig& c, const Value& v) { c.ruleset_allow_errors = v.b; }},
      {duration("heartbeat_retention", "7d", 3600, 3650 * kDay,
                "Heartbeat history older than this is pruned (every 10 minutes, off the request path)."),
       [](CollectorConfig& c, const Value& v) { c.heartbeat_retention_s = v.i; }},
      {integer("heartbeat_keep_per_agent", "10000", 0, 100000000,
               "At most this many heartbeats kept per agent (0: no limit)."),
       [](CollectorConfig& c, const Value& v) { c.heartbeat_keep_per_agent = int(v.i); }},
      // retention.*: what the store keeps (collector/retention.h), enforced in the background.
      {integer("retention.max_age_days", "0", 0, 36500,
               "Alerts and events whose event time is older than this many days are deleted (0: kept "
               "forever)."),
       [](CollectorConfig& c, const Value& v) { c.retention.max_age_s = v.i * 86400; }},
      {size("retention.max_bytes", "0", 0, 1ll << 50,
            "While the database uses more than this (free pages excluded), the oldest alerts and events "
            "are deleted (0: no size limit)."),
       [](CollectorConfig& c, const Value& v) { c.retention.max_bytes = v.i; }},
      {integer("retention.max_alerts", "0", 0, 1ll << 50,
               "At most this many alerts are kept; the oldest go first (0: no count limit)."),
       [](CollectorConfig& c, const Value& v) { c.retention.max_alerts = v.i; }},
      {duration("retention.interval", "60s", 1, 86400, "How often retention runs (also once at start)."),
       [](CollectorConfig& c, const Value& v) { c.retention_interval_s = int(v.i); }},
      {integer("triage.bulk_max", "100000", 1, 10000000,
               "A bulk triage (POST /api/v1/alerts/triage) changes at most this many alerts, all in one "
               "transaction (ingest waits for it); a larger selection is refused with 413 and changes "
               "nothing."),
       [](CollectorConfig& c, const Value& v) { c.bulk_triage_max = v.i; }},
      {integer("server_threads", "16", 1, 1024,
               "Handler threads: the route code and its store calls (an ingest waits for fsync). The "
               "connections themselves are held by server.io_threads."),
       [](CollectorConfig& c, const Value& v) { c.server_threads = int(v.i); }},
      {string("web.dir", "\"\"",
              "Serve the web UI from this folder (a checkout's collector/web, for development: edit and "
              "reload) instead of the files built into the binary."),
       [](CollectorConfig& c, const Value& v) { c.web_dir = v.s; }},
      {boolean("metrics.api_key_required", "false",
               "GET /metrics (Prometheus text format) answers only with an API key or user token of any "
               "role (Authorization: Bearer); false: anyone who reaches the port may read it."),
       [](CollectorConfig& c, const Value& v) { c.metrics_api_key_required = v.b; }},
      // session.*, login.*: people (collector/api/session_routes.cpp, user_routes.cpp).
      {duration("session.idle_timeout", "30m", 60, 30 * kDay,
                "A login session unused for this long is ended (the next request answers 401)."),
       [](CollectorConfig& c, const Value& v) { c.session_idle_s = v.i; }},
      {duration("session.absolute_timeout", "12h", 60, 365 * kDay,
                "A login session ends this long after the login, however busy."),
       [](CollectorConfig& c, const Value& v) { c.session_absolute_s = v.i; }},
      {integer("login.delay_after", "3", 0, 1000,
               "Failed logins (per user name and per client address) answered at once; each further one "
               "must wait 1 s, then 2 s, 4 s, ... (429 with Retry-After)."),
       [](CollectorConfig& c, const Value& v) { c.login_delay_after = int(v.i); }},
      {duration("login.max_delay", "5m", 1, kDay, "The longest delay between failed logins."),
       [](CollectorConfig& c, const Value& v) { c.login_max_delay_s = v.i; }},
      {integer("login.lockout_after", "10", 1, 100000,
               "Failed logins (per user name and per client address) that lock it out for login.lockout."),
       [](CollectorConfig& c, const Value& v) { c.login_lockout_after = int(v.i); }},
      {duration("login.lockout", "15m", 1, 30 * kDay,
                "How long a lock-out lasts; failures older than this are forgotten."),
       [](CollectorConfig& c, const Value& v) { c.login_lockout_s = v.i; }},
      // server.*: the HTTPS front door (collector/http/README.md).
      {integer("server.io_threads", "0", 0, 1024, "Threads running the event loop; 0: one per core."),
       [](CollectorConfig& c, const Value& v) { c.server.io_threads = int(v.i); }},
      {integer("server.max_connections", "20000", 1, 10000000,
               "Open connections at most; more are closed at once and counted."),
       [](CollectorConfig& c, const Value& v) { c.server.max_connections = int(v.i); }},
      {integer("server.max_connections_per_ip", "2000", 1, 10000000,
               "Open connections from one client address at most; more are closed at once and counted."),
       [](CollectorConfig& c, const Value& v) { c.server.max_connections_per_ip = int(v.i); }},
      {duration("server.handshake_timeout", "10", 1, 3600, "The TLS handshake, in total."),
       [](CollectorConfig& c, const Value& v) { c.server.handshake_timeout_s = int(v.i); }},
      {duration(
           "server.head_timeout", "10", 1, 3600,
           "A request's head, in total from its first byte (a byte a second does not hold a connection)."),
       [](CollectorConfig& c, const Value& v) { c.server.head_timeout_s = int(v.i); }},
      {duration("server.body_timeout", "60", 1, 86400, "A request's body, in total."),
       [](CollectorConfig& c, const Value& v) { c.server.body_timeout_s = int(v.i); }},
      {duration("server.idle_timeout", "60", 1, 86400,
                "A keep-alive connection between requests (agents heartbeat every few seconds)."),
       [](CollectorConfig& c, const Value& v) { c.server.idle_timeout_s = int(v.i); }},
      {duration("server.write_timeout", "30", 1, 3600, "Writing one answer."),
       [](CollectorConfig& c, const Value& v) { c.server.write_timeout_s = int(v.i); }},
      {size("server.max_header_size", "16kb", 1024, 1 << 20, "A request's head at most; 431 past it."),
       [](CollectorConfig& c, const Value& v) { c.server.max_header_bytes = v.i; }},
      {size("server.max_body_events", "16mb", 1024, 1ll << 40,
            "An event batch on the wire at most; 413 past it (before reading it when Content-Length says "
            "so)."),
       [](CollectorConfig& c, const Value& v) { c.server.max_body_events = v.i; }},
      {size("server.max_inflated_events", "32mb", 1024, 1ll << 40,
            "An event batch after gzip at most; 413 the moment it is passed."),
       [](CollectorConfig& c, const Value& v) { c.server.max_inflated_events = v.i; }},
      {size("server.max_body_ruleset", "64mb", 1024, 1ll << 40, "An uploaded rule set at most."),
       [](CollectorConfig& c, const Value& v) { c.server.max_body_ruleset = v.i; }},
      {size("server.max_body_heartbeat", "64kb", 1024, 1ll << 30, "A heartbeat at most."),
       [](CollectorConfig& c, const Value& v) { c.server.max_body_heartbeat = v.i; }},
      {size("server.max_body_other", "64kb", 1024, 1ll << 30, "Any other request's body at most."),
       [](CollectorConfig& c, const Value& v) { c.server.max_body_other = v.i; }},
      // forward: alerts sent on to other tools (collector/forward/README.md).
      {records(
           "forward",
           {required(string("name", "",
                            "Names the output in counters (forward.NAME.*) and the dead-letter file "
                            "(DATA_DIR/forward/NAME.deadletter.jsonl); letters, digits, _ and -.")),
            required(choice("type", "syslog", {"syslog", "webhook", "kafka"}, "syslog, webhook or kafka.")),
            string("address", "\"\"", "syslog: the receiver, HOST:PORT ([v6]:PORT)."),
            choice("transport", "udp", {"udp", "tcp", "tls"},
                   "syslog: udp (one datagram per alert), tcp (RFC 6587 octet counting) or tls (RFC 5425)."),
            choice("format", "json", {"json", "cef"},
                   "syslog: the message is the alert JSON, or an ArcSight CEF line."),
            integer("facility", "16", 0, 23, "syslog: the facility in PRI (16: local0)."),
            string("ca_file", "\"\"",
                   "tls and https: CA certificate (PEM) that must have signed the receiver's; empty: the "
                   "system's CAs."),
            string("server_name", "\"\"",
                   "tls: the name (or IP address) the receiver's certificate must carry, sent as SNI; empty: "
                   "the host of address."),
            string("url", "\"\"", "webhook: http:// or https:// URL each alert is POSTed to as JSON."),
            string("bearer_token", "\"\"", "webhook: sent as Authorization: Bearer TOKEN."),
            string("headers", "\"\"", "webhook: extra headers, \"Name: value; Other: value\"."),
            string("brokers", "\"\"", "kafka: bootstrap servers, HOST:PORT[,HOST:PORT...]."),
            string("topic", "\"\"", "kafka: the topic; the message key is the agent id."),
            string("kafka_properties", "\"\"",
                   "kafka: more librdkafka producer settings, \"name=value; name=value\" (security.protocol, "
                   "sasl.*, ssl.*); enable.idempotence is always true."),
            integer("min_severity", "255", 1, 255,
                    "Only alerts with a Suricata severity at or below this are sent (1 is the most severe)."),
            integer("rate_limit_per_min", "0", 0, 100000000,
                    "At most this many alerts a minute; the rest are counted rate_limited, not sent (0: no "
                    "limit)."),
            duration("timeout_ms", "5s", 1, 600000, "Connecting and sending one alert, each.",
                     DurationUnit::kMilliseconds),
            integer("queue_max", "10000", 1, 100000000,
                    "Alerts waiting for this output at most; past it the oldest goes to the dead-letter file "
                    "(counted dropped_overflow)."),
            integer("max_retries", "10", 0, 100000000,
                    "Failed sends of one alert tried again this many times, then it goes to the dead-letter "
                    "file."),
            duration("backoff_min_ms", "500ms", 1, 3600000,
                     "First wait after a failed send; doubled after each further failure.",
                     DurationUnit::kMilliseconds),
            duration("backoff_max_ms", "30s", 1, 3600000, "Longest wait between tries.",
                     DurationUnit::kMilliseconds),
            size("dead_letter_max_bytes", "64mb", 0, 1ll << 40,
                 "The dead-letter file at most; undeliverable alerts past it are counted dead_letter_lost.")},
           "Outputs every newly stored alert is sent to (once per collector), each with its own queue, "
           "retries and dead-letter file.",
           check_forward),
       [](CollectorConfig& c, const Value& v) {
         c.forward.clear();
         for (const auto& r : v.records) {
           forward::OutputConfig o;
           std::string why;
           if (forward::output_from_record(r, &o, &why)) c.forward.push_back(o);  // checked by check_forward
         }
       }},
      {records(
           "rule_sources",
           {string("name", "\"\"", "Shown in logs."),
            required(string("url", "", "A .rules file or a .tar.gz of them, over HTTP(S).")),
            string("checksum_url", "\"\"",
                   "MD5 file of the download, as Emerging Threats publishes; a mismatch publishes nothing."),
            duration("interval_s", "1d", 60, 30 * kDay, "How often the source is fetched.")},
           "Rule sets fetched at start and on their schedule, and by `ruleset update`, as suricata-update "
           "does."),
       [](CollectorConfig& c, const Value& v) {
         c.rule_sources.clear();
         for (const auto& r : v.records) {
           RuleSource s;
           s.name = r.at("name");
           s.url = r.at("url");
           s.checksum_url = r.at("checksum_url");
           s.interval_s = std::stoi(r.at("interval_s"));
           c.rule_sources.push_back(s);
         }
       }},
      // rule_policy.*: read by load_rule_policy (collector/sources/rule_sources.cpp) from the loaded values.
      {list("rule_policy.enable_sids", "[]",
            "Rules turned on by sid (also ones a vendor ships commented out).", check_sids),
       nullptr},
      {list("rule_policy.disable_sids", "[]", "Rules turned off by sid.", check_sids), nullptr},
      {list("rule_policy.enable_regex", "[]",
            "Rules turned on when the regular expression matches their text.", check_regexes),
       nullptr},
      {list("rule_policy.disable_regex", "[]",
            "Rules turned off when the regular expression matches their text (\"ET INFO\").", check_regexes),
       nullptr},
      {list("rule_policy.disable_categories", "[]",
            "Rules files turned off by name without .rules (emerging-icmp)."),
       nullptr},
      {records("rule_policy.modify",
               {integer("sid", "0", 0, 4294967295, "The rule to change; 0: every rule."),
                required(string("from", "", "Regular expression searched in the rule text.")),
                string("to", "\"\"", "Replacement ($1 for groups).")},
               "Rewrites applied to fetched rules, as suricata-update's modify.conf.", check_modify),
       nullptr},
      {list("rule_policy.local_rules", "[]", "Rules files appended to every fetched set as they are."),
       nullptr},
  };
}

}  // namespace

const config::TypedSchema<CollectorConfig>& collector_config_schema() {
  static const config::TypedSchema<CollectorConfig> schema(
      "vigil-collector", collector_keys(),
      {{"tls", "The certificate agents and browsers see."},
       {"server", "The HTTPS front door: connections, timeouts, body caps."},
       {"store", "The event store."},
       {"server", "The HTTPS front door (collector/http/README.md): connections, timeouts, body caps."},
       {"ruleset", "Rule sets uploaded by admins."},
       {"web", "The web UI (collector/web/, served at / and /ui/)."},
       {"metrics", "GET /metrics for Prometheus (collector/README.md, Metrics)."},
       {"session", "Login sessions of people (the API's cookie)."},
       {"login", "Failed logins: delays and lock-out, per user name and per client address."},
       {"rule_policy",
        "Applied to every fetched rules file, as suricata-update's enable.conf, disable.conf and "
        "modify.conf."}});
  return schema;
}

}  // namespace vigil::collector

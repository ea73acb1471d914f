// The agent's configuration keys: one line per key with its type, default,
// range, help and the AgentConfig field it sets. Loading, --dump-config,
// --config-docs (agent/CONFIG.md) and the error messages all come from here.
// Keys follow Suricata's suricata.yaml where one exists.
#include <unistd.h>

#include <algorithm>

#include "agent/config.h"
#include "agent/metrics_listener.h"
#include "agent/output/dns_eve.h"
#include "rules/addr.h"

namespace vigil {

namespace {

using config::Kind;
using config::Value;
using config::ValueSet;
using K = config::TypedKey<AgentConfig>;

rules::VarMap vars_of(const Value& group, rules::VarMap base) {
  for (const auto& [n, v] : group.map) base[n] = v;
  return base;
}

std::string check_address_group(const std::string&, const std::string& text, const ValueSet& all) {
  rules::AddrSet s;
  return rules::parse_addr_set(text, vars_of(all.at("vars.address-groups"), rules::default_address_vars()),
                               s);
}

std::string check_port_group(const std::string&, const std::string& text, const ValueSet& all) {
  rules::PortSet s;
  return rules::parse_port_set(text, vars_of(all.at("vars.port-groups"), rules::default_port_vars()), s);
}

// A tunnel's port list: a port group of at most 64 ports, without 0 and not "any".
std::string tunnel_ports(const std::string& text, const rules::VarMap& vars, std::vector<uint16_t>* out) {
  rules::PortSet s;
  std::string err = rules::parse_port_set(text, vars, s);
  if (!err.empty()) return err;
  if (s.any) return "'" + text + "' is every port; list the tunnel's ports";
  std::vector<uint16_t> ports;
  for (auto [lo, hi] : s.ranges) {
    for (uint32_t p = lo; p <= hi; ++p) {
      if (p == 0) return "port 0 is not a port";
      if (ports.size() == 64) return "'" + text + "' has more than 64 ports";
      ports.push_back(uint16_t(p));
    }
  }
  if (out) *out = ports;
  return "";
}

config::Validator tunnel_ports_check() {
  return [](const Value& v, const ValueSet& all) {
    return tunnel_ports(v.s, vars_of(all.at("vars.port-groups"), rules::default_port_vars()), nullptr);
  };
}

std::function<void(AgentConfig&, const Value&)> set_tunnel_ports(std::vector<uint16_t> DecodeConfig::*field) {
  return [field](AgentConfig& c, const Value& v) {
    rules::VarMap vars = rules::default_port_vars();
    for (const auto& [n, t] : c.port_vars) vars[n] = t;
    tunnel_ports(v.s, vars, &(c.decode.*field));
  };
}

std::function<void(AgentConfig&, const Value&)> tunnel_enabled(std::vector<uint16_t> DecodeConfig::*field) {
  return [field](AgentConfig& c, const Value& v) {
    if (!v.b) (c.decode.*field).clear();
  };
}

std::string check_eve_types(const Value& v, const ValueSet&) {
  static const char* const kTypes[] = {"alert", "flow", "stats", "http",     "dns",      "tls",
                                       "ssh",   "smtp", "ftp",   "fileinfo", "ftp_data", "smb"};
  for (const auto& t : v.list) {
    if (std::find(std::begin(kTypes), std::end(kTypes), t) == std::end(kTypes)) {
      return "'" + t +
             "' is not an event type (alert, flow, stats, http, dns, tls, ssh, smtp, ftp, fileinfo, "
             "ftp_data, smb)";
    }
  }
  return "";
}

std::string check_hashes(const Value& v, const ValueSet&) {
  for (const auto& t : v.list) {
    if (t != "md5" && t != "sha1" && t != "sha256") return "'" + t + "' is not a hash (md5, sha1, sha256)";
  }
  return "";
}

std::string check_dns_formats(const Value& v, const ValueSet&) {
  for (const auto& t : v.list) {
    if (t != "detailed" && t != "grouped") return "'" + t + "' is not a format (detailed, grouped)";
  }
  return "";
}

std::string check_dns_types(const Value& v, const ValueSet&) {
  for (const auto& t : v.list) {
    if (dns_eve_type_name(t).empty()) return "'" + t + "' is not a DNS record type (a, aaaa, cname, mx, ...)";
  }
  return "";
}

std::string not_empty(const Value& v, const ValueSet&) {
  return v.s.empty() ? "must not be empty" : "";
}

constexpr int64_t kU32 = 4294967295;
constexpr int64_t kDay = 86400;

std::vector<K> agent_keys() {
  using namespace config;
  return {
      // vars
      {map("vars.address-groups",
           R"({HOME_NET: "[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]", EXTERNAL_NET: "!$HOME_NET",
               HTTP_SERVERS: "$HOME_NET", SMTP_SERVERS: "$HOME_NET", SQL_SERVERS: "$HOME_NET",
               DNS_SERVERS: "$HOME_NET", TELNET_SERVERS: "$HOME_NET", AIM_SERVERS: "$EXTERNAL_NET",
               DC_SERVERS: "$HOME_NET", DNP3_SERVER: "$HOME_NET", DNP3_CLIENT: "$HOME_NET",
               MODBUS_CLIENT: "$HOME_NET", MODBUS_SERVER: "$HOME_NET", ENIP_CLIENT: "$HOME_NET",
               ENIP_SERVER: "$HOME_NET"})",
           "Address variables for rule headers ($HOME_NET, ...), as in suricata.yaml: a group like "
           "\"[10.0.0.0/8,!10.1.0.0/16]\" or \"$HOME_NET\", quoted. Entries given here replace the default "
           "of that name; the others stay.",
           check_address_group),
       [](AgentConfig& c, const Value& v) { c.address_vars = v.map; }},
      {map("vars.port-groups",
           R"({HTTP_PORTS: "80", SHELLCODE_PORTS: "!80", ORACLE_PORTS: "1521", SSH_PORTS: "22",
               DNP3_PORTS: "20000", MODBUS_PORTS: "502", FILE_DATA_PORTS: "[$HTTP_PORTS,110,143]",
               FTP_PORTS: "21", GENEVE_PORTS: "6081", VXLAN_PORTS: "4789", TEREDO_PORTS: "3544"})",
           "Port variables for rule headers ($HTTP_PORTS, ...): \"80\", \"[80,8080]\", \"1024:\", \"!80\". "
           "Entries given here replace the default of that name; the others stay.",
           check_port_group),
       [](AgentConfig& c, const Value& v) { c.port_vars = v.map; }},

      {string("default-log-dir", "\".\"", "Directory of eve.json (-l overrides)."),
       [](AgentConfig& c, const Value& v) { c.log_dir = v.s.empty() ? "." : v.s; }},
      {string("host-name", "\"\"", "Name written as `host` in every event; empty: the machine's host name."),
       [](AgentConfig& c, const Value& v) {
         c.hostname = v.s;
         if (c.hostname.empty()) {
           char buf[256] = {0};
           if (gethostname(buf, sizeof buf - 1) == 0) c.hostname = buf;
         }
       }},

      // outputs
      {string("outputs.eve.filename", "eve.json", "File name of the EVE log inside default-log-dir.",
              not_empty),
       [](AgentConfig& c, const Value& v) { c.eve_filename = v.s; }},
      {list("outputs.eve.types", "[alert, flow, stats]",
            "Event types written: alert, flow, stats, the transaction logs http, dns, tls, ssh, smtp, ftp, "
            "smb, fileinfo (one per file: HTTP request and response bodies, SMTP attachments, FTP transfers) "
            "and ftp_data (one per FTP data connection: its command and file name).",
            check_eve_types),
       [](AgentConfig& c, const Value& v) { c.eve_types = v.list; }},
      {boolean("outputs.eve.payload", "true", "Alerts carry the packet payload (base64) as `payload`."),
       [](AgentConfig& c, const Value& v) { c.eve_payload = v.b; }},
      {boolean("outputs.eve.payload-printable", "true", "Alerts carry the payload as printable text."),
       [](AgentConfig& c, const Value& v) { c.eve_payload_printable = v.b; }},
      {boolean("outputs.eve.packet", "false", "Alerts carry the whole packet (base64) as `packet`."),
       [](AgentConfig& c, const Value& v) { c.eve_packet = v.b; }},

      {integer("outputs.eve.alert.rate-limit", "0", 0, int64_t(AlertLimitOptions::kMax),
               "Alerts per second written per signature (gid:sid), by packet time; the rest are counted in "
               "detect.alerts_rate_limited and summed per signature in the stats event, not written. 0: no "
               "limit (the default, as Suricata: every alert of a capture is written); the packaged "
               "/etc/vigil/agent.yaml sets 1000 for live sensors."),
       [](AgentConfig& c, const Value& v) { c.alert_limit.rate = uint64_t(v.i); }},
      {integer("outputs.eve.alert.rate-burst", "2000", 1, int64_t(AlertLimitOptions::kMax),
               "Alerts a signature may write at once after a quiet spell, before rate-limit applies."),
       [](AgentConfig& c, const Value& v) { c.alert_limit.burst = uint64_t(v.i); }},

      {boolean("outputs.eve.dns.requests", "true",
               "DNS: a `dns` event of `type: query` per question when a request is seen (Suricata 7)."),
       [](AgentConfig& c, const Value& v) { c.eve_dns.requests = v.b; }},
      {boolean("outputs.eve.dns.responses", "true",
               "DNS: a `dns` event of `type: answer` when a response is seen."),
       [](AgentConfig& c, const Value& v) { c.eve_dns.responses = v.b; }},
      {list("outputs.eve.dns.formats", "[detailed, grouped]",
            "DNS answer events carry `answers` (detailed: one object per record) and/or `grouped` (rdata by "
            "type).",
            check_dns_formats),
       [](AgentConfig& c, const Value& v) {
         c.eve_dns.detailed = std::find(v.list.begin(), v.list.end(), "detailed") != v.list.end();
         c.eve_dns.grouped = std::find(v.list.begin(), v.list.end(), "grouped") != v.list.end();
       }},
      {list("outputs.eve.dns.types", "[]",
            "DNS events written only for these question types (a, aaaa, mx, srv, ...); empty: every type.",
            check_dns_types),
       [](AgentConfig& c, const Value& v) {
         c.eve_dns.types.clear();
         for (const auto& t : v.list) c.eve_dns.types.push_back(dns_eve_type_name(t));
       }},

      {duration("stats.interval", "8", 1, kDay, "How often a `stats` event is written (and once at exit)."),
       [](AgentConfig& c, const Value& v) { c.stats_interval_s = int(v.i); }},
      {string("metrics.listen", "\"\"",
              "ADDR:PORT (IPv4, or [IPv6]:PORT) where GET /metrics answers with the agent's counters in the "
              "Prometheus text format, over plain HTTP without credentials: use loopback or a management "
              "address. Empty: off.",
              [](const Value& v, const ValueSet&) {
                return v.s.empty() ? std::string() : MetricsListener::check_listen(v.s);
              }),
       [](AgentConfig& c, const Value& v) { c.metrics_listen = v.s; }},
      {integer("threading.workers", "1", 1, 1024,
               "Packet worker threads; packets are spread over them by flow (--workers overrides)."),
       [](AgentConfig& c, const Value& v) { c.workers = int(v.i); }},

      // capture
      {integer("capture.snaplen", "262144", 64, 262144, "Bytes captured of each packet (live capture)."),
       [](AgentConfig& c, const Value& v) { c.snaplen = int(v.i); }},
      {boolean("capture.promisc", "true", "Put the interface in promiscuous mode."),
       [](AgentConfig& c, const Value& v) { c.promisc = v.b; }},
      {integer("capture.buffer-size-mb", "0", 0, 65536,
               "Kernel capture buffer, in MiB, resident for the agent's whole life; larger absorbs longer "
               "bursts. 0: 8 MiB, or 8 MiB per Gb/s of the link's speed above 1 Gb/s, at most 64."),
       [](AgentConfig& c, const Value& v) { c.buffer_size_mb = int(v.i); }},
      {boolean("capture.immediate", "false",
               "Wake for every packet instead of for kernel ring blocks (full, or 10 ms after their first "
               "packet): lower latency at 2-4x the CPU per Gbit/s."),
       [](AgentConfig& c, const Value& v) { c.immediate = v.b; }},
      {choice("capture.fanout", "kernel", {"kernel", "reader"},
              "Live capture with several workers. kernel: each worker reads its own packet socket and the "
              "kernel spreads packets over them by flow (PACKET_FANOUT with a BPF program that keeps both "
              "directions, fragments and ICMP errors with their flow); the capture buffer is shared out "
              "among the sockets. reader: one socket, and a reader thread spreads the packets (also what "
              "happens when the kernel refuses a fan-out group)."),
       [](AgentConfig& c, const Value& v) { c.kernel_fanout = v.s == "kernel"; }},
      {string("capture.bpf-filter", "\"\"", "BPF filter applied to the capture (--bpf overrides)."),
       [](AgentConfig& c, const Value& v) { c.bpf = v.s; }},
      {choice("capture.checksum-checks", "auto", {"auto", "yes", "no"},
              "auto: on for capture files until more than 10% of the first 1000 packets fail (then off, as "
              "Suricata does); off for live capture, where NIC checksum offload makes the host's own packets "
              "look broken. yes / no force it (-k all / -k none).",
              {{"true", "yes"}, {"all", "yes"}, {"false", "no"}, {"none", "no"}}),
       [](AgentConfig& c, const Value& v) {
         c.checksum_mode = v.s == "auto"  ? ChecksumMode::kAuto
                           : v.s == "yes" ? ChecksumMode::kYes
                                          : ChecksumMode::kNo;
         c.decode.checksum_checks = c.flow.checksum_checks = c.checksum_mode != ChecksumMode::kNo;
       }},

      // decoder: ports before enabled, so that enabled: false clears them
      {ports("decoder.vxlan.ports", "\"4789\"", "UDP destination ports recognised as VXLAN.",
             tunnel_ports_check()),
       set_tunnel_ports(&DecodeConfig::vxlan_ports)},
      {boolean("decoder.vxlan.enabled", "true", "Decode VXLAN; false turns it off."),
       tunnel_enabled(&DecodeConfig::vxlan_ports)},
      {ports("decoder.geneve.ports", "\"6081\"", "UDP destination ports recognised as Geneve.",
             tunnel_ports_check()),
       set_tunnel_ports(&DecodeConfig::geneve_ports)},
      {boolean("decoder.geneve.enabled", "true", "Decode Geneve; false turns it off."),
       tunnel_enabled(&DecodeConfig::geneve_ports)},
      {ports("decoder.teredo.ports", "\"3544\"", "UDP ports (either side) recognised as Teredo.",
             tunnel_ports_check()),
       set_tunnel_ports(&DecodeConfig::teredo_ports)},
      {boolean("decoder.teredo.enabled", "true", "Decode Teredo; false turns it off."),
       tunnel_enabled(&DecodeConfig::teredo_ports)},
      {integer("decoder.max-layers", "8", 0, 255,
               "Tunnels opened inside one frame; deeper ones are counted and left closed."),
       [](AgentConfig& c, const Value& v) { c.decode.max_tunnel_depth = uint8_t(v.i); }},

      {size("defrag.memcap", "32mb", 0, INT64_MAX, "Bytes of IP fragments held per worker."),
       [](AgentConfig& c, const Value& v) { c.decode.defrag_memcap = uint64_t(v.i); }},
      {integer("defrag.max-trackers", "65535", 1, kU32, "Datagrams under reassembly per worker."),
       [](AgentConfig& c, const Value& v) { c.decode.defrag_max_trackers = uint32_t(v.i); }},
      {duration("defrag.timeout", "60", 1, kDay, "A datagram not complete after this long is dropped."),
       [](AgentConfig& c, const Value& v) { c.decode.defrag_timeout_s = uint32_t(v.i); }},

      // flow
      {integer("flow.max-flows", "200000", 1, kU32,
               "Flows tracked per worker; beyond this new flows are refused and counted."),
       [](AgentConfig& c, const Value& v) { c.flow.max_flows = uint32_t(v.i); }},
      {duration("flow.timeouts.tcp.new", "60", 1, kU32,
                "TCP flow not yet established, idle this long: ended."),
       [](AgentConfig& c, const Value& v) { c.flow.tcp_new_timeout = uint32_t(v.i); }},
      {duration("flow.timeouts.tcp.established", "600", 1, kU32,
                "Established TCP flow idle this long: ended."),
       [](AgentConfig& c, const Value& v) { c.flow.tcp_est_timeout = uint32_t(v.i); }},
      {duration("flow.timeouts.tcp.closed", "60", 1, kU32,
                "Closed TCP flow kept this long for late packets."),
       [](AgentConfig& c, const Value& v) { c.flow.tcp_closed_timeout = uint32_t(v.i); }},
      {duration("flow.timeouts.udp.new", "30", 1, kU32, "UDP flow seen one way, idle this long: ended."),
       [](AgentConfig& c, const Value& v) { c.flow.udp_new_timeout = uint32_t(v.i); }},
      {duration("flow.timeouts.udp.established", "300", 1, kU32,
                "UDP flow seen both ways, idle this long: ended."),
       [](AgentConfig& c, const Value& v) { c.flow.udp_est_timeout = uint32_t(v.i); }},
      {duration("flow.timeouts.default.new", "30", 1, kU32,
                "Other protocols, one way, idle this long: ended."),
       [](AgentConfig& c, const Value& v) { c.flow.other_new_timeout = uint32_t(v.i); }},
      {duration("flow.timeouts.default.established", "300", 1, kU32,
                "Other protocols, both ways, idle this long: ended."),
       [](AgentConfig& c, const Value& v) { c.flow.other_est_timeout = uint32_t(v.i); }},

      // stream
      {boolean(
           "stream.midstream", "false",
           "Suricata's default: a TCP session seen without its handshake is not picked up (no reassembly, "
           "no app layer; packet rules still run). true picks it up, useful when the agent starts on a "
           "busy link."),
       [](AgentConfig& c, const Value& v) { c.flow.midstream = v.b; }},
      {size("stream.reassembly.depth", "1mb", 0, INT64_MAX,
            "Bytes reassembled per direction of a TCP session; 0: no limit."),
       [](AgentConfig& c, const Value& v) { c.flow.reassembly_depth = uint64_t(v.i); }},
      {size("stream.reassembly.memcap", "256mb", 0, INT64_MAX, "Out-of-order TCP bytes held per worker."),
       [](AgentConfig& c, const Value& v) { c.flow.reassembly_memcap = uint64_t(v.i); }},

      // app-layer
      {size("app-layer.http.request-body-limit", "100kb", 0, INT64_MAX,
            "Bytes of HTTP request body inspected (HTTP/1 and each HTTP/2 stream)."),
       [](AgentConfig& c, const Value& v) { c.app.http_request_body_limit = uint64_t(v.i); }},
      {size("app-layer.http.response-body-limit", "100kb", 0, INT64_MAX,
            "Bytes of (decompressed) HTTP response body inspected (HTTP/1 and each HTTP/2 stream)."),
       [](AgentConfig& c, const Value& v) { c.app.http_response_body_limit = uint64_t(v.i); }},
      {size("app-layer.http.decompress-limit", "1mb", 0, INT64_MAX,
            "Decompressed bytes produced per HTTP body."),
       [](AgentConfig& c, const Value& v) { c.app.http_decompress_limit = uint64_t(v.i); }},
      {choice(
           "app-layer.tls.encryption-handling", "default", {"default", "full"},
           "Once both sides encrypt: default stops raw content (payload/stream) inspection of the flow, as "
           "Suricata does (tls.* and header rules still run); full keeps inspecting the ciphertext."),
       [](AgentConfig& c, const Value& v) { c.app.tls_inspect_encrypted = v.s == "full"; }},
      {integer("app-layer.max-tx-per-flow", "512", 1, kU32,
               "Open transactions kept per flow (for HTTP/2: open streams)."),
       [](AgentConfig& c, const Value& v) { c.app.max_tx_per_flow = uint32_t(v.i); }},
      {size("app-layer.smtp.file-data-limit", "100kb", 0, INT64_MAX,
            "Decoded bytes of each mail part (text body, attachment) inspected as file.data."),
       [](AgentConfig& c, const Value& v) { c.app.smtp_file_data_limit = uint64_t(v.i); }},

      // files (agent/app/file_tracker.h)
      {boolean("files.enabled", "false",
               "Track files (HTTP request and response bodies): hashes, type, size for the file keywords "
               "(filename, fileext, filemagic, filesize, filemd5, filesha1, filesha256, filestore). On by "
               "itself when fileinfo events are logged or shipped, or when the rules given at start use file "
               "keywords; set it for rule sets that arrive later (from the collector)."),
       [](AgentConfig& c, const Value& v) { c.app.files.enabled = v.b; }},
      {list("files.force-hash", "[md5, sha1, sha256]",
            "Hashes computed over every tracked file (Suricata's force-hash): md5, sha1, sha256. The whole "
            "decoded file is hashed, also past the body limits that bound file.data.",
            check_hashes),
       [](AgentConfig& c, const Value& v) {
         auto has = [&](const char* h) { return std::find(v.list.begin(), v.list.end(), h) != v.list.end(); };
         c.app.files.md5 = has("md5");
         c.app.files.sha1 = has("sha1");
         c.app.files.sha256 = has("sha256");
       }},
      {boolean("files.force-magic", "false",
               "libmagic's type of every tracked file (from its first 4 KiB): fileinfo's magic and the "
               "filemagic / file.magic keywords. On by itself when the rules given at start use those "
               "keywords. Loading libmagic's database costs ~0.25 s and ~11 MB per worker."),
       [](AgentConfig& c, const Value& v) { c.app.files.magic = v.b; }},
      {string("files.store.dir", "\"\"",
              "Directory filestore rules write files to, as <dir>/<sha256 first 2 hex>/<sha256>, once per "
              "content; empty: filestore writes nothing."),
       [](AgentConfig& c, const Value& v) { c.app.files.store_dir = v.s; }},
      {size("files.store.cap", "1gb", 0, INT64_MAX,
            "Bytes under files.store.dir at most (what is there at start counts); files past it are not "
            "written and are counted in app_layer.limit.file.store_cap."),
       [](AgentConfig& c, const Value& v) { c.app.files.store_cap = uint64_t(v.i); }},
      {size("files.store.depth", "16mb", 0, INT64_MAX,
            "Bytes of one file held in memory until a filestore rule can decide; a longer file is not "
            "stored (app_layer.limit.file.store_depth). Held only when files.store.dir is set."),
       [](AgentConfig& c, const Value& v) { c.app.files.store_depth = uint64_t(v.i); }},

      // detect
      {string("detect.classification-file", "\"\"",
              "classification.config for the rules' classtype (empty: the built-in table)."),
       [](AgentConfig& c, const Value& v) { c.classification_file = v.s; }},
      {string("detect.threshold-file", "\"\"", "threshold.config (threshold, suppress, rate_filter lines)."),
       [](AgentConfig& c, const Value& v) { c.threshold_file = v.s; }},
      {string("detect.cache-dir", "auto",
              "Compiled rule databases, reused on the next start with the same rules. auto: in the state "
              "directory when enrolled, else ~/.cache/vigil; none or empty: off."),
       [](AgentConfig& c, const Value& v) { c.rule_cache_dir = v.s; }},

      // IP reputation, as suricata.yaml (top-level keys)
      {string("reputation-categories-file", "\"\"",
              "IP reputation categories for the iprep keyword (id,shortname,description)."),
       [](AgentConfig& c, const Value& v) { c.reputation_categories_file = v.s; }},
      {string("default-reputation-path", "\"\"", "Directory relative reputation-files are read from."),
       [](AgentConfig& c, const Value& v) { c.default_reputation_path = v.s; }},
      {list("reputation-files", "[]", "IP reputation files (ip[/cidr],category,score)."),
       [](AgentConfig& c, const Value& v) { c.reputation_files = v.list; }},

      // uplink (read by agent/uplink/agent_glue.cpp from AgentConfig::root)
      {size("uplink.spool-max-bytes", "512mb", 64 * 1024, INT64_MAX,
            "Size of the event spool on disk; when full the oldest events are dropped and counted."),
       nullptr},
      {size("uplink.spool-min-free-bytes", "64mb", 0, INT64_MAX,
            "Free space kept on the spool's file system (at most a quarter of its size): new events that "
            "would "
            "eat into it are not stored and counted (spool.write_errors), so that delivered events can still "
            "be "
            "deleted and the spool recovers when the collector is back."),
       nullptr},
      {choice("uplink.spool-sync", "full", {"full", "normal"},
              "full: an event counts as produced once it is on disk (SQLite synchronous=FULL); normal: "
              "faster, a power cut may lose the last events."),
       nullptr},
      {integer("uplink.batch-max-events", "500", 1, 100000, "Events per batch sent to the collector."),
       nullptr},
      {size("uplink.batch-max-bytes", "4mb", 1024, 1ll << 30,
            "Bytes of events per batch, before compression; an event alone larger than this is dropped and "
            "counted (uplink.event_too_large)."),
       nullptr},
      {duration("uplink.batch-max-age-ms", "500", 1, 3600000,
                "A batch is sent when its oldest event is this old, full or not.",
                config::DurationUnit::kMilliseconds),
       nullptr},
      {duration("uplink.heartbeat-interval", "5", 1, kDay,
                "Heartbeat to the collector (until the collector says otherwise)."),
       nullptr},
      {list("uplink.event-types", "[alert]", "Event types shipped to the collector.", check_eve_types),
       nullptr},
  };
}

}  // namespace

const config::TypedSchema<AgentConfig>& agent_config_schema() {
  static const config::TypedSchema<AgentConfig> schema(
      "vigil-agent", agent_keys(),
      {{"vars", "Variables used in rule headers, as in suricata.yaml."},
       {"outputs.eve", "The EVE JSON log (Suricata's format, one event per line)."},
       {"capture", "Live capture (libpcap)."},
       {"decoder",
        "UDP tunnels are recognised by port, as in suricata.yaml (VXLAN and Geneve on the destination "
        "port, Teredo on either); enabled: false turns one off."},
       {"defrag", "IP fragment reassembly."},
       {"flow", "Flow table and idle timeouts (packet time)."},
       {"stream", "TCP session tracking and reassembly."},
       {"app-layer", "Application-layer parsers (HTTP, DNS, TLS, SSH, SMTP)."},
       {"detect", "Rule loading."},
       {"metrics", "The Prometheus endpoint (agent/README.md, Metrics)."},
       {"uplink", "Shipping events to the collector (enrolled agents, --state-dir)."}},
      {{"outputs", "Suricata's list of outputs is not read; Vigil's EVE log is set with outputs.eve.*"}});
  return schema;
}

}  // namespace vigil

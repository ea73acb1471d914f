#include "agent/config.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <sstream>

namespace vigil {

const char* default_config_yaml() {
  return R"(# Vigil agent configuration. Keys follow Suricata's suricata.yaml where one exists.
vars:
  address-groups:
    HOME_NET: "[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]"
    EXTERNAL_NET: "!$HOME_NET"
    HTTP_SERVERS: "$HOME_NET"
    SMTP_SERVERS: "$HOME_NET"
    SQL_SERVERS: "$HOME_NET"
    DNS_SERVERS: "$HOME_NET"
    TELNET_SERVERS: "$HOME_NET"
    AIM_SERVERS: "$EXTERNAL_NET"
    DC_SERVERS: "$HOME_NET"
    DNP3_SERVER: "$HOME_NET"
    DNP3_CLIENT: "$HOME_NET"
    MODBUS_CLIENT: "$HOME_NET"
    MODBUS_SERVER: "$HOME_NET"
    ENIP_CLIENT: "$HOME_NET"
    ENIP_SERVER: "$HOME_NET"
  port-groups:
    HTTP_PORTS: "80"
    SHELLCODE_PORTS: "!80"
    ORACLE_PORTS: "1521"
    SSH_PORTS: "22"
    DNP3_PORTS: "20000"
    MODBUS_PORTS: "502"
    FILE_DATA_PORTS: "[$HTTP_PORTS,110,143]"
    FTP_PORTS: "21"
    GENEVE_PORTS: "6081"
    VXLAN_PORTS: "4789"
    TEREDO_PORTS: "3544"

default-log-dir: "."
host-name: ""

outputs:
  eve:
    filename: eve.json
    # alert, flow, stats, and the transaction logs http, dns, tls, ssh
    types: [alert, flow, stats]
    payload: true
    payload-printable: true
    packet: false

stats:
  interval: 8

threading:
  workers: 1

capture:
  snaplen: 262144
  promisc: true
  buffer-size-mb: 64
  immediate: true
  bpf-filter: ""
  # auto: on for capture files until more than 10% of the first 1000 packets
  # fail (then off, as Suricata does); off for live capture, where NIC
  # checksum offload makes the host's own packets look broken. yes / no force it.
  checksum-checks: auto

# UDP tunnels are recognised by port, as in suricata.yaml (VXLAN and Geneve on
# the destination port, Teredo on either); "enabled: false" turns one off.
decoder:
  vxlan: {enabled: true, ports: "4789"}
  geneve: {enabled: true, ports: "6081"}
  teredo: {enabled: true, ports: "3544"}
  # tunnels opened inside one frame; deeper ones are counted and left closed
  max-layers: 8

defrag:
  memcap: 33554432
  max-trackers: 65535
  timeout: 60

flow:
  max-flows: 200000
  timeouts:
    tcp: {new: 60, established: 600, closed: 60}
    udp: {new: 30, established: 300}
    default: {new: 30, established: 300}

stream:
  # Suricata's default: a TCP session seen without its handshake is not
  # picked up (no reassembly, no app layer; packet rules still run). true
  # picks it up, useful when the agent starts on a busy link.
  midstream: false
  reassembly:
    depth: 1048576
    memcap: 268435456

app-layer:
  http:
    request-body-limit: 102400
    response-body-limit: 102400
    decompress-limit: 1048576
  tls:
    # Once both sides encrypt: "default" stops raw content (payload/stream)
    # inspection of the flow, as Suricata does (tls.* and header rules still
    # run); "full" keeps inspecting the ciphertext.
    encryption-handling: default
  max-tx-per-flow: 512

detect:
  classification-file: ""
  threshold-file: ""
  cache-dir: auto

# IP reputation for the iprep keyword, as in suricata.yaml: the categories
# file (id,shortname,description), the directory relative reputation files
# are read from, and the reputation files (ip[/cidr],category,score).
reputation-categories-file: ""
default-reputation-path: ""
reputation-files: []
)";
}

namespace {

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, sep)) out.push_back(item);
  return out;
}

// Deep merge of `over` into `base` (maps merge, everything else replaces).
void merge(YAML::Node base, const YAML::Node& over) {
  if (!over.IsMap()) return;
  for (auto it = over.begin(); it != over.end(); ++it) {
    std::string key = it->first.as<std::string>();
    if (it->second.IsMap() && base[key] && base[key].IsMap()) {
      merge(base[key], it->second);
    } else {
      base[key] = YAML::Clone(it->second);
    }
  }
}

YAML::Node find(const YAML::Node& n, const char* const* b, const char* const* e) {
  if (b == e) return n;
  if (!n.IsMap()) return YAML::Node();
  const YAML::Node c = n[*b];
  if (!c) return YAML::Node();
  return find(c, b + 1, e);
}

template <class T>
T get(const YAML::Node& root, std::initializer_list<const char*> path, T def) {
  const YAML::Node n = find(root, path.begin(), path.end());
  if (!n || n.IsNull()) return def;
  try {
    return n.as<T>();
  } catch (const YAML::Exception&) {
    return def;
  }
}

}  // namespace

std::string apply_set(YAML::Node& root, const std::string& assignment) {
  auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0) return "--set expects KEY=VALUE, got '" + assignment + "'";
  std::string key = assignment.substr(0, eq), value = assignment.substr(eq + 1);
  auto parts = split(key, '.');
  // Walk/create maps. Suricata lets a path step into a list by index; we do not need that yet.
  std::vector<YAML::Node> chain{root};
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    YAML::Node cur = chain.back();
    if (cur[parts[i]] && !cur[parts[i]].IsMap())
      return "--set " + key + ": '" + parts[i] + "' is not a section";
    chain.push_back(cur[parts[i]]);
  }
  YAML::Node parent = chain.back();
  const std::string& leaf = parts.back();
  bool is_list = parent[leaf] && parent[leaf].IsSequence();
  if (is_list) {
    YAML::Node seq(YAML::NodeType::Sequence);
    for (auto& v : split(value, ',')) {
      if (!v.empty()) seq.push_back(v);
    }
    parent[leaf] = seq;
  } else {
    parent[leaf] = value;
  }
  return "";
}

bool AgentConfig::wants(std::string_view t) const {
  return std::find(eve_types.begin(), eve_types.end(), t) != eve_types.end();
}

ConfigResult load_config(const std::string& file, const std::vector<std::string>& sets) {
  ConfigResult r;
  YAML::Node root;
  try {
    root = YAML::Load(default_config_yaml());
    if (!file.empty()) merge(root, YAML::LoadFile(file));
  } catch (const YAML::Exception& e) {
    r.ok = false;
    r.error = (file.empty() ? std::string("built-in config") : file) + ":" + std::to_string(e.mark.line + 1) +
              ": " + e.msg;
    return r;
  }
  for (auto& s : sets) {
    std::string err = apply_set(root, s);
    if (!err.empty()) {
      r.ok = false;
      r.error = err;
      return r;
    }
  }
  AgentConfig& c = r.cfg;
  c.root = root;
  c.hostname = get<std::string>(root, {"host-name"}, "");
  if (c.hostname.empty()) {
    char buf[256] = {0};
    if (gethostname(buf, sizeof buf - 1) == 0) c.hostname = buf;
  }
  c.workers = std::max(1, get<int>(root, {"threading", "workers"}, 1));
  c.log_dir = get<std::string>(root, {"default-log-dir"}, ".");
  c.eve_filename = get<std::string>(root, {"outputs", "eve", "filename"}, "eve.json");
  if (root["outputs"]["eve"]["types"] && root["outputs"]["eve"]["types"].IsSequence()) {
    for (const auto& t : root["outputs"]["eve"]["types"]) c.eve_types.push_back(t.as<std::string>());
  }
  c.eve_payload = get<bool>(root, {"outputs", "eve", "payload"}, true);
  c.eve_payload_printable = get<bool>(root, {"outputs", "eve", "payload-printable"}, true);
  c.eve_packet = get<bool>(root, {"outputs", "eve", "packet"}, false);
  c.stats_interval_s = get<int>(root, {"stats", "interval"}, 8);

  c.snaplen = get<int>(root, {"capture", "snaplen"}, 262144);
  c.promisc = get<bool>(root, {"capture", "promisc"}, true);
  c.buffer_size_mb = get<int>(root, {"capture", "buffer-size-mb"}, 64);
  c.immediate = get<bool>(root, {"capture", "immediate"}, true);
  c.bpf = get<std::string>(root, {"capture", "bpf-filter"}, "");

  std::string csum_mode = get<std::string>(root, {"capture", "checksum-checks"}, "auto");
  if (csum_mode == "true" || csum_mode == "all") csum_mode = "yes";
  if (csum_mode == "false" || csum_mode == "none") csum_mode = "no";
  if (csum_mode != "auto" && csum_mode != "yes" && csum_mode != "no") {
    r.ok = false;
    r.error = "capture.checksum-checks: expected auto, yes or no, got '" + csum_mode + "'";
    return r;
  }
  c.checksum_mode = csum_mode == "auto"  ? ChecksumMode::kAuto
                    : csum_mode == "yes" ? ChecksumMode::kYes
                                         : ChecksumMode::kNo;
  bool csum = c.checksum_mode != ChecksumMode::kNo;
  c.decode.checksum_checks = csum;
  c.decode.defrag_memcap = get<uint64_t>(root, {"defrag", "memcap"}, c.decode.defrag_memcap);
  c.decode.defrag_max_trackers =
      get<uint32_t>(root, {"defrag", "max-trackers"}, c.decode.defrag_max_trackers);
  c.decode.defrag_timeout_s = get<uint32_t>(root, {"defrag", "timeout"}, c.decode.defrag_timeout_s);
  struct Tunnel {
    const char* name;
    std::vector<uint16_t>* ports;
  };
  for (auto [name, ports] : {Tunnel{"vxlan", &c.decode.vxlan_ports}, Tunnel{"geneve", &c.decode.geneve_ports},
                             Tunnel{"teredo", &c.decode.teredo_ports}}) {
    if (!get<bool>(root, {"decoder", name, "enabled"}, true)) {
      ports->clear();
      continue;
    }
    // "4789", "[4789, 8472]", 4789 or a YAML list
    YAML::Node n = root["decoder"][name]["ports"];
    std::string text;
    if (n && n.IsSequence()) {
      for (const auto& e : n) text += e.as<std::string>() + ",";
    } else if (n && n.IsScalar()) {
      text = n.as<std::string>();
    } else {
      continue;
    }
    std::vector<uint16_t> parsed;
    for (auto& tok : split(text, ',')) {
      std::string t;
      for (char ch : tok)
        if (ch != '[' && ch != ']' && ch != ' ') t += ch;
      if (t.empty()) continue;
      char* end = nullptr;
      unsigned long v = std::strtoul(t.c_str(), &end, 10);
      if (*end != '\0' || v == 0 || v > 65535) {
        r.ok = false;
        r.error = std::string("decoder.") + name + ".ports: '" + t + "' is not a port";
        return r;
      }
      parsed.push_back(uint16_t(v));
    }
    *ports = parsed;
  }
  c.decode.max_tunnel_depth = uint8_t(
      std::min<uint32_t>(255, get<uint32_t>(root, {"decoder", "max-layers"}, c.decode.max_tunnel_depth)));

  FlowConfig& f = c.flow;
  f.max_flows = get<uint32_t>(root, {"flow", "max-flows"}, f.max_flows);
  f.tcp_new_timeout = get<uint32_t>(root, {"flow", "timeouts", "tcp", "new"}, f.tcp_new_timeout);
  f.tcp_est_timeout = get<uint32_t>(root, {"flow", "timeouts", "tcp", "established"}, f.tcp_est_timeout);
  f.tcp_closed_timeout = get<uint32_t>(root, {"flow", "timeouts", "tcp", "closed"}, f.tcp_closed_timeout);
  f.udp_new_timeout = get<uint32_t>(root, {"flow", "timeouts", "udp", "new"}, f.udp_new_timeout);
  f.udp_est_timeout = get<uint32_t>(root, {"flow", "timeouts", "udp", "established"}, f.udp_est_timeout);
  f.other_new_timeout = get<uint32_t>(root, {"flow", "timeouts", "default", "new"}, f.other_new_timeout);
  f.other_est_timeout =
      get<uint32_t>(root, {"flow", "timeouts", "default", "established"}, f.other_est_timeout);
  f.reassembly_depth = get<uint64_t>(root, {"stream", "reassembly", "depth"}, f.reassembly_depth);
  f.reassembly_memcap = get<uint64_t>(root, {"stream", "reassembly", "memcap"}, f.reassembly_memcap);
  f.midstream = get<bool>(root, {"stream", "midstream"}, f.midstream);
  f.checksum_checks = csum;

  AppConfig& a = c.app;
  a.http_request_body_limit =
      get<uint64_t>(root, {"app-layer", "http", "request-body-limit"}, a.http_request_body_limit);
  a.http_response_body_limit =
      get<uint64_t>(root, {"app-layer", "http", "response-body-limit"}, a.http_response_body_limit);
  a.http_decompress_limit =
      get<uint64_t>(root, {"app-layer", "http", "decompress-limit"}, a.http_decompress_limit);
  a.max_tx_per_flow = get<uint32_t>(root, {"app-layer", "max-tx-per-flow"}, a.max_tx_per_flow);
  std::string enc = get<std::string>(root, {"app-layer", "tls", "encryption-handling"}, "default");
  if (enc != "default" && enc != "full") {
    r.ok = false;
    r.error = "app-layer.tls.encryption-handling: '" + enc + "' is not default or full";
    return r;
  }
  a.tls_inspect_encrypted = enc == "full";

  for (const char* group : {"address-groups", "port-groups"}) {
    YAML::Node g = root["vars"][group];
    if (!g || !g.IsMap()) continue;
    auto& dst = std::string(group) == "address-groups" ? c.address_vars : c.port_vars;
    for (auto it = g.begin(); it != g.end(); ++it)
      dst[it->first.as<std::string>()] = it->second.as<std::string>();
  }
  c.classification_file = get<std::string>(root, {"detect", "classification-file"}, "");
  c.threshold_file = get<std::string>(root, {"detect", "threshold-file"}, "");
  c.rule_cache_dir = get<std::string>(root, {"detect", "cache-dir"}, "auto");
  c.reputation_categories_file = get<std::string>(root, {"reputation-categories-file"}, "");
  c.default_reputation_path = get<std::string>(root, {"default-reputation-path"}, "");
  YAML::Node rf = root["reputation-files"];
  if (rf && rf.IsSequence()) {
    for (const auto& f : rf)
      if (f.IsScalar()) c.reputation_files.push_back(f.as<std::string>());
  } else if (rf && rf.IsScalar() && !rf.as<std::string>().empty()) {
    c.reputation_files.push_back(rf.as<std::string>());
  }
  return r;
}

}  // namespace vigil

#include "agent/output/eve.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "agent/flow/tcp_session.h"
#include "agent/output/event_types.h"
#include "common/encoding.h"
#include "common/private_files.h"

namespace vigil {

EveFileOutput::~EveFileOutput() {
  if (f_) fclose(f_);
}

std::string EveFileOutput::open(const std::string& path) {
  // Created 0600: alerts carry payloads and packets (an existing file keeps its mode).
  std::string err;
  path_ = path;
  f_ = open_append(path, 0600, &err);
  if (!f_) return err;
  setvbuf(f_, nullptr, _IOFBF, 1 << 20);
  return "";
}

std::string EveFileOutput::reopen() {
  std::lock_guard<std::mutex> g(mu_);
  if (f_ && fclose(f_) != 0) ++write_errors_;  // fclose flushes what is buffered
  std::string err;
  f_ = open_append(path_, 0600, &err);
  if (!f_) return err;
  setvbuf(f_, nullptr, _IOFBF, 1 << 20);
  return "";
}

void EveFileOutput::write(std::string_view, const std::string& line) {
  std::lock_guard<std::mutex> g(mu_);
  if (!f_ || fwrite(line.data(), 1, line.size(), f_) != line.size() || fputc('\n', f_) == EOF)
    ++write_errors_;
}

void EveFileOutput::flush() {
  std::lock_guard<std::mutex> g(mu_);
  if (f_ && fflush(f_) != 0) ++write_errors_;
}

EventRouter::EventRouter(EveOptions opt)
    : opt_(std::move(opt)), file_types_(EventMask::from_names(opt_.types)) {}

void EventRouter::add_output(EventOutput* out, const std::vector<std::string>& types) {
  EventMask m = types.empty() ? file_types_ : EventMask::from_names(types);
  outs_.push_back({out, m});
  any_ |= m;
}

void EventRouter::emit(EventType type, const Json& event) {
  std::string line;
  for (const auto& o : outs_) {
    if (!o.types.has(type)) continue;
    if (line.empty()) line = event.dump(-1, ' ', false, Json::error_handler_t::replace);
    o.out->write(event_type_name(type), line);
  }
}

void EventRouter::flush() {
  for (const auto& o : outs_) o.out->flush();
}

std::string proto_name(uint8_t p) {
  switch (p) {
    case 6:
      return "TCP";
    case 17:
      return "UDP";
    case 1:
      return "ICMP";
    case 58:
      return "IPv6-ICMP";
    case 132:
      return "SCTP";
    case 47:
      return "GRE";
    default:
      return std::to_string(p);
  }
}

static bool has_ports(uint8_t proto) {
  return proto == 6 || proto == 17 || proto == 132;
}

Json eve_packet_header(const Packet& p, std::string_view type) {
  Json j;
  j["timestamp"] = format_eve_time(p.ts);
  if (p.flow) j["flow_id"] = p.flow->flow_id;
  if (p.pcap_cnt) j["pcap_cnt"] = p.pcap_cnt;
  j["event_type"] = type;
  if (p.vlan_count) {
    Json v = Json::array();
    for (int i = 0; i < p.vlan_count; ++i) v.push_back(p.vlan_id[i]);
    j["vlan"] = v;
  }
  j["src_ip"] = p.src.to_string();
  if (has_ports(p.ip_proto)) j["src_port"] = p.sp;
  j["dest_ip"] = p.dst.to_string();
  if (has_ports(p.ip_proto)) j["dest_port"] = p.dp;
  j["proto"] = proto_name(p.ip_proto);
  if (p.l4 == L4::kIcmp || p.l4 == L4::kIcmpv6) {
    j["icmp_type"] = p.icmp.type;
    j["icmp_code"] = p.icmp.code;
  }
  return j;
}

Json eve_flow_header(const Flow& f, Timestamp ts, std::string_view type) {
  Json j;
  j["timestamp"] = format_eve_time(ts);
  j["flow_id"] = f.flow_id;
  j["event_type"] = type;
  if (f.vlan_count) {
    Json v = Json::array();
    for (int i = 0; i < f.vlan_count; ++i) v.push_back(f.vlan_id[i]);
    j["vlan"] = v;
  }
  j["src_ip"] = f.client.to_string();
  if (has_ports(f.proto)) j["src_port"] = f.client_port;
  j["dest_ip"] = f.server.to_string();
  if (has_ports(f.proto)) j["dest_port"] = f.server_port;
  j["proto"] = proto_name(f.proto);
  return j;
}

static Json flow_counts(const Flow& f) {
  Json j;
  j["pkts_toserver"] = f.pkts_toserver;
  j["pkts_toclient"] = f.pkts_toclient;
  j["bytes_toserver"] = f.bytes_toserver;
  j["bytes_toclient"] = f.bytes_toclient;
  j["start"] = format_eve_time(f.start);
  return j;
}

Json eve_alert(const AlertEvent& a, const EveOptions& opt) {
  const Packet& p = *a.packet;
  Json j = eve_packet_header(p, "alert");
  if (a.flow) j["direction"] = p.to_server ? "to_server" : "to_client";
  Json al;
  al["action"] = a.action;
  al["gid"] = a.gid;
  al["signature_id"] = a.sid;
  al["rev"] = a.rev;
  al["signature"] = a.msg;
  al["category"] = a.category;
  al["severity"] = a.severity;
  if (a.metadata && !a.metadata->empty()) {
    Json m = Json::object();
    a.metadata->each([&](std::string_view k, std::string_view v) {
      Json& arr = m[std::string(k)];
      if (arr.is_null()) arr = Json::array();
      arr.push_back(v);
    });
    al["metadata"] = m;
  }
  j["alert"] = al;
  if (a.flow) {
    const Flow& f = flow_of(*a.flow);
    j["app_proto"] =
        f.app_proto == AppProto::kUnknown ? std::string("unknown") : std::string(app_proto_name(f.app_proto));
    if (a.tx) a.tx->to_eve(j);
    Json fl = flow_counts(f);
    fl["src_ip"] = f.client.to_string();
    fl["dest_ip"] = f.server.to_string();
    if (has_ports(f.proto)) {
      fl["src_port"] = f.client_port;
      fl["dest_port"] = f.server_port;
    }
    j["flow"] = fl;
    j["community_id"] = f.community_id();
  }
  Bytes pl = a.stream_data.empty() ? p.payload : a.stream_data;
  if (opt.payload) j["payload"] = base64_encode(pl);
  if (opt.payload_printable) j["payload_printable"] = printable(pl);
  j["stream"] = a.stream_data.empty() ? 0 : 1;
  if (opt.packet) j["packet"] = base64_encode(p.frame);
  return j;
}

static std::string tcp_flags_hex(uint8_t f) {
  char buf[4];
  snprintf(buf, sizeof buf, "%02x", f);
  return buf;
}

Json eve_flow(const Flow& f, FlowEndReason reason, Timestamp now) {
  Json j = eve_flow_header(f, now, "flow");
  j["app_proto"] =
      f.app_proto == AppProto::kUnknown ? std::string("unknown") : std::string(app_proto_name(f.app_proto));
  if (f.app_proto_ts != AppProto::kUnknown && f.app_proto_ts != f.app_proto)
    j["app_proto_ts"] = app_proto_name(f.app_proto_ts);
  if (f.app_proto_tc != AppProto::kUnknown && f.app_proto_tc != f.app_proto)
    j["app_proto_tc"] = app_proto_name(f.app_proto_tc);
  if (f.app_proto_orig != AppProto::kUnknown) j["app_proto_orig"] = app_proto_name(f.app_proto_orig);
  Json fl = flow_counts(f);
  fl["end"] = format_eve_time(f.last_seen);
  fl["age"] = std::max<int64_t>(0, f.last_seen.sec - f.start.sec);
  fl["state"] = flow_state_name(f.state);
  fl["reason"] = reason == FlowEndReason::kTimeout    ? "timeout"
                 : reason == FlowEndReason::kShutdown ? "shutdown"
                                                      : "forced";
  fl["alerted"] = f.alerted;
  j["flow"] = fl;
  j["community_id"] = f.community_id();
  if (f.proto == 6) {
    uint8_t all = f.tcp_flags_ts | f.tcp_flags_tc;
    Json t;
    t["tcp_flags"] = tcp_flags_hex(all);
    t["tcp_flags_ts"] = tcp_flags_hex(f.tcp_flags_ts);
    t["tcp_flags_tc"] = tcp_flags_hex(f.tcp_flags_tc);
    if (all & kTcpSyn) t["syn"] = true;
    if (all & kTcpFin) t["fin"] = true;
    if (all & kTcpRst) t["rst"] = true;
    if (all & kTcpPsh) t["psh"] = true;
    if (all & kTcpAck) t["ack"] = true;
    if (f.tcp) t["state"] = flow_tcp_state_name(f);
    j["tcp"] = t;
  }
  return j;
}

Json eve_tx(const Flow& f, Timestamp ts, const Transaction& tx) {
  // The event type's name ("ftp_data" for ftp-data), else the protocol's.
  auto et = tx_event_type(tx.proto());
  std::string_view type = et ? event_type_name(*et) : app_proto_name(tx.proto());
  Json j = eve_flow_header(f, ts, type);
  tx.to_eve(j);
  j["community_id"] = f.community_id();
  return j;
}

Json eve_fileinfo(const Flow& f, Timestamp ts, const Transaction& tx, size_t i) {
  Json j = eve_flow_header(f, ts, "fileinfo");
  Json proto;
  tx.to_eve(proto);
  Json info;
  Dir d = Dir::kToClient;
  tx.file_to_eve(info, i, &d);
  if (d == Dir::kToClient) {
    // A file sent by the server: its addresses are the source.
    std::swap(j["src_ip"], j["dest_ip"]);
    if (j.contains("src_port")) std::swap(j["src_port"], j["dest_port"]);
  }
  std::string_view name = app_proto_name(tx.proto());
  // HTTP/2 streams write their object as "http" (app_proto stays http2).
  bool h2 = tx.proto() == AppProto::kHttp2 || tx.proto() == AppProto::kDoh2;
  // The transaction's protocol object, as Suricata 7 adds it: "http",
  // "smtp" with "email", "ftp_data".
  for (std::string_view key :
       {h2 ? std::string_view("http") : name, std::string_view(tx.proto() == AppProto::kSmtp ? "email" : ""),
        std::string_view(tx.proto() == AppProto::kFtpData ? "ftp_data" : "")}) {
    if (key.empty()) continue;
    if (auto it = proto.find(key); it != proto.end()) j[std::string(key)] = std::move(*it);
  }
  j["app_proto"] = name;
  j["fileinfo"] = std::move(info["fileinfo"]);
  j["community_id"] = f.community_id();
  return j;
}

bool eve_tx_record(const Flow& f, Timestamp ts, const Transaction& tx, Dir d, size_t i, const EveOptions& opt,
                   Json& out) {
  std::string_view type = app_proto_name(tx.proto());
  out = eve_flow_header(f, ts, type);
  tx.to_eve_record(out, d, i);
  if (tx.proto() == AppProto::kDns) {
    auto it = out.find("dns");
    if (it == out.end() || !dns_eve_keep(*it, opt.dns)) return false;
  }
  out["community_id"] = f.community_id();
  return true;
}

Json nest_counters(const CounterSnapshot& c) {
  Json root = Json::object();
  for (const auto& [name, v] : c) {
    Json* cur = &root;
    size_t start = 0;
    bool placed = false;
    while (true) {
      size_t dot = name.find('.', start);
      std::string part = name.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
      if (dot == std::string::npos) {
        if (cur->contains(part) && (*cur)[part].is_object()) {
          (*cur)[part]["total"] = v;  // a name that is also a section: its own value goes under "total"
        } else {
          (*cur)[part] = v;
        }
        placed = true;
        break;
      }
      Json& next = (*cur)[part];
      if (next.is_number()) {  // section named like an existing leaf: keep both, leaf moves to "total"
        uint64_t leaf = next.get<uint64_t>();
        next = Json::object();
        next["total"] = leaf;
      }
      cur = &next;
      start = dot + 1;
    }
    (void)placed;
  }
  return root;
}

}  // namespace vigil

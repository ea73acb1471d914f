#include "bench/fleet_load/payload.h"

#include <zlib.h>

#include <cstdio>
#include <nlohmann/json.hpp>

namespace vigil::fleet {
namespace {

// Names with the shape and length of the agent's counters; the real list
// lives in the agent's X-macro tables and is not copied here.
const std::vector<std::string>& counter_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v = {
        "capture.packets", "capture.bytes", "capture.kernel_drops", "capture.kernel_ifdrops", "detect.alert",
        "flow.total",      "flow.active",   "tcp.sessions",         "spool.written",          "spool.depth"};
    const char* groups[] = {"decoder.event.ipv4",
                            "decoder.event.ipv6",
                            "decoder.event.tcp",
                            "app_layer.anomaly.http",
                            "app_layer.anomaly.tls",
                            "app_layer.error.dns",
                            "decoder",
                            "flow.end",
                            "tcp",
                            "app_layer.tx"};
    for (const char* g : groups) {
      for (int i = 0; i < 20; ++i) v.push_back(std::string(g) + ".counter_" + std::to_string(i));
    }
    return v;
  }();
  return names;
}

}  // namespace

std::string heartbeat_body(const std::string& hostname, uint64_t uptime_s, uint64_t batches_acked,
                           uint64_t alerts) {
  nlohmann::json counters = nlohmann::json::object();
  uint64_t k = uptime_s * 1000 + 7;
  for (const auto& n : counter_names())
    counters[n] = (k = k * 6364136223846793005ULL + 1442695040888963407ULL) >> 44;
  counters["detect.alert"] = alerts;
  nlohmann::json hb = {{"packets", uptime_s * 1200},
                       {"bytes", uptime_s * 1100000},
                       {"capture_drops", 0},
                       {"decode_anomalies", 3},
                       {"alerts", alerts},
                       {"counters", std::move(counters)},
                       {"ruleset_version", ""},
                       {"agent_version", "0.1.0"},
                       {"hostname", hostname},
                       {"uptime_s", uptime_s},
                       {"spool", {{"depth", 0}, {"bytes", 0}, {"dropped", 0}}},
                       {"uplink", {{"batches_acked", batches_acked}, {"errors", 0}}},
                       {"process", {{"cpu_user_s", 1.25}, {"cpu_system_s", 0.5}, {"rss_bytes", 38000000}}}};
  return hb.dump();
}

std::string batch_body_gzip(const std::string& agent_id, uint32_t agent_index, uint64_t seq, int events,
                            uint64_t nonce) {
  std::string body;
  body.reserve(64 + static_cast<size_t>(events) * 900);
  body += R"({"agent_id":")" + agent_id + R"(","batch_seq":)" + std::to_string(seq) + R"(,"events":[)";
  char buf[1024];
  for (int i = 0; i < events; ++i) {
    unsigned n = static_cast<unsigned>(seq * 131 + static_cast<uint64_t>(i));
    int len = std::snprintf(
        buf, sizeof buf,
        R"(%s{"uid":"%016llx%08x%08x%016llx%016llx","eve":{"timestamp":"2026-11-26T%02u:%02u:%02u.%06u+0000",)"
        R"("flow_id":%llu,"event_type":"alert","src_ip":"10.%u.%u.%u","src_port":%u,)"
        R"("dest_ip":"203.0.113.%u","dest_port":80,"proto":"TCP","direction":"to_server",)"
        R"("alert":{"action":"allowed","gid":1,"signature_id":%u,"rev":3,)"
        R"("signature":"ET WEB_SERVER Possible SQL Injection Attempt UNION SELECT",)"
        R"("category":"Web Application Attack","severity":%u},"app_proto":"http",)"
        R"("http":{"hostname":"portal.example.gov","url":"/search?q=1%%20UNION%%20SELECT%%20password%%20FROM%%20users--%u",)"
        R"("http_user_agent":"Mozilla/5.0 (X11; Linux x86_64) sqlmap/1.7","http_method":"GET",)"
        R"("protocol":"HTTP/1.1","status":200,"length":5123},)"
        R"("payload_printable":"GET /search?q=1 UNION SELECT password FROM users-- HTTP/1.1"}})",
        i ? "," : "", static_cast<unsigned long long>(nonce), agent_index, static_cast<unsigned>(i),
        static_cast<unsigned long long>(seq),
        static_cast<unsigned long long>(nonce ^ (seq << 20) ^ agent_index), (n / 3600) % 24, (n / 60) % 60,
        n % 60, n % 1000000, static_cast<unsigned long long>(seq) * 1000 + static_cast<unsigned>(i),
        (agent_index >> 8) & 255, agent_index & 255, n % 250, 40000 + n % 20000, n % 200, 2000000 + n % 500,
        1 + n % 3, n);
    if (len > 0) body.append(buf, static_cast<size_t>(std::min<int>(len, sizeof buf - 1)));
  }
  body += "]}";
  return gzip(body);
}

std::string gzip(const std::string& in) {
  z_stream z{};
  // Level 1: the tool shares the CPUs with the collector it measures; the
  // agent's own library uses zlib's default level (the collector inflates
  // either at about the same cost).
  if (deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return {};
  std::string out(deflateBound(&z, static_cast<uLong>(in.size())) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return rc == Z_STREAM_END ? out : std::string();
}

}  // namespace vigil::fleet

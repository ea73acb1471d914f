// Collector ingest benchmark: N simulated agents enrol with a running
// vigil-collector and send gzip batches of realistic EVE alerts over HTTPS as
// fast as the collector acknowledges them (each ack = a durable commit).
// Bodies are built and gzip-compressed before the clock starts (an agent
// compresses on its own host), so the run measures the collector; the
// clients' own CPU during the run is printed too. Prints alerts/s. Usage:
//   vigil-ingest-bench --url https://127.0.0.1:PORT --data-dir DIR [--agents 10]
//                      [--batches 50] [--batch-size 500]
// DIR is the collector's data directory (for ca.pem and to create a token).
#include <httplib.h>
#include <sys/resource.h>
#include <zlib.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>

#include "collector/store/pg_store.h"
#include "collector/store/store.h"
#include "collector/tls_material.h"

using namespace vigil::collector;
using nlohmann::json;

namespace {

std::string gzip(const std::string& in) {
  z_stream z{};
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return {};
  std::string out(deflateBound(&z, in.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return rc == Z_STREAM_END ? out : std::string();
}

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

std::string alert(int agent, int i) {
  char ts[64];
  std::snprintf(ts, sizeof ts, "2026-11-26T%02d:%02d:%02d.%06d+0000", (i / 3600) % 24, (i / 60) % 60, i % 60,
                i % 1000000);
  json e = {{"timestamp", ts},
            {"flow_id", 1000000 + i},
            {"pcap_cnt", i},
            {"event_type", "alert"},
            {"src_ip", "10.1." + std::to_string(agent) + "." + std::to_string(i % 250)},
            {"src_port", 40000 + i % 20000},
            {"dest_ip", "203.0.113." + std::to_string(i % 200)},
            {"dest_port", 80},
            {"proto", "TCP"},
            {"direction", "to_server"},
            {"alert",
             {{"action", "allowed"},
              {"gid", 1},
              {"signature_id", 2000000 + i % 500},
              {"rev", 3},
              {"signature", "ET WEB_SERVER Possible SQL Injection Attempt UNION SELECT"},
              {"category", "Web Application Attack"},
              {"severity", 1 + i % 3}}},
            {"app_proto", "http"},
            {"http",
             {{"hostname", "portal.example.gov"},
              {"url", "/search?q=1%20UNION%20SELECT%20password%20FROM%20users--" + std::to_string(i)},
              {"http_user_agent", "Mozilla/5.0 (X11; Linux x86_64) sqlmap/1.7"},
              {"http_method", "GET"},
              {"protocol", "HTTP/1.1"},
              {"status", 200},
              {"length", 5123}}},
            {"payload_printable", "GET /search?q=1 UNION SELECT password FROM users-- HTTP/1.1"}};
  return e.dump();
}

// The http event of alert(agent, i)'s flow: the same fields without "alert".
std::string http_event(int agent, int i) {
  json e = json::parse(alert(agent, i));
  e["event_type"] = "http";
  e.erase("alert");
  e.erase("payload_printable");
  return e.dump();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"collector ingest benchmark"};
  std::string url, data_dir;
  int agents = 10, batches = 50, batch_size = 500;
  app.add_option("--url", url)->required();
  app.add_option("--data-dir", data_dir)->required();
  std::string store_url;
  app.add_option("--store-url", store_url,
                 "the collector's PostgreSQL store (libpq URL); default: DIR/collector.db");
  app.add_option("--agents", agents);
  app.add_option("--batches", batches);
  app.add_option("--batch-size", batch_size);
  bool with_events = false;
  app.add_flag("--with-events", with_events,
               "every second event an http event of the alert before it (its flow)");
  CLI11_PARSE(app, argc, argv);
  std::string host = url.substr(8, url.rfind(':') - 8);
  int port = std::stoi(url.substr(url.rfind(':') + 1));
  std::string err;
  auto store = store_url.empty() ? open_sqlite_store(data_dir + "/collector.db", &err)
                                 : open_pg_store(store_url, &err, 1);
  if (!store) {
    std::fprintf(stderr, "%s\n", err.c_str());
    return 1;
  }
  std::string token = "vt_" + random_hex(16);
  store->create_token(sha256_hex(token), 0, INT64_MAX, agents);
  store.reset();

  std::vector<std::string> creds;
  for (int a = 0; a < agents; ++a) {
    httplib::SSLClient c(host, port);
    c.set_ca_cert_path((data_dir + "/ca.pem").c_str());
    c.enable_server_certificate_verification(true);
    auto r =
        c.Post("/api/v1/enroll", json{{"token", token}, {"hostname", "bench" + std::to_string(a)}}.dump(),
               "application/json");
    if (!r || r->status != 200) {
      std::fprintf(stderr, "enrolment failed\n");
      return 1;
    }
    auto j = json::parse(r->body);
    creds.push_back(j["agent_id"].get<std::string>() + "." + j["key"].get<std::string>());
  }
  // Bodies are prepared up front so that the clients measure the collector, not themselves.
  std::vector<std::vector<std::string>> bodies(agents);
  size_t raw_bytes = 0, gz_bytes = 0;
  for (int a = 0; a < agents; ++a) {
    std::string id = creds[a].substr(0, creds[a].find('.'));
    for (int b = 0; b < batches; ++b) {
      std::string body =
          R"({"agent_id":")" + id + R"(","batch_seq":)" + std::to_string(b + 1) + R"(,"events":[)";
      for (int i = 0; i < batch_size; ++i) {
        int n = b * batch_size + i;
        if (i) body += ',';
        std::string eve = with_events && n % 2 ? http_event(a, n - 1) : alert(a, n);
        body += R"({"uid":")" + sha256_hex(id + std::to_string(n)) + R"(","eve":)" + eve + "}";
      }
      body += "]}";
      raw_bytes += body.size();
      std::string z = gzip(body);
      if (z.empty()) {
        std::fprintf(stderr, "gzip failed\n");
        return 1;
      }
      gz_bytes += z.size();
      bodies[a].push_back(std::move(z));
    }
  }
  std::atomic<int> failures{0};
  const double cpu0 = cpu_seconds();
  auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> ts;
  for (int a = 0; a < agents; ++a) {
    ts.emplace_back([&, a] {
      httplib::SSLClient c(host, port);
      c.set_ca_cert_path((data_dir + "/ca.pem").c_str());
      c.enable_server_certificate_verification(true);
      c.set_bearer_token_auth(creds[a].c_str());
      c.set_keep_alive(true);
      c.set_read_timeout(60, 0);
      const httplib::Headers gz = {{"Content-Encoding", "gzip"}};
      for (const auto& body : bodies[a]) {
        auto r = c.Post("/api/v1/events", gz, body, "application/json");
        if (!r || r->status != 200) ++failures;
      }
    });
  }
  for (auto& t : ts) t.join();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double client_cpu = cpu_seconds() - cpu0;
  long total = long(agents) * batches * batch_size;
  std::printf(
      "agents=%d batches/agent=%d batch=%d alerts=%ld failures=%d seconds=%.2f alerts/s=%.0f "
      "raw MB=%.1f gzip MB=%.1f client_cpu_s=%.2f\n",
      agents, batches, batch_size, total, failures.load(), secs, total / secs, raw_bytes / 1e6,
      gz_bytes / 1e6, client_cpu);
  return failures ? 1 : 0;
}

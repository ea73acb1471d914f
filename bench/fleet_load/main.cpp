// vigil-fleet-load: N agents' TLS keep-alive connections held open at once
// against a running vigil-collector, each heartbeating every ~5 s, some
// shipping gzip alert batches, plus M hostile connections that send nothing
// or one byte a second, while an API request with an admin key is timed
// every ~100 ms. Stops by itself; prints a human summary, then one JSON line.
//
//   vigil-fleet-load --url https://127.0.0.1:PORT --ca-file DATA/ca.pem
//       --token "$(vigil-collector token create --uses N ... | tail -1)"
//       --api-key "$(vigil-collector apikey create --role admin ... | tail -1)"
//       --agents N --hostile M --duration 40 [--collector-pid PID] [--credentials FILE]
//
// Phases: enrol (or reuse --credentials) -> ramp (agents connect at
// --connect-rate per second until all are up or --ramp-timeout) -> steady
// (--duration s) -> drain (no new batches; in-flight ones answered) -> count
// the connections held (open, last heartbeat answered 200) -> stop.
#include <sys/resource.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "bench/fleet_load/fleet.h"

namespace vigil::fleet {
namespace {

using nlohmann::json;

double since_s(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// CPU ticks (user + system) and resident kB of a process, from /proc.
struct ProcSample {
  bool ok = false;
  unsigned long long ticks = 0, rss_kb = 0;
};

ProcSample sample_proc(const std::string& pid) {
  ProcSample s;
  std::ifstream stat("/proc/" + pid + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return s;
  size_t close = line.rfind(')');
  if (close == std::string::npos) return s;
  unsigned long long ut = 0, st = 0;
  if (std::sscanf(line.c_str() + close + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut,
                  &st) != 2)
    return s;
  s.ticks = ut + st;
  std::ifstream status("/proc/" + pid + "/status");
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) s.rss_kb = std::strtoull(line.c_str() + 6, nullptr, 10);
  }
  s.ok = true;
  return s;
}

json percentiles(std::vector<double> v) {
  if (v.empty()) return json{{"n", 0}};
  std::sort(v.begin(), v.end());
  auto at = [&](double q) {
    size_t i = static_cast<size_t>(std::ceil(q * static_cast<double>(v.size())));
    return v[std::min(v.size() - 1, i ? i - 1 : 0)];
  };
  auto r = [](double x) { return std::round(x * 10) / 10; };
  return json{{"n", v.size()}, {"p50_ms", r(at(0.5))}, {"p99_ms", r(at(0.99))}, {"max_ms", r(v.back())}};
}

// Credentials file: one "AGENT_ID KEY" per line.
void load_credentials(const std::string& path, std::vector<Agent>& agents) {
  std::ifstream in(path);
  std::string id, key;
  for (size_t i = 0; i < agents.size() && (in >> id >> key); ++i) {
    agents[i].id = id;
    agents[i].key = key;
    agents[i].next_seq =
        static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count());  // past runs used lower numbers: never reuse one
  }
}

bool save_credentials(const std::string& path, const std::vector<Agent>& agents) {
  std::ofstream out(path, std::ios::trunc);
  for (const auto& a : agents) {
    if (!a.id.empty()) out << a.id << ' ' << a.key << '\n';
  }
  return static_cast<bool>(out);
}

bool parse_url(Options& o, std::string* err) {
  const std::string prefix = "https://";
  if (o.url.rfind(prefix, 0) != 0) return *err = "--url must start with https://", false;
  std::string rest = o.url.substr(prefix.size());
  if (auto slash = rest.find('/'); slash != std::string::npos) rest.resize(slash);
  auto colon = rest.rfind(':');
  if (colon == std::string::npos) return *err = "--url needs a port", false;
  o.host = rest.substr(0, colon);
  int port = std::atoi(rest.c_str() + colon + 1);
  if (port <= 0 || port > 65535) return *err = "bad port in --url", false;
  o.port = static_cast<unsigned short>(port);
  return true;
}

void raise_nofile() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

int run(Options& o) {
  std::string err;
  if (!parse_url(o, &err)) return std::fprintf(stderr, "vigil-fleet-load: %s\n", err.c_str()), 2;
  boost::system::error_code ec;
  auto server_ip = asio::ip::make_address(o.host, ec);
  if (ec) return std::fprintf(stderr, "vigil-fleet-load: --url host must be an IP address\n"), 2;
  raise_nofile();
  rlimit rl{};
  getrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < static_cast<rlim_t>(o.agents + o.hostile + 64)) {
    std::fprintf(stderr, "vigil-fleet-load: open-file limit %llu is below agents + hostile\n",
                 static_cast<unsigned long long>(rl.rlim_cur));
    return 2;
  }

  asio::ssl::context tls(asio::ssl::context::tls_client);
  tls.set_verify_mode(asio::ssl::verify_peer);
  tls.load_verify_file(o.ca_file, ec);
  if (ec)
    return std::fprintf(stderr, "vigil-fleet-load: %s: %s\n", o.ca_file.c_str(), ec.message().c_str()), 2;
  // Thousands of idle sessions: let OpenSSL free their buffers between records.
  SSL_CTX_set_mode(tls.native_handle(), SSL_MODE_RELEASE_BUFFERS);

  Shared s(o, tls, tcp::endpoint(server_ip, o.port));
  s.run_nonce = std::random_device{}() * 0x100000001ULL ^ static_cast<uint64_t>(getpid());

  std::vector<Agent> agents(static_cast<size_t>(o.agents));
  auto net = asio::ip::make_address_v4(o.agent_net).to_uint();
  size_t shippers = static_cast<size_t>(std::llround(o.ship_fraction * o.agents));
  for (size_t i = 0; i < agents.size(); ++i) {
    agents[i].index = static_cast<uint32_t>(i);
    // One address per agent host, skipping .0 and .255 of each /24.
    agents[i].source = asio::ip::address_v4(net + static_cast<uint32_t>((i / 254) * 256 + i % 254 + 1));
    agents[i].shipper = i < shippers;
  }
  if (!o.credentials.empty()) load_credentials(o.credentials, agents);

  std::vector<std::unique_ptr<asio::io_context>> ios;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
  std::vector<std::thread> threads;
  for (int t = 0; t < std::max(1, o.threads); ++t) {
    ios.push_back(std::make_unique<asio::io_context>(1));
    guards.push_back(asio::make_work_guard(*ios.back()));
  }
  for (auto& io : ios) threads.emplace_back([&io] { io->run(); });
  auto io_for = [&](size_t i) -> asio::io_context& { return *ios[i % ios.size()]; };
  auto stop_all = [&] {
    s.stopping = true;
    for (auto& io : ios) io->stop();
    for (auto& t : threads) t.join();
  };

  // Enrol.
  const auto t_enrol = Clock::now();
  size_t missing =
      static_cast<size_t>(std::count_if(agents.begin(), agents.end(), [](auto& a) { return a.id.empty(); }));
  if (missing) {
    if (o.token.empty()) {
      stop_all();
      return std::fprintf(stderr, "vigil-fleet-load: %zu agents need enrolment and no --token\n", missing), 2;
    }
    std::atomic<size_t> next{0};
    std::atomic<int> done{0};
    const int enrollers = 8;
    for (int k = 0; k < enrollers; ++k)
      asio::co_spawn(io_for(static_cast<size_t>(k)), run_enroller(s, agents, next, done), asio::detached);
    while (done < enrollers) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (!o.credentials.empty()) save_credentials(o.credentials, agents);
  }
  double enrol_s = since_s(t_enrol);
  std::printf("enrolment: %llu new agents in %.1f s (%llu failed)\n",
              static_cast<unsigned long long>(s.c.enrolled.load()), enrol_s,
              static_cast<unsigned long long>(s.c.enrol_failures.load()));
  std::fflush(stdout);
  if (s.c.enrol_failures) {
    stop_all();
    return std::fprintf(stderr, "vigil-fleet-load: enrolment failed; is the token good for %d uses?\n",
                        o.agents),
           1;
  }

  // Ramp: everyone starts, agents spread at --connect-rate.
  const std::string pid = std::to_string(o.collector_pid);
  auto proc = [&] { return o.collector_pid ? sample_proc(pid) : ProcSample{}; };
  unsigned long long rss_peak = 0;
  auto sample = [&] {
    auto p = proc();
    rss_peak = std::max(rss_peak, p.rss_kb);
    return p;
  };
  const ProcSample p_start = sample();
  const ProcSample self_start = sample_proc("self");
  const auto t_ramp = Clock::now();
  asio::co_spawn(io_for(0), run_probe(s, t_ramp), asio::detached);
  for (int h = 0; h < o.hostile; ++h)
    asio::co_spawn(io_for(static_cast<size_t>(h)), run_hostile(s, h, t_ramp), asio::detached);
  for (size_t i = 0; i < agents.size(); ++i) {
    auto at = t_ramp + std::chrono::microseconds(
                           static_cast<int64_t>(1e6 * static_cast<double>(i) / std::max(1, o.connect_rate)));
    asio::co_spawn(io_for(i), run_agent(s, agents[i], at), asio::detached);
  }
  double ramp_s = -1;
  while (since_s(t_ramp) < o.ramp_timeout_s) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    sample();
    if (s.agents_open.load() >= o.agents &&
        std::all_of(agents.begin(), agents.end(), [](auto& a) { return a.connections.load() > 0; })) {
      ramp_s = since_s(t_ramp);
      break;
    }
  }
  const int open_after_ramp = s.agents_open.load();
  std::printf("ramp: %d of %d agents connected after %.1f s%s\n", open_after_ramp, o.agents, since_s(t_ramp),
              ramp_s < 0 ? " (ramp timeout)" : "");
  std::fflush(stdout);
  json api_ramp = percentiles(s.probe_ms.take());
  s.heartbeat_ms.take();
  const ProcSample p_ramp_end = sample();

  // Steady.
  const auto t_steady = Clock::now();
  const uint64_t stored_at_steady = s.c.alerts_stored.load();
  const uint64_t hb_failed_at_steady = s.c.heartbeats_failed.load();
  int open_min = s.agents_open.load();
  while (since_s(t_steady) < o.duration_s) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    sample();
    open_min = std::min(open_min, s.agents_open.load());
  }
  const double steady_s = since_s(t_steady);
  const uint64_t stored_in_steady = s.c.alerts_stored.load() - stored_at_steady;
  const ProcSample p_steady_end = sample();
  const ProcSample self_end = sample_proc("self");

  // Drain: no new batches; let the in-flight ones be answered so that what
  // was acknowledged and what was stored can be compared.
  s.stop_shipping = true;
  const auto t_drain = Clock::now();
  while (s.batches_in_flight.load() > 0 && since_s(t_drain) < o.drain_timeout_s)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const int in_flight_left = s.batches_in_flight.load();

  // Count what is held, then stop.
  int held = 0;
  for (const auto& a : agents) held += a.state.load() == Agent::kOk;
  const int open_end = s.agents_open.load(), hostile_end = s.hostile_open.load();
  json api = percentiles(s.probe_ms.take());
  json hb = percentiles(s.heartbeat_ms.take());
  stop_all();

  const double hz = static_cast<double>(sysconf(_SC_CLK_TCK));
  auto cpu_pct = [&](const ProcSample& a, const ProcSample& b, double wall) {
    return a.ok && b.ok && wall > 0
               ? std::round(1000.0 * static_cast<double>(b.ticks - a.ticks) / hz / wall) / 10
               : -1.0;
  };
  auto mb = [](unsigned long long kb) { return std::round(static_cast<double>(kb) / 102.4) / 10; };
  json out = {{"agents", o.agents},
              {"hostile", o.hostile},
              {"shippers", shippers},
              {"duration_s", std::round(steady_s * 10) / 10},
              {"enrol_s", std::round(enrol_s * 10) / 10},
              {"ramp_s", std::round(ramp_s * 10) / 10},
              {"open_after_ramp", open_after_ramp},
              {"open_min_steady", open_min},
              {"open_at_end", open_end},
              {"held", held},
              {"hostile_open_at_end", hostile_end},
              {"heartbeats_failed_steady", s.c.heartbeats_failed.load() - hb_failed_at_steady},
              {"batches_in_flight_left", in_flight_left},
              {"alerts_per_s", std::round(static_cast<double>(stored_in_steady) / steady_s)},
              {"api", api},
              {"api_ramp", api_ramp},
              {"heartbeat", hb}};
#define VIGIL_FLEET_JSON_(name) out[#name] = s.c.name.load();
  VIGIL_FLEET_COUNTERS(VIGIL_FLEET_JSON_)
#undef VIGIL_FLEET_JSON_
  if (o.collector_pid) {
    out["collector"] = {{"pid", o.collector_pid},
                        {"rss_start_mb", mb(p_start.rss_kb)},
                        {"rss_peak_mb", mb(rss_peak)},
                        {"rss_end_mb", mb(p_steady_end.rss_kb)},
                        {"cpu_pct_ramp", cpu_pct(p_start, p_ramp_end,
                                                 std::max(1e-3, ramp_s < 0 ? o.ramp_timeout_s : ramp_s))},
                        {"cpu_pct_steady", cpu_pct(p_ramp_end, p_steady_end, steady_s)}};
  }
  out["tool"] = {{"rss_mb", mb(self_end.rss_kb)},
                 {"cpu_pct", cpu_pct(self_start, self_end, since_s(t_ramp) - since_s(t_steady) + steady_s)}};

  std::printf(
      "agents: %d, %d held at the end (open and last heartbeat answered), fewest open during steady %d; "
      "%llu lost, %llu closed by the server\n",
      o.agents, held, open_min, static_cast<unsigned long long>(s.c.conn_lost.load()),
      static_cast<unsigned long long>(s.c.server_closes.load()));
  std::printf("heartbeats: %llu ok, %llu failed; latency p50 %s ms, p99 %s ms\n",
              static_cast<unsigned long long>(s.c.heartbeats_ok.load()),
              static_cast<unsigned long long>(s.c.heartbeats_failed.load()),
              hb.value("p50_ms", json(0)).dump().c_str(), hb.value("p99_ms", json(0)).dump().c_str());
  std::printf(
      "batches: %llu acked, %llu failed; alerts acked %llu, stored %llu; %.0f alerts/s stored during "
      "steady\n",
      static_cast<unsigned long long>(s.c.batches_acked.load()),
      static_cast<unsigned long long>(s.c.batches_failed.load()),
      static_cast<unsigned long long>(s.c.alerts_acked.load()),
      static_cast<unsigned long long>(s.c.alerts_stored.load()),
      static_cast<double>(stored_in_steady) / steady_s);
  std::printf("API GET /api/v1/alerts?limit=50 while loaded: %s (during the ramp: %s)\n", api.dump().c_str(),
              api_ramp.dump().c_str());
  std::printf("hostile: %llu opened, %llu refused, %llu closed by the server, %d open at the end\n",
              static_cast<unsigned long long>(s.c.hostile_opened.load()),
              static_cast<unsigned long long>(s.c.hostile_refused.load()),
              static_cast<unsigned long long>(s.c.hostile_closed_by_server.load()), hostile_end);
  if (o.collector_pid) std::printf("collector: %s\n", out["collector"].dump().c_str());
  std::printf("%s\n", out.dump().c_str());
  return 0;
}

}  // namespace
}  // namespace vigil::fleet

int main(int argc, char** argv) {
  vigil::fleet::Options o;
  CLI::App app{"vigil-fleet-load: a fleet of agents, hostile clients and API requests against a collector"};
  app.add_option("--url", o.url, "collector, https://IP:PORT")->required();
  app.add_option("--ca-file", o.ca_file, "collector CA (DATA_DIR/ca.pem)")->required();
  app.add_option("--token", o.token,
                 "enrolment token with enough uses (vigil-collector token create --uses N)");
  app.add_option("--api-key", o.api_key, "admin or viewer API key for the timed GET /api/v1/alerts")
      ->required();
  app.add_option("--credentials", o.credentials, "file of 'AGENT_ID KEY' lines: reused, completed and saved");
  app.add_option("--agents", o.agents)->check(CLI::Range(1, 60000));
  app.add_option("--hostile", o.hostile, "connections that send nothing or one byte a second")
      ->check(CLI::Range(0, 10000));
  app.add_option("--duration", o.duration_s, "seconds of steady load after the ramp")
      ->check(CLI::Range(1.0, 3600.0));
  app.add_option("--ramp-timeout", o.ramp_timeout_s)->check(CLI::Range(1.0, 3600.0));
  app.add_option("--drain-timeout", o.drain_timeout_s)->check(CLI::Range(0.0, 600.0));
  app.add_option("--connect-rate", o.connect_rate, "agent connections started per second")
      ->check(CLI::Range(1, 100000));
  app.add_option("--heartbeat", o.heartbeat_s, "heartbeat period, s (jittered +-20%)")
      ->check(CLI::Range(0.1, 600.0));
  app.add_option("--ship-fraction", o.ship_fraction, "share of agents shipping batches")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--batch-events", o.batch_events)->check(CLI::Range(1, 100000));
  app.add_option("--batch-interval-ms", o.batch_interval_ms, "0: back to back")
      ->check(CLI::Range(0, 3600000));
  app.add_option("--probe-ms", o.probe_ms, "API request period")->check(CLI::Range(1, 60000));
  app.add_option("--threads", o.threads)->check(CLI::Range(1, 64));
  app.add_option("--collector-pid", o.collector_pid, "sample this process's RSS and CPU from /proc");
  app.add_option("--agent-net", o.agent_net, "agents bind to consecutive addresses from here");
  app.add_option("--hostile-net", o.hostile_net);
  app.add_option("--hostile-addrs", o.hostile_addrs)->check(CLI::Range(1, 65000));
  app.add_option("--request-timeout", o.request_timeout_s)->check(CLI::Range(0.1, 600.0));
  app.add_option("--probe-timeout", o.probe_timeout_s)->check(CLI::Range(0.1, 600.0));
  CLI11_PARSE(app, argc, argv);
  return vigil::fleet::run(o);
}

// vigil-fleet-load: a whole fleet of simulated agents against one running
// vigil-collector, plus hostile idle clients and an officer's API requests,
// from one process. This header holds what every part of the tool shares:
// the options, the counters (one X-macro list), the run's shared state and
// the coroutines that play each role (roles.cpp).
//
// Threads: each of Options::threads io_context threads runs the coroutines
// of its own share of the agents; the main thread only starts phases, samples
// /proc and reads counters (atomics) and the latency vectors (under a mutex).
#pragma once

// Boost 1.74's asio/awaitable.hpp uses std::exchange without including it.
#include <utility>
// clang-format off
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
// clang-format on

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace vigil::fleet {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string url;  // https://127.0.0.1:PORT (an IP address: source-address binding needs one family)
  std::string ca_file, token, api_key, credentials;
  int agents = 1000, hostile = 200, threads = 2, collector_pid = 0;
  double duration_s = 40, ramp_timeout_s = 60, drain_timeout_s = 15;
  int connect_rate = 500;  // new agent connections started per second during the ramp
  double heartbeat_s = 5;
  double ship_fraction = 0.1;                        // share of agents that also ship alert batches
  int batch_events = 100, batch_interval_ms = 1000;  // 0: back to back, as fast as acknowledged
  int probe_ms = 100;
  // The agent's own client waits 30 s for an answer (agent/uplink/agent_state.cpp).
  double request_timeout_s = 30, probe_timeout_s = 30, connect_timeout_s = 20;
  std::string agent_net = "127.1.0.0", hostile_net = "127.2.0.0", probe_addr = "127.3.0.1";
  int hostile_addrs = 1;  // hostile connections come from this many addresses
  // Parsed from url:
  std::string host;
  unsigned short port = 0;
};

// Every counter of a run, declared once: the struct and the report use it.
// clang-format off
#define VIGIL_FLEET_COUNTERS(X) \
  X(enrolled) \
  X(enrol_failures) \
  X(connects_ok) \
  X(connect_failures) \
  X(conn_lost) \
  X(server_closes) \
  X(heartbeats_ok) \
  X(heartbeats_failed) \
  X(batches_sent) \
  X(batches_acked) \
  X(batches_failed) \
  X(alerts_acked) \
  X(alerts_stored) \
  X(duplicate_batches) \
  X(hostile_opened) \
  X(hostile_refused) \
  X(hostile_closed_by_server) \
  X(hostile_bytes) \
  X(probes_ok) \
  X(probes_failed)
// clang-format on

struct Counters {
#define VIGIL_FLEET_DECLARE_(name) std::atomic<uint64_t> name{0};
  VIGIL_FLEET_COUNTERS(VIGIL_FLEET_DECLARE_)
#undef VIGIL_FLEET_DECLARE_
};

// One simulated agent. `state` is written by its coroutine, read by the main
// thread when it counts the connections held.
struct Agent {
  enum State : uint8_t { kIdle, kConnecting, kOk, kFailing, kDown };
  uint32_t index = 0;
  std::string id, key;
  asio::ip::address_v4 source;
  bool shipper = false;
  uint64_t next_seq = 1;
  std::atomic<uint8_t> state{kIdle};
  std::atomic<uint32_t> connections{0};  // times it (re)connected
};

// Latency samples in milliseconds, appended from any io thread.
class Samples {
 public:
  void add(double ms) {
    std::lock_guard lk(mu_);
    v_.push_back(ms);
  }
  std::vector<double> take() {
    std::lock_guard lk(mu_);
    return std::exchange(v_, {});
  }

 private:
  std::mutex mu_;
  std::vector<double> v_;
};

struct Shared {
  Shared(const Options& o, asio::ssl::context& t, tcp::endpoint e) : opt(o), tls(t), server(e) {}
  const Options& opt;
  asio::ssl::context& tls;
  tcp::endpoint server;
  uint64_t run_nonce = 0;  // makes event uids unique across runs
  Counters c;
  std::atomic<bool> stop_shipping{false}, stopping{false};
  std::atomic<int> batches_in_flight{0}, agents_open{0}, hostile_open{0};
  Samples probe_ms, heartbeat_ms;
};

// Roles (roles.cpp). Each runs until Shared::stopping or until its
// io_context is stopped; none throws.
asio::awaitable<void> run_agent(Shared& s, Agent& a, Clock::time_point start_at);
asio::awaitable<void> run_hostile(Shared& s, int index, Clock::time_point start_at);
asio::awaitable<void> run_probe(Shared& s, Clock::time_point start_at);
// Enrols agents[next..] through POST /api/v1/enroll with opt.token; several
// of these share `next`. Sets id and key, or counts a failure.
asio::awaitable<void> run_enroller(Shared& s, std::vector<Agent>& agents, std::atomic<size_t>& next,
                                   std::atomic<int>& done);

}  // namespace vigil::fleet

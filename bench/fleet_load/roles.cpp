// The coroutines that play each role of a fleet load run: an agent
// (heartbeats, and batches when it ships), a hostile idle client, the
// officer's API probe and the enroller. See fleet.h.
#include <nlohmann/json.hpp>
#include <random>

#include "bench/fleet_load/fleet.h"
#include "bench/fleet_load/payload.h"
#include "bench/fleet_load/tls_conn.h"

// clang-format off
#include <boost/asio/redirect_error.hpp>
// clang-format on

namespace vigil::fleet {
namespace {

using boost::system::error_code;
using std::chrono::milliseconds;

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

asio::awaitable<void> sleep_until(Clock::time_point t) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  timer.expires_at(t);
  error_code ec;
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

Clock::duration jittered(double period_s, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> d(0.8 * period_s, 1.2 * period_s);
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(d(rng)));
}

// Heartbeat or batch answer: true if the connection may carry the next request.
bool keep_using(Shared& s, const HttpResult& r) {
  if (r.transport_ok && !r.keep_alive) ++s.c.server_closes;
  return r.transport_ok && r.keep_alive;
}

}  // namespace

asio::awaitable<void> run_agent(Shared& s, Agent& a, Clock::time_point start_at) {
  co_await sleep_until(start_at);
  auto ex = co_await asio::this_coro::executor;
  std::mt19937_64 rng(s.run_nonce ^ (uint64_t{a.index} * 0x9E3779B97F4A7C15ULL));
  const auto started = Clock::now();
  const std::string hostname = "fleet-" + std::to_string(a.index);
  const std::string bearer = a.id + "." + a.key;
  uint64_t acked = 0, alerts = 0;
  while (!s.stopping) {
    a.state = Agent::kConnecting;
    TlsConn conn(ex, s.tls, s.opt.host);
    std::string err = co_await conn.open(s.server, a.source, s.opt.connect_timeout_s);
    if (!err.empty()) {
      ++s.c.connect_failures;
      a.state = Agent::kDown;
      co_await sleep_until(Clock::now() + jittered(1.0, rng));
      continue;
    }
    ++s.c.connects_ok;
    ++a.connections;
    ++s.agents_open;
    auto next_hb = Clock::now();  // the agent heartbeats as soon as it is connected
    std::uniform_int_distribution<int> first(0, std::max(0, s.opt.batch_interval_ms));
    auto next_batch = Clock::now() + milliseconds(first(rng));
    bool alive = true;
    while (alive && !s.stopping) {
      auto now = Clock::now();
      if (now >= next_hb) {
        next_hb = now + jittered(s.opt.heartbeat_s, rng);
        uint64_t up =
            static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(now - started).count());
        auto r = co_await conn.request(true, "/api/v1/heartbeat", bearer,
                                       heartbeat_body(hostname, up, acked, alerts), false,
                                       s.opt.request_timeout_s);
        s.heartbeat_ms.add(ms_since(now));
        if (r.transport_ok && r.status == 200) {
          ++s.c.heartbeats_ok;
          a.state = Agent::kOk;
        } else {
          ++s.c.heartbeats_failed;
          a.state = Agent::kFailing;
        }
        alive = keep_using(s, r);
        continue;
      }
      if (a.shipper && !s.stop_shipping && now >= next_batch) {
        uint64_t seq = a.next_seq;
        ++s.batches_in_flight;
        ++s.c.batches_sent;
        auto r = co_await conn.request(true, "/api/v1/events", bearer,
                                       batch_body_gzip(a.id, a.index, seq, s.opt.batch_events, s.run_nonce),
                                       true, s.opt.request_timeout_s);
        bool ok = false;
        if (r.transport_ok && r.status == 200) {
          auto j = nlohmann::json::parse(r.body, nullptr, false);
          if (j.is_object() && j.value("acked_seq", uint64_t{0}) == seq) {
            ok = true;
            ++a.next_seq;
            ++acked;
            alerts += static_cast<uint64_t>(s.opt.batch_events);
            ++s.c.batches_acked;
            s.c.alerts_acked += static_cast<uint64_t>(s.opt.batch_events);
            s.c.alerts_stored += j.value("stored", uint64_t{0});
            if (j.value("duplicate_batch", false)) ++s.c.duplicate_batches;
          }
        }
        if (!ok) ++s.c.batches_failed;  // resent with the same seq, as the agent does
        --s.batches_in_flight;
        next_batch = Clock::now() + milliseconds(s.opt.batch_interval_ms);
        alive = keep_using(s, r);
        continue;
      }
      auto wake = next_hb;
      if (a.shipper && !s.stop_shipping && next_batch < wake) wake = next_batch;
      // Wake at least every second so that stop_shipping and stopping are seen.
      co_await sleep_until(std::min(wake, Clock::now() + std::chrono::seconds(1)));
    }
    --s.agents_open;
    conn.close();
    if (s.stopping) break;
    ++s.c.conn_lost;
    a.state = Agent::kDown;
    co_await sleep_until(Clock::now() + jittered(1.0, rng));  // the agent's backoff before reconnecting
  }
}

asio::awaitable<void> run_hostile(Shared& s, int index, Clock::time_point start_at) {
  co_await sleep_until(start_at);
  auto ex = co_await asio::this_coro::executor;
  auto base = asio::ip::make_address_v4(s.opt.hostile_net).to_uint();
  asio::ip::address_v4 source(base + 1 + static_cast<uint32_t>(index % std::max(1, s.opt.hostile_addrs)));
  // Even: opens TCP and sends nothing. Odd: completes TLS, then sends a request
  // head one byte a second, never finishing it.
  const bool trickle = index % 2 == 1;
  const std::string head = "GET /api/v1/alerts HTTP/1.1\r\nHost: x\r\nX-Slow: " + std::string(1 << 16, 'a');
  while (!s.stopping) {
    TlsConn conn(ex, s.tls, s.opt.host);
    bool up = false;
    if (trickle) {
      up = (co_await conn.open(s.server, source, s.opt.connect_timeout_s)).empty();
    } else {
      tcp::socket sock(ex);
      error_code ec;
      sock.open(s.server.protocol(), ec);
      if (!ec) sock.bind(tcp::endpoint(source, 0), ec);
      if (!ec) {
        asio::steady_timer guard(ex);
        guard.expires_after(std::chrono::duration_cast<Clock::duration>(
            std::chrono::duration<double>(s.opt.connect_timeout_s)));
        guard.async_wait([&sock](error_code e) {
          if (!e) sock.close();
        });
        co_await sock.async_connect(s.server, asio::redirect_error(asio::use_awaitable, ec));
        guard.cancel();
      }
      if (!ec && sock.is_open()) {
        up = true;
        ++s.c.hostile_opened;
        ++s.hostile_open;
        char byte;
        // Completes when the server closes (or resets) the connection.
        co_await sock.async_read_some(asio::buffer(&byte, 1), asio::redirect_error(asio::use_awaitable, ec));
        --s.hostile_open;
        if (!s.stopping) ++s.c.hostile_closed_by_server;
      }
    }
    if (trickle && up) {
      ++s.c.hostile_opened;
      ++s.hostile_open;
      for (size_t i = 0; !s.stopping; ++i) {
        if (!co_await conn.write_raw(std::string_view(head).substr(i % head.size(), 1), 10)) break;
        ++s.c.hostile_bytes;
        co_await sleep_until(Clock::now() + std::chrono::seconds(1));
      }
      --s.hostile_open;
      if (!s.stopping) ++s.c.hostile_closed_by_server;
    }
    if (!up) ++s.c.hostile_refused;
    conn.close();
    co_await sleep_until(Clock::now() + std::chrono::seconds(1));  // the attacker comes back
  }
}

asio::awaitable<void> run_probe(Shared& s, Clock::time_point start_at) {
  co_await sleep_until(start_at);
  auto ex = co_await asio::this_coro::executor;
  auto source = asio::ip::make_address(s.opt.probe_addr);
  std::unique_ptr<TlsConn> conn;
  while (!s.stopping) {
    auto t0 = Clock::now();
    bool ok = false;
    if (!conn) {
      conn = std::make_unique<TlsConn>(ex, s.tls, s.opt.host);
      if (!(co_await conn->open(s.server, source, s.opt.probe_timeout_s)).empty()) conn.reset();
    }
    if (conn) {
      auto r = co_await conn->request(false, "/api/v1/alerts?limit=50", s.opt.api_key, "", false,
                                      s.opt.probe_timeout_s);
      ok = r.transport_ok && r.status == 200;
      if (!r.transport_ok || !r.keep_alive) conn.reset();
    }
    if (s.stopping) break;  // a probe cut short by the end of the run is not a sample
    s.probe_ms.add(ms_since(t0));
    ok ? ++s.c.probes_ok : ++s.c.probes_failed;
    co_await sleep_until(t0 + milliseconds(s.opt.probe_ms));
  }
}

asio::awaitable<void> run_enroller(Shared& s, std::vector<Agent>& agents, std::atomic<size_t>& next,
                                   std::atomic<int>& done) {
  auto ex = co_await asio::this_coro::executor;
  auto source = asio::ip::make_address(s.opt.probe_addr);
  std::unique_ptr<TlsConn> conn;
  for (size_t i; (i = next++) < agents.size();) {
    Agent& a = agents[i];
    if (!a.id.empty()) continue;
    for (int attempt = 0; attempt < 5 && a.id.empty(); ++attempt) {
      if (!conn) {
        conn = std::make_unique<TlsConn>(ex, s.tls, s.opt.host);
        if (!(co_await conn->open(s.server, source, s.opt.connect_timeout_s)).empty()) {
          conn.reset();
          co_await sleep_until(Clock::now() + milliseconds(200));
          continue;
        }
      }
      nlohmann::json req = {{"token", s.opt.token}, {"hostname", "fleet-" + std::to_string(a.index)}};
      auto r = co_await conn->request(true, "/api/v1/enroll", "", req.dump(), false, s.opt.request_timeout_s);
      if (!r.transport_ok || !r.keep_alive) conn.reset();
      if (!r.transport_ok) continue;
      auto j = nlohmann::json::parse(r.body, nullptr, false);
      if (r.status == 200 && j.is_object() && j["agent_id"].is_string() && j["key"].is_string()) {
        a.id = j["agent_id"];
        a.key = j["key"];
        ++s.c.enrolled;
      } else {
        break;  // refused (token used up, expired): retrying will not help
      }
    }
    if (a.id.empty()) ++s.c.enrol_failures;
  }
  ++done;
}

}  // namespace vigil::fleet

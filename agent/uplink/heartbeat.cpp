// The heartbeat thread: agent health to the collector every few seconds, and
// rule-set updates learned from the reply. Off the packet path: building a
// new engine here costs time and memory, never a dropped packet.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "agent/uplink/uplink_impl.h"
#include "common/wire.h"

namespace vigil {
namespace {

// CPU seconds (user, system) and resident bytes of this process, from /proc.
nlohmann::json process_stats() {
  nlohmann::json j = nlohmann::json::object();
  std::ifstream stat("/proc/self/stat");
  std::string line;
  if (std::getline(stat, line)) {
    // Fields after the ")" that closes the command name: state is field 3,
    // utime field 14, stime field 15.
    size_t close = line.rfind(')');
    if (close != std::string::npos) {
      unsigned long long utime = 0, stime = 0;
      if (std::sscanf(line.c_str() + close + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
                      &utime, &stime) == 2) {
        double hz = static_cast<double>(sysconf(_SC_CLK_TCK));
        j["cpu_user_s"] = static_cast<double>(utime) / hz;
        j["cpu_system_s"] = static_cast<double>(stime) / hz;
      }
    }
  }
  std::ifstream statm("/proc/self/statm");
  unsigned long long size = 0, resident = 0;
  if (statm >> size >> resident)
    j["rss_bytes"] = resident * static_cast<unsigned long long>(sysconf(_SC_PAGESIZE));
  return j;
}

}  // namespace

std::optional<std::string> Uplink::Impl::send_heartbeat(httplib::SSLClient& cli) {
  nlohmann::json hb = hb_source ? hb_source() : nlohmann::json::object();
  if (!hb.is_object()) hb = nlohmann::json::object();
  {
    std::lock_guard lk(rs_mu);
    if (!ruleset_version.empty() || !hb.contains("ruleset_version")) hb["ruleset_version"] = ruleset_version;
  }
  hb["agent_version"] = cfg.agent_version;
  hb["hostname"] = cfg.hostname;
  hb["uptime_s"] = std::chrono::duration_cast<std::chrono::seconds>(cfg.clock->now() - started).count();
  hb["spool"] = {{"depth", spool->depth()}, {"bytes", spool->bytes()}, {"dropped", spool->dropped()}};
  hb["uplink"] = {{"batches_acked", batches_acked.load()}, {"errors", errors.load()}};
  hb["process"] = process_stats();
  // The uplink's and spool's own counters beside the packet path's, so that
  // the collector sees what `vigil-agent status` shows: spool depth, write
  // errors and quarantines, a changed collector certificate, refusals.
  nlohmann::json& counters = hb["counters"];
  if (!counters.is_object()) counters = nlohmann::json::object();
  visit_counters([&counters](std::string_view n, uint64_t v) { counters[std::string(n)] = v; });
  auto res = cli.Post(wire::kHeartbeatPath, wire::encode_heartbeat(hb), "application/json");
  if (!res || res->status != 200) {
    ++heartbeat_errors;
    if (res && (res->status == 401 || res->status == 403)) ++refused;
    return std::nullopt;
  }
  wire::HeartbeatReply reply;
  bool ok = wire::decode_heartbeat_reply(res->body, &reply);
  // Number new batches above what the collector holds for this agent: a
  // spool lost or restored from a backup must not start again at 1.
  if (ok && reply.highest_seq > 0 && reply.highest_seq < wire::kMaxBatchSeq)
    spool->raise_next_seq(reply.highest_seq + 1);
  ++heartbeats_sent;  // after the numbering: a test that sees it may rely on it
  return ok ? reply.ruleset_version : std::string();
}

void Uplink::Impl::maybe_update_ruleset(httplib::SSLClient& cli, const std::string& version) {
  if (version.empty() || !ruleset_handler) return;
  {
    std::lock_guard lk(rs_mu);
    if (version == ruleset_version || version == failed_ruleset_version) return;
  }
  auto res = cli.Get(wire::kRulesetPath);
  if (!res || res->status != 200) {
    spdlog::warn("uplink: cannot download rule set {}: {}", version,
                 res ? std::to_string(res->status) : httplib::to_string(res.error()));
    ++ruleset_failures;
    return;  // retried at the next heartbeat
  }
  auto j = nlohmann::json::parse(res->body, nullptr, false);
  // "threshold" (suppressions) is optional: collectors before it send none.
  if (!j.is_object() || !j["text"].is_string() || !j["version"].is_string() ||
      (j.contains("threshold") && !j["threshold"].is_string())) {
    ++ruleset_failures;
    return;
  }
  std::string got = j["version"];
  bool ok = ruleset_handler(got, j["text"].get<std::string>(), j.value("threshold", std::string()));
  std::lock_guard lk(rs_mu);
  if (ok) {
    ruleset_version = got;
    ++ruleset_updates;
    spdlog::info("uplink: rule set {} in use", got);
  } else {
    failed_ruleset_version = got;  // not retried until the collector publishes another
    ++ruleset_failures;
    spdlog::error("uplink: rule set {} could not be loaded; keeping the current rules", got);
  }
}

void Uplink::Impl::heartbeat_loop() {
  auto cli = client();
  if (!cli) return;
  cli->set_compress(false);
  auto period = std::chrono::seconds(std::max(1, cfg.heartbeat_interval_s));
  for (;;) {
    auto next = cfg.clock->now() + period;
    auto version = send_heartbeat(*cli);
    if (version) {
      std::string before = ruleset_version_copy();
      maybe_update_ruleset(*cli, *version);
      // Tell the collector at once that the new rules are in use.
      if (ruleset_version_copy() != before) send_heartbeat(*cli);
    } else {
      cli = client();
      if (!cli) return;
      cli->set_compress(false);
    }
    std::unique_lock lk(mu);
    if (cfg.clock->wait_until(lk, cv, next, [&] { return stop; })) return;
  }
}

}  // namespace vigil

#include "agent/pipeline/worker.h"

#include <spdlog/spdlog.h>

namespace vigil {

namespace {
// Files are tracked when an output takes fileinfo events or files.enabled asks.
AppConfig app_config(const AgentConfig& cfg, const EventRouter& events) {
  AppConfig a = cfg.app;
  if (events.wants(EventType::kFileinfo)) a.files.enabled = true;
  return a;
}
}  // namespace

Worker::Worker(const AgentConfig& cfg, EventRouter& events, std::unique_ptr<DetectStage> detect,
               AlertRateLimiter* limiter)
    : cfg_(cfg),
      events_(events),
      decoder_(cfg.decode),
      flows_(cfg.flow, *this, *this),
      app_(app_config(cfg, events), *this),
      detect_(std::move(detect)),
      limiter_(limiter) {
  csum_checks_ =
      cfg.checksum_mode == ChecksumMode::kYes || (cfg.checksum_mode == ChecksumMode::kAuto && !cfg.live);
  csum_sampling_ = cfg.checksum_mode == ChecksumMode::kAuto && !cfg.live;
  for (const EventTypeInfo& r : kEventTypes) {
    if (events_.wants(r.type)) want_.set(r.type);
  }
}

Worker::~Worker() = default;

void Worker::process(Packet& p) {
  if (now_ < p.ts) now_ = p.ts;
  frame_ip_ = 0;
  auto handle = [this](Packet& q) {
    const uint32_t nth = q.ip_version != 0 ? frame_ip_++ : UINT32_MAX;
    if (csum_sampling_) {
      sample_checksum(q);
    } else if (csum_by_reader_ && csum_checks_) {
      const uint64_t k = csum_off_cnt_.load(std::memory_order_acquire);
      if (q.pcap_cnt > k ||
          (q.pcap_cnt == k && nth != UINT32_MAX && nth >= csum_off_nth_.load(std::memory_order_relaxed))) {
        csum_checks_ = false;
      }
    }
    if (!csum_checks_) q.l4_csum_bad = q.ipv4_csum_bad = false;
    // No flow for a broken transport header or a GRE/IP-in-IP carrier, as in
    // Suricata; a UDP tunnel's payload is not application data.
    Flow* f = q.no_flow ? nullptr : flows_.process(q);
    if (f && q.l4 == L4::kUdp && q.carries == Tunnel::kNone) app_.on_udp(*f, q);
    if (detect_) detect_->on_packet(q, *this);
  };
  if (!decoder_.decode(p)) {
    ++counters_.decode_dropped;
  } else {
    handle(p);
  }
  // Each packet inside a tunnel is then handled like a captured one, after
  // its carrier (Suricata's tunnel pseudo-packets).
  while (decoder_.has_tunnel_packet()) {
    Packet inner;
    if (decoder_.decode_tunnel(inner))
      handle(inner);
    else
      ++counters_.decode_dropped;
  }
  advance_time(now_);
}

// Checksum "auto" mode with one worker (checksum_sampler.h).
void Worker::sample_checksum(const Packet& p) {
  if (!csum_sampler_.add(p)) return;
  csum_sampling_ = false;
  if (csum_sampler_.checks_off()) {
    csum_checks_ = false;
    counters_.csum_auto_off = 1;
    spdlog::warn("{} of the first {} packets have bad checksums (checksum offload?): checksum checks off",
                 csum_sampler_.bad(), csum_sampler_.sampled());
  }
}

void Worker::leave_checksum_sampling_to_reader() {
  csum_by_reader_ = csum_sampling_;
  csum_sampling_ = false;
}

void Worker::checksum_checks_off_from(uint64_t pcap_cnt, uint32_t nth) {
  csum_off_nth_.store(nth, std::memory_order_relaxed);
  csum_off_cnt_.store(pcap_cnt, std::memory_order_release);
}

void Worker::advance_time(Timestamp now) {
  if (now_ < now) now_ = now;
  flows_.expire(now_);
  if (now_.sec != last_defrag_expire_) {
    last_defrag_expire_ = now_.sec;
    decoder_.expire(now_);
  }
}

void Worker::finish(bool expire_due) {
  if (expire_due) flows_.expire(now_, true);
  flows_.flush_all(now_);
  publish_counters();
}

void Worker::on_stream_data(Flow& f, Dir d, Bytes data, uint64_t offset, const Packet& trigger) {
  app_.on_stream_data(f, d, data, trigger);
  if (detect_) detect_->on_stream(trigger, f, d, data, offset, *this);
}

void Worker::on_stream_gap(Flow& f, Dir d, uint64_t len, const Packet& trigger) {
  app_.on_stream_gap(f, d, len, trigger);
}

void Worker::on_stream_end(Flow& f, Dir d, const Packet* trigger) {
  app_.on_stream_end(f, d, trigger);
}

void Worker::on_flow_end(Flow& f, FlowEndReason reason, Timestamp now) {
  app_.on_flow_end(f);
  if (detect_) detect_->on_flow_end(f);
  if (want_.has(EventType::kFlow)) {
    events_.emit(EventType::kFlow, eve_flow(f, reason, now));
    ++counters_.flow_events;
  }
}

void Worker::on_tx_update(const Packet& p, Flow& f, Dir d, const Transaction& tx) {
  if (detect_) detect_->on_tx(p, f, d, tx, *this);
}

void Worker::on_tx_done(const Packet* p, Flow& f, const Transaction& tx) {
  if (want_.has(EventType::kFileinfo)) {
    for (size_t i = 0, n = tx.file_count(); i < n; ++i) {
      events_.emit(EventType::kFileinfo, eve_fileinfo(f, p ? p->ts : f.last_seen, tx, i));
      ++counters_.file_events;
    }
  }
  std::optional<EventType> type = tx_event_type(tx.proto());
  if (!type || !want_.has(*type) || tx.logs_per_direction()) return;
  events_.emit(*type, eve_tx(f, p ? p->ts : f.last_seen, tx));
  ++counters_.tx_events;
}

void Worker::on_tx_log(const Packet* p, Flow& f, Dir d, const Transaction& tx) {
  std::optional<EventType> type = tx_event_type(tx.proto());
  if (!type || !want_.has(*type)) return;
  Json j;
  for (size_t i = 0, n = tx.eve_records(d); i < n; ++i) {
    if (!eve_tx_record(f, p ? p->ts : f.last_seen, tx, d, i, events_.options(), j)) continue;
    events_.emit(*type, j);
    ++counters_.tx_events;
  }
}

void Worker::alert(const AlertEvent& a) {
  ++counters_.alerts;
  if (a.packet && a.packet->flow) flow_of(*a.packet->flow).alerted = true;
  if (!want_.has(EventType::kAlert)) return;
  // Before the event is built: a dropped alert costs one bucket update.
  if (limiter_ && !limiter_->allow(a.gid, a.sid, a.packet ? a.packet->ts : now_)) {
    ++counters_.rate_limited;
    return;
  }
  events_.emit(EventType::kAlert, eve_alert(a, events_.options()));
}

void Worker::collect(CounterSnapshot& s) const {
  auto add = [&s](std::string_view n, uint64_t v) { add_to_snapshot(s, n, v); };
  decoder_.visit_counters(add);
  flows_.visit_counters(add);
  app_.visit_counters(add);
  if (detect_) detect_->visit_counters(add);
  counters_.visit(add);
}

void Worker::publish_counters() {
  CounterSnapshot s;
  collect(s);
  std::lock_guard<std::mutex> g(snap_mu_);
  snapshot_ = std::move(s);
}

CounterSnapshot Worker::counters() const {
  std::lock_guard<std::mutex> g(snap_mu_);
  return snapshot_;
}

}  // namespace vigil

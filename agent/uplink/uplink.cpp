#include "agent/uplink/uplink.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>

#include "agent/uplink/uplink_impl.h"
#include "common/encoding.h"
#include "common/wire.h"

namespace vigil {

namespace {}  // namespace

std::string compute_event_uid(std::string_view agent_id, std::string_view eve_json) {
  std::string canon;
  auto j = nlohmann::json::parse(eve_json, nullptr, false);  // keys sorted: canonical order
  if (j.is_object()) {
    j.erase("host");
    j.erase("agent_id");
    // flow_id may be seeded per process; the rest of the event (timestamp,
    // pcap_cnt, tuple, signature) identifies it across a restart.
    j.erase("flow_id");
    canon = j.dump();
  } else {
    canon = std::string(eve_json);
  }
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  unsigned char md[32];
  unsigned int n = 0;
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  EVP_DigestUpdate(ctx, agent_id.data(), agent_id.size());
  EVP_DigestUpdate(ctx, "\n", 1);
  EVP_DigestUpdate(ctx, canon.data(), canon.size());
  EVP_DigestFinal_ex(ctx, md, &n);
  EVP_MD_CTX_free(ctx);
  return hex_encode(std::span<const uint8_t>(md, n));
}

Uplink::Uplink(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Uplink::~Uplink() {
  stop();
}

std::unique_ptr<Uplink> Uplink::open(const UplinkConfig& cfg, std::string* error) {
  auto impl = std::make_unique<Impl>();
  impl->cfg = cfg;
  if (!impl->cfg.clock) impl->cfg.clock = real_clock();
  impl->started = impl->cfg.clock->now();
  if (!load_agent_state(cfg.state_dir, &impl->state, error)) return nullptr;
  if (impl->cfg.hostname.empty()) impl->cfg.hostname = impl->state.hostname;
  if (impl->cfg.hostname.empty()) {
    char hn[256] = {0};
    gethostname(hn, sizeof hn - 1);
    impl->cfg.hostname = hn;
  }
  SpoolOptions so;
  so.path = cfg.state_dir + "/spool.db";
  so.max_bytes = cfg.spool_max_bytes;
  so.min_free_bytes = cfg.spool_min_free_bytes;
  so.sync_full = cfg.spool_sync_full;
  impl->spool = Spool::open(so, error);
  if (!impl->spool) return nullptr;
  if (!impl->client()) {
    *error = "bad collector settings in " + cfg.state_dir + "/agent.json";
    return nullptr;
  }
  return std::unique_ptr<Uplink>(new Uplink(std::move(impl)));
}

void Uplink::submit(std::string_view type, std::string_view eve_json) {
  const auto& types = impl_->cfg.event_types;
  if (std::find(types.begin(), types.end(), type) == types.end()) return;
  std::string uid = compute_event_uid(impl_->state.agent_id, eve_json);
  // An event no batch can carry would block the spool: dropped here, counted.
  if (wire::batch_envelope_bytes(impl_->state.agent_id, wire::kMaxBatchSeq) +
          wire::batch_event_bytes(uid, eve_json) >
      impl_->cfg.batch_max_bytes) {
    ++impl_->event_too_large;
    spdlog::error("uplink: dropped a {} event of {} bytes: larger than uplink.batch-max-bytes ({})", type,
                  eve_json.size(), impl_->cfg.batch_max_bytes);
    return;
  }
  impl_->spool->append(uid, type, eve_json);
  if (impl_->spool->unbatched() >= impl_->cfg.batch_max_events) impl_->cv.notify_all();
}

void Uplink::set_heartbeat_source(std::function<nlohmann::json()> fn) {
  impl_->hb_source = std::move(fn);
}

void Uplink::set_ruleset_handler(RulesetHandler fn) {
  impl_->ruleset_handler = std::move(fn);
}

void Uplink::start() {
  // OpenSSL writes to sockets with write(): a collector that dies mid-request
  // would otherwise kill the whole agent with SIGPIPE instead of failing a send.
  signal(SIGPIPE, SIG_IGN);
  std::lock_guard lk(impl_->mu);
  if (impl_->started_threads) return;
  impl_->started_threads = true;
  // The uplink's threads take no signals: the agent's own signal thread
  // handles SIGINT/SIGTERM, whenever it blocks them relative to this call.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &old);
  impl_->sender = std::thread([i = impl_.get()] { i->sender_loop(); });
  impl_->heartbeat = std::thread([i = impl_.get()] { i->heartbeat_loop(); });
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

bool Uplink::flush() {
  return impl_->spool->flush();
}

bool Uplink::drain(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  // Everything submitted so far is committed first, so depth() counts it.
  impl_->spool->flush();
  std::unique_lock lk(impl_->mu);
  impl_->flushing = true;
  impl_->cv.notify_all();
  while (impl_->spool->depth() > 0) {
    if (impl_->cv.wait_until(
            lk, std::min(deadline, std::chrono::steady_clock::now() + std::chrono::milliseconds(50))) ==
            std::cv_status::timeout &&
        std::chrono::steady_clock::now() >= deadline) {
      break;
    }
  }
  impl_->flushing = false;
  return impl_->spool->depth() == 0;
}

void Uplink::stop() {
  if (!impl_) return;
  // Submitted events are committed before stop() returns: none is lost by an
  // orderly stop, whether or not it was sent.
  impl_->spool->flush();
  {
    std::lock_guard lk(impl_->mu);
    impl_->stop = true;
  }
  impl_->cv.notify_all();
  if (impl_->sender.joinable()) impl_->sender.join();
  if (impl_->heartbeat.joinable()) impl_->heartbeat.join();
}

void Uplink::Impl::visit_counters(const CounterVisitor& v) const {
  spool->visit_counters(v);
#define VIGIL_UPLINK_VISIT_(field, name) v(name, field.load());
  VIGIL_UPLINK_COUNTERS(VIGIL_UPLINK_VISIT_)
#undef VIGIL_UPLINK_VISIT_
}

void Uplink::visit_counters(const CounterVisitor& v) const {
  impl_->visit_counters(v);
}

const std::string& Uplink::agent_id() const {
  return impl_->state.agent_id;
}

std::string Uplink::ruleset_version() const {
  std::lock_guard lk(impl_->rs_mu);
  return impl_->ruleset_version;
}

void Uplink::set_ruleset_version(const std::string& v) {
  std::lock_guard lk(impl_->rs_mu);
  impl_->ruleset_version = v;
}

std::unique_ptr<httplib::SSLClient> Uplink::Impl::client() {
  std::string err;
  auto cli = make_collector_client(state.collector_url, state.ca_file, state.pin, &err);
  if (!cli) {
    spdlog::error("uplink: {}", err);
    return nullptr;
  }
  cli->set_bearer_token_auth(state.bearer().c_str());
  cli->set_compress(true);  // gzip request bodies (Content-Encoding: gzip)
  cli->set_keep_alive(true);
  return cli;
}

bool Uplink::Impl::sleep_for(std::chrono::milliseconds d) {
  std::unique_lock lk(mu);
  return !cfg.clock->wait_for(lk, cv, d, [&] { return stop; });
}

void Uplink::Impl::sender_loop() {
  auto cli = client();
  if (!cli) return;
  int backoff = cfg.backoff_initial_ms;
  for (;;) {
    bool flush;
    {
      std::unique_lock lk(mu);
      if (stop) return;
      flush = flushing;
    }
    bool form_new = flush || spool->unbatched() >= cfg.batch_max_events ||
                    spool->oldest_unbatched_age_ms() >= cfg.batch_max_age_ms;
    // Stored sizes are at least the events' wire sizes; the envelope is apart.
    uint64_t envelope = wire::batch_envelope_bytes(state.agent_id, wire::kMaxBatchSeq);
    auto batch = spool->next_batch(
        cfg.batch_max_events, cfg.batch_max_bytes > envelope ? cfg.batch_max_bytes - envelope : 1, form_new);
    if (!batch) {
      std::unique_lock lk(mu);
      cv.notify_all();  // drain() waiters re-check the depth
      int64_t age = spool->oldest_unbatched_age_ms();
      auto wait = std::chrono::milliseconds(
          spool->unbatched() ? std::clamp<int64_t>(cfg.batch_max_age_ms - age, 1, 50) : 50);
      // Real time: the batch age is measured on the spool's wall clock.
      cv.wait_for(lk, wait, [&] { return stop || flushing != flush; });
      continue;
    }
    Outcome o = send_batch(*cli, *batch, backoff);
    if (o == Outcome::kAcked) backoff = cfg.backoff_initial_ms;
    if (o != Outcome::kRetryLater) {
      cv.notify_all();
      continue;
    }
    ++errors;
    ++retries;
    // Full jitter on top of half the delay: agents that lost the collector
    // together do not come back in lockstep.
    std::uniform_int_distribution<int> jitter(0, backoff / 2);
    if (!sleep_for(std::chrono::milliseconds(backoff / 2 + jitter(rng)))) return;
    backoff = std::min(backoff * 2, cfg.backoff_max_ms);
    cli = client();  // fresh connection after a failure
    if (!cli) return;
  }
}

Uplink::Impl::Outcome Uplink::Impl::send_batch(httplib::SSLClient& cli, const SpoolBatch& batch,
                                               int backoff_ms) {
  std::vector<wire::EventRef> refs;
  refs.reserve(batch.rows.size());
  for (const auto& r : batch.rows) refs.push_back({r.uid, r.json});
  std::string body = wire::encode_batch(state.agent_id, batch.seq, refs);
  // Formed under an older, larger cap, or the spool's sizes undercounted:
  // split here rather than send what the collector may refuse.
  if (body.size() > cfg.batch_max_bytes) return refused_batch(batch, 413, "", backoff_ms);
  ++batches_sent;
  bytes_sent += body.size();
  auto res = cli.Post(wire::kEventsPath, body, "application/json");
  if (!res) {
    if (std::string why = certificate_mismatch(cli, static_cast<int>(res.error())); !why.empty()) {
      // Possibly an impostor: nothing was sent to it (the handshake stopped
      // before the request), and the events stay spooled for the real one.
      ++cert_mismatch;
      spdlog::error(
          "uplink: refusing the collector at {}: {}. Nothing is sent to it; {} events stay spooled, "
          "batch {} is retried in ~{} ms. If the collector's certificate was replaced on purpose, re-enrol "
          "this agent (remove {}/agent.json and run vigil-agent enroll with the new CA file or pin)",
          state.collector_url, why, spool->depth(), batch.seq, backoff_ms, cfg.state_dir);
      return Outcome::kRetryLater;
    }
    spdlog::warn("uplink: batch {} not sent ({}); retrying in ~{} ms", batch.seq,
                 httplib::to_string(res.error()), backoff_ms);
    return Outcome::kRetryLater;
  }
  if (res->status == 200) {
    wire::IngestAck ack;
    if (wire::decode_ingest_ack(res->body, &ack) && ack.acked_seq == batch.seq) {
      spool->ack(batch.seq);
      conflicts_in_a_row = 0;
      ++batches_acked;
      events_acked += batch.rows.size();
      return Outcome::kAcked;
    }
    spdlog::warn("uplink: batch {}: unexpected acknowledgement {}", batch.seq, res->body.substr(0, 200));
    return Outcome::kRetryLater;
  }
  return refused_batch(batch, res->status, res->body, backoff_ms);
}

Uplink::Impl::Outcome Uplink::Impl::refused_batch(const SpoolBatch& batch, int status,
                                                  const std::string& body, int backoff_ms) {
  if (status == 409) {
    wire::Conflict c;
    if (wire::decode_conflict(body, &c)) {
      ++conflicts;
      uint64_t moved = spool->renumber_above(c.highest_seq);
      renumbered += moved;
      spdlog::warn(
          "uplink: collector already holds batch {} with other events (its highest is {}): {} unacknowledged "
          "batches renumbered from {}",
          batch.seq, c.highest_seq, moved, c.highest_seq + 1);
      // A second conflict in a row means another process sends under this
      // agent's id: do not spin.
      return moved > 0 && conflicts_in_a_row++ == 0 ? Outcome::kResend : Outcome::kRetryLater;
    }
  }
  conflicts_in_a_row = 0;
  // 413: too large for the collector; 400 naming events ("events[7].eve:
  // ..."): something in them breaks the contract. Both are about the events,
  // not the moment: halve the batch until the one event at fault is alone,
  // and drop that one. A 400 about anything else is not the events' fault:
  // retried like other 4xx, nothing dropped.
  std::string detail = status == 400 ? wire::decode_error(body).detail : std::string();
  if (status == 413 || (status == 400 && detail.rfind("events", 0) == 0)) {
    if (spool->split_batch(batch.seq)) {
      ++splits;
      return Outcome::kResend;
    }
    const SpoolRow& row = batch.rows.front();
    if (status == 413) {
      ++event_too_large;
      spdlog::error("uplink: dropped event {} ({} bytes): larger than a batch may be", row.uid,
                    row.json.size());
    } else {
      ++event_refused;
      spdlog::error("uplink: dropped event {}: the collector refuses it: {}", row.uid, detail);
    }
    spool->ack(batch.seq);
    return Outcome::kResend;
  }
  if (status == 401 || status == 403) {
    ++refused;
    spdlog::error("uplink: collector refused this agent ({}): {}", status, body.substr(0, 200));
  } else if (status >= 400 && status < 500) {
    ++rejected;
    spdlog::error("uplink: batch {} refused ({}): {}; retrying in ~{} ms", batch.seq, status,
                  body.substr(0, 200), backoff_ms);
  } else {
    spdlog::warn("uplink: batch {} not acknowledged ({}); retrying in ~{} ms", batch.seq, status, backoff_ms);
  }
  return Outcome::kRetryLater;
}

}  // namespace vigil

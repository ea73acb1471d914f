#include "agent/pipeline/pipeline.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>

#include "agent/decode/decoder.h"
#include "agent/pipeline/checksum_sampler.h"

namespace vigil {

namespace {
constexpr size_t kArenaBytes = 1 << 20;
constexpr size_t kBatchPackets = 512;
constexpr size_t kQueueDepth = 16;
}  // namespace

// The reader's checksum sampling with several workers: the frame decoded as
// a worker would (tunnel layers included), each IP packet counted.
struct ReaderChecksumSampler {
  Decoder decoder;
  ChecksumSampler sampler;
  uint32_t nth = 0;  // on a true sample(): the deciding packet's IP index in its frame
  explicit ReaderChecksumSampler(const DecodeConfig& cfg) : decoder(cfg) {}
  // True when this frame ends sampling.
  bool sample(const CaptureInfo& cap) {
    Packet p(cap);
    nth = 0;
    bool done = false;
    auto add = [&](const Packet& q) {
      if (done || q.ip_version == 0) return;
      if (sampler.add(q)) {
        done = true;
      } else {
        ++nth;
      }
    };
    if (decoder.decode(p)) add(p);
    while (decoder.has_tunnel_packet()) {
      Packet inner;
      if (decoder.decode_tunnel(inner)) add(inner);
    }
    return done;
  }
};

struct Pipeline::Batch {
  // Each packet's capture fields; its frame points into `arena`, which is
  // only resized while the batch is empty.
  // Left uninitialised: the kernel maps its pages in only as packets are
  // copied there, so the batches of a quiet link stay a few KiB each.
  struct Arena {
    std::unique_ptr<uint8_t[]> bytes{new uint8_t[kArenaBytes]};
    size_t cap = kArenaBytes;
    size_t size() const { return cap; }
    uint8_t* data() { return bytes.get(); }
    void resize(size_t n) {
      bytes.reset(new uint8_t[n]);
      cap = n;
    }
  } arena;
  size_t used = 0;
  std::vector<CaptureInfo> pkts;
  Timestamp now;      // packet time at send
  bool last = false;  // end of input
  Batch() { pkts.reserve(kBatchPackets); }
  void reset() {
    used = 0;
    pkts.clear();
    last = false;
  }
};

struct Pipeline::Queue {
  std::mutex mu;
  std::condition_variable cv_pop, cv_push;
  std::deque<Batch*> q;
  void push(Batch* b) {
    std::unique_lock<std::mutex> l(mu);
    cv_push.wait(l, [&] { return q.size() < kQueueDepth; });
    q.push_back(b);
    cv_pop.notify_one();
  }
  Batch* pop() {
    std::unique_lock<std::mutex> l(mu);
    cv_pop.wait(l, [&] { return !q.empty(); });
    Batch* b = q.front();
    q.pop_front();
    cv_push.notify_one();
    return b;
  }
};

struct Pipeline::FreeList {
  std::mutex mu;
  std::vector<std::unique_ptr<Batch>> all;
  std::vector<Batch*> free;
};

Pipeline::Pipeline(const AgentConfig& cfg, EventRouter& events, DetectFactory detect)
    : cfg_(cfg), events_(events), limiter_(cfg.alert_limit), free_(std::make_unique<FreeList>()) {
  size_t n = static_cast<size_t>(std::max(1, cfg.workers));
  for (size_t i = 0; i < n; ++i) {
    workers_.push_back(std::make_unique<Worker>(cfg, events, detect ? detect() : nullptr,
                                                limiter_.enabled() ? &limiter_ : nullptr));
  }
}

Pipeline::~Pipeline() {
  request_stop();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
}

void Pipeline::request_stop() {
  stop_ = true;
  if (src_) src_->break_loop();
  for (PcapSource* s : fanout_srcs_) s->break_loop();
}

Pipeline::Batch* Pipeline::get_free_batch() {
  std::lock_guard<std::mutex> g(free_->mu);
  if (free_->free.empty()) {
    free_->all.push_back(std::make_unique<Batch>());
    return free_->all.back().get();
  }
  Batch* b = free_->free.back();
  free_->free.pop_back();
  b->reset();
  return b;
}

void Pipeline::push(size_t w) {
  queues_[w]->push(current_[w]);
  current_[w] = get_free_batch();
}

void Pipeline::worker_main(size_t idx) {
  Worker& w = *workers_[idx];
  Queue& q = *queues_[idx];
  auto last_pub = std::chrono::steady_clock::now();
  while (true) {
    Batch* b = q.pop();
    for (const CaptureInfo& c : b->pkts) {
      Packet p(c);
      w.process(p);
    }
    w.advance_time(b->now);
    bool last = b->last;
    {
      std::lock_guard<std::mutex> g(free_->mu);
      free_->free.push_back(b);
    }
    auto now = std::chrono::steady_clock::now();
    if (now - last_pub > std::chrono::seconds(1)) {
      w.publish_counters();
      last_pub = now;
    }
    if (last) break;
  }
  w.finish(cfg_.live);
}

int Pipeline::run(PcapSource& src) {
  src_ = &src;
  const size_t n = workers_.size();
  CaptureInfo cap;  // the packet just read; on a timeout its time is the last packet's
  Timestamp last_tick;
  auto last_pub = std::chrono::steady_clock::now();

  if (n == 1) {
    Worker& w = *workers_[0];
    while (!stop_) {
      int r = src.next(&cap);
      if (r == 1) {
        Packet p(cap);
        packets_.fetch_add(1, std::memory_order_relaxed);
        bytes_.fetch_add(cap.frame.size(), std::memory_order_relaxed);
        w.process(p);
      } else if (r == 0) {
        // Kernel counters are read with the publication below, once a second:
        // pcap_stats costs a getsockopt and, on Linux, two /sys file reads.
        w.advance_time(cap.ts);
      } else {
        if (r == -2) {
          // A capture cut mid-packet or with a corrupt record header: what was
          // read is processed and reported; the error is counted, not fatal.
          spdlog::warn("capture read error after packet {}: {} (counted in capture.read_errors)",
                       cap.pcap_cnt, src.error());
        }
        break;
      }
      // Counters are published at most once a second: the clock is read every
      // 64 packets, and on every read timeout (250 ms on a live capture), so
      // that a quiet link's counters (status, stats, heartbeats) do not wait
      // for the next busy second.
      if (r == 0 || (cap.pcap_cnt & 63) == 0) {
        auto now = std::chrono::steady_clock::now();
        if (now - last_pub > std::chrono::seconds(1)) {
          w.publish_counters();
          src.refresh_stats();
          last_pub = now;
        }
      }
    }
    src.refresh_stats();
    w.finish(cfg_.live);
    return 0;
  }

  for (size_t i = 0; i < n; ++i) {
    queues_.push_back(std::make_unique<Queue>());
    current_.push_back(get_free_batch());
  }
  // Checksum "auto" mode: sampled here, in capture order, so that the
  // decision and the packet it takes effect from are those of one worker.
  std::unique_ptr<ReaderChecksumSampler> csum;
  if (cfg_.checksum_mode == ChecksumMode::kAuto && !cfg_.live) {
    csum = std::make_unique<ReaderChecksumSampler>(cfg_.decode);
    for (auto& w : workers_) w->leave_checksum_sampling_to_reader();
  }
  for (size_t i = 0; i < n; ++i) threads_.emplace_back([this, i] { worker_main(i); });
  Fanout fanout;

  while (!stop_) {
    int r = src.next(&cap);
    if (r == 1) {
      const Bytes frame = cap.frame;
      if (csum && csum->sample(cap)) {
        if (csum->sampler.checks_off()) {
          // Before this frame is handed over: every worker sees it.
          for (auto& wk : workers_) wk->checksum_checks_off_from(cap.pcap_cnt, csum->nth);
          csum_auto_off_ = true;
          spdlog::warn(
              "{} of the first {} packets have bad checksums (checksum offload?): checksum checks off",
              csum->sampler.bad(), csum->sampler.sampled());
        }
        csum.reset();
      }
      packets_.fetch_add(1, std::memory_order_relaxed);
      bytes_.fetch_add(frame.size(), std::memory_order_relaxed);
      size_t w = fanout.hash(cap.linktype, frame) % n;
      Batch* b = current_[w];
      if (!b->pkts.empty() && (b->pkts.size() >= kBatchPackets || b->used + frame.size() > b->arena.size())) {
        // The clock of a full batch is its own last packet: the packet in
        // hand goes in the next batch, and a worker that expired flows at its
        // time first could end a flow that packet would have kept (one worker
        // handles a packet before expiring for its second).
        b->now = b->pkts.back().ts;
        push(w);
        b = current_[w];
      }
      if (frame.size() > b->arena.size()) b->arena.resize(frame.size());  // b is empty here
      std::memcpy(b->arena.data() + b->used, frame.data(), frame.size());
      b->pkts.push_back(cap);
      b->pkts.back().frame = Bytes(b->arena.data() + b->used, frame.size());
      b->used += frame.size();
      // Keep every worker's clock within a second of capture time.
      if (cap.ts.sec != last_tick.sec) {
        last_tick = cap.ts;
        for (size_t i = 0; i < n; ++i) {
          current_[i]->now = cap.ts;
          push(i);
        }
      }
    } else if (r == 0) {
      // A read timeout (live): hand every worker what it has, with the time.
      for (size_t i = 0; i < n; ++i) {
        current_[i]->now = cap.ts;
        push(i);
      }
      auto now = std::chrono::steady_clock::now();
      if (now - last_pub > std::chrono::seconds(1)) {
        src.refresh_stats();
        last_pub = now;
      }
    } else {
      if (r == -2) {
        spdlog::warn("capture read error after packet {}: {} (counted in capture.read_errors)", cap.pcap_cnt,
                     src.error());
      }
      break;
    }
    if (r == 1 && (cap.pcap_cnt & 1023) == 0) src.refresh_stats();
  }
  for (size_t i = 0; i < n; ++i) {
    current_[i]->now = cap.ts;
    current_[i]->last = true;
    queues_[i]->push(current_[i]);
    current_[i] = nullptr;
  }
  src.refresh_stats();
  for (auto& t : threads_) t.join();
  threads_.clear();
  return 0;
}

int Pipeline::run_fanout(Timestamp start) {
  if (fanout_srcs_.size() != workers_.size()) {
    spdlog::error("internal error: {} capture sockets for {} workers", fanout_srcs_.size(), workers_.size());
    return 1;
  }
  fanout_reading_ = fanout_srcs_.size();
  for (size_t i = 0; i < fanout_srcs_.size(); ++i) {
    threads_.emplace_back([this, i, start] { capture_worker(i, *fanout_srcs_[i], start); });
  }
  for (auto& t : threads_) t.join();
  threads_.clear();
  return 0;
}

// One worker on its own socket: the one-worker loop of run(), with the
// packet counts kept locally and added to the shared ones now and then.
void Pipeline::capture_worker(size_t idx, PcapSource& src, Timestamp start) {
  Worker& w = *workers_[idx];
  CaptureInfo cap;
  uint64_t pkts = 0, bytes = 0, discards = 0;
  auto flush = [&] {
    packets_.fetch_add(pkts, std::memory_order_relaxed);
    bytes_.fetch_add(bytes, std::memory_order_relaxed);
    startup_discards_.fetch_add(discards, std::memory_order_relaxed);
    pkts = bytes = discards = 0;
  };
  auto last_pub = std::chrono::steady_clock::now();
  int64_t published_sec = INT64_MIN;
  // Moves the shared clock up to t (never back; 0: no packet read yet).
  auto publish = [&](int64_t t) {
    if (t <= 0) return;
    int64_t seen = fanout_now_us_.load(std::memory_order_relaxed);
    while (t > seen && !fanout_now_us_.compare_exchange_weak(seen, t, std::memory_order_relaxed)) {
    }
  };
  // The shared clock, when it is ahead of this worker's own.
  auto follow = [&] {
    int64_t g = fanout_now_us_.load(std::memory_order_relaxed);
    Timestamp t = cap.ts;
    if (g != INT64_MIN && g > t.micros()) t = {g / 1'000'000, static_cast<int32_t>(g % 1'000'000)};
    w.advance_time(t);
  };
  while (!stop_) {
    int r = src.next(&cap);
    if (r == 1) {
      if (cap.ts < start) {
        ++discards;
        continue;
      }
      if (cap.ts.sec != published_sec) {  // once a second of packet time
        published_sec = cap.ts.sec;
        publish(cap.ts.micros());
      }
      Packet p(cap);
      ++pkts;
      bytes += cap.frame.size();
      w.process(p);
    } else if (r == 0) {
      // Idle: nothing older is waiting in this socket's ring, so the clock can
      // move on with the other workers' traffic. This worker's own last
      // packet time goes in first: while busy it publishes once a second of
      // packet time, so the shared clock can lag its newest packet by up to a
      // second, and a flow on another worker whose timeout falls in that
      // second ended by timeout with one worker and at shutdown with two.
      publish(cap.ts.micros());
      follow();
    } else {
      if (r == -2) spdlog::warn("capture read error on worker {}: {}", idx, src.error());
      break;
    }
    if (r == 0 || (pkts & 63) == 0) {
      flush();
      auto now = std::chrono::steady_clock::now();
      if (now - last_pub > std::chrono::seconds(1)) {
        w.publish_counters();
        src.refresh_stats();
        last_pub = now;
      }
    }
  }
  flush();
  src.refresh_stats();
  // Every worker at the newest time read by any: wait until all have stopped
  // reading (a stop reaches them within a read timeout of each other).
  publish(cap.ts.micros());
  fanout_reading_.fetch_sub(1);
  while (fanout_reading_.load() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  follow();
  w.finish(true);
}

CounterSnapshot Pipeline::counters() const {
  CounterSnapshot s;
  for (const auto& w : workers_) {
    for (const auto& [k, v] : w->counters()) add_to_snapshot(s, k, v);
  }
  if (!fanout_srcs_.empty()) {
    // The interface's own drop count (ifdrops) is the same on every socket: counted once.
    for (size_t i = 0; i < fanout_srcs_.size(); ++i) {
      fanout_srcs_[i]->visit_counters([&s, i](std::string_view n, uint64_t v) {
        if (i == 0 || n != "capture.kernel_ifdrops") add_to_snapshot(s, n, v);
      });
    }
    add_to_snapshot(s, "capture.fanout_sockets", fanout_srcs_.size());
    add_to_snapshot(s, "capture.fanout_startup_discards", startup_discards_.load());
  } else if (src_) {
    src_->visit_counters([&s](std::string_view n, uint64_t v) { add_to_snapshot(s, n, v); });
  }
  add_to_snapshot(s, "capture.packets", packets_.load());
  add_to_snapshot(s, "capture.bytes", bytes_.load());
  // The workers' counter of the same name, when the reader sampled for them.
  if (csum_auto_off_) add_to_snapshot(s, "checksum.auto_disabled", 1);
  return s;
}

}  // namespace vigil

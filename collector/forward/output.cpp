#include "collector/forward/output.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>

#include "common/time.h"

namespace vigil::collector::forward {

Output::Output(OutputConfig cfg, std::unique_ptr<Sender> sender, std::string dead_letter_path)
    : cfg_(std::move(cfg)), sender_(std::move(sender)), dl_path_(std::move(dead_letter_path)) {}

Output::~Output() {
  stop(0);
  if (dl_) std::fclose(dl_);
}

void Output::start() {
  if (!th_.joinable()) th_ = std::thread([this] { run(); });
}

void Output::offer(std::shared_ptr<const Alert> a, int64_t now_s) {
  if (a->severity > cfg_.min_severity) {
    add(counters_.below_min_severity);
    return;
  }
  std::shared_ptr<const Alert> pushed_out;
  {
    std::lock_guard lk(mu_);
    if (cfg_.rate_limit_per_min > 0) {
      int64_t minute = now_s / 60;
      if (minute != rate_minute_) rate_minute_ = minute, rate_count_ = 0;
      if (rate_count_ >= cfg_.rate_limit_per_min) {
        add(counters_.rate_limited);
        return;
      }
      ++rate_count_;
    }
    if (q_.size() >= cfg_.queue_max) {
      pushed_out = std::move(q_.front());
      q_.pop_front();
    }
    q_.push_back(std::move(a));
    counters_.queue_depth.store(q_.size(), std::memory_order_relaxed);
    add(counters_.queued);
  }
  cv_.notify_one();
  if (pushed_out) {
    add(counters_.dropped_overflow);
    dead_letter(*pushed_out, "overflow");
  }
}

void Output::stop(int drain_ms) {
  {
    std::unique_lock lk(mu_);
    if (!th_.joinable()) return;
    cv_.wait_for(lk, std::chrono::milliseconds(drain_ms), [&] { return q_.empty(); });
    stop_ = true;
  }
  cv_.notify_all();
  th_.join();
  std::deque<std::shared_ptr<const Alert>> left;
  {
    std::lock_guard lk(mu_);
    left.swap(q_);
    counters_.queue_depth.store(0, std::memory_order_relaxed);
  }
  for (const auto& a : left) dead_letter(*a, "shutdown");
  if (!left.empty())
    spdlog::warn("forward {}: {} alerts not delivered at shutdown, in {}", cfg_.name, left.size(), dl_path_);
}

bool Output::pause(int ms) {
  std::unique_lock lk(mu_);
  return !cv_.wait_for(lk, std::chrono::milliseconds(ms), [&] { return stop_; });
}

void Output::run() {
  int backoff = cfg_.backoff_min_ms;  // kept across alerts: it grows while the receiver stays down
  bool down_logged = false;
  for (;;) {
    std::shared_ptr<const Alert> a;
    {
      std::unique_lock lk(mu_);
      cv_.wait(lk, [&] { return stop_ || !q_.empty(); });
      if (stop_) return;
      a = std::move(q_.front());
      q_.pop_front();
      counters_.queue_depth.store(q_.size(), std::memory_order_relaxed);
    }
    cv_.notify_all();  // stop() waits for an empty queue
    for (int attempt = 0;; ++attempt) {
      std::string err;
      if (sender_->send(*a, &err)) {
        add(counters_.sent);
        if (down_logged) spdlog::info("forward {}: receiver back, delivering", cfg_.name);
        backoff = cfg_.backoff_min_ms, down_logged = false;
        break;
      }
      add(counters_.send_errors);
      if (!down_logged) {
        spdlog::warn("forward {}: send failed ({}); retrying with backoff up to {} ms", cfg_.name, err,
                     cfg_.backoff_max_ms);
        down_logged = true;
      }
      if (attempt >= cfg_.max_retries) {
        dead_letter(*a, "retries");
        break;
      }
      if (!pause(backoff)) {
        dead_letter(*a, "shutdown");
        return;
      }
      backoff = std::min(cfg_.backoff_max_ms, backoff * 2);
      add(counters_.retried);
    }
  }
}

void Output::dead_letter(const Alert& a, const char* reason) {
  std::string line = nlohmann::json{
      {"output", cfg_.name},
      {"reason", reason},
      {"time", unix_now_s()},
      {"alert", a.doc}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  line += '\n';
  std::lock_guard lk(dl_mu_);
  if (!dl_) {
    int fd = ::open(dl_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    struct stat st {};
    if (fd >= 0 && ::fstat(fd, &st) == 0) dl_size_ = st.st_size;
    if (fd >= 0) dl_ = ::fdopen(fd, "a");
    if (!dl_) {
      if (fd >= 0) ::close(fd);
      add(counters_.dead_letter_lost);
      spdlog::error("forward {}: cannot open dead-letter file {}: alert lost", cfg_.name, dl_path_);
      return;
    }
  }
  if (dl_size_ + static_cast<int64_t>(line.size()) > cfg_.dead_letter_max_bytes) {
    add(counters_.dead_letter_lost);
    if (!dl_full_logged_) {
      spdlog::error(
          "forward {}: dead-letter file {} reached {} bytes: further undeliverable alerts are only counted",
          cfg_.name, dl_path_, cfg_.dead_letter_max_bytes);
      dl_full_logged_ = true;
    }
    return;
  }
  if (std::fwrite(line.data(), 1, line.size(), dl_) != line.size() || std::fflush(dl_) != 0) {
    add(counters_.dead_letter_lost);
    spdlog::error("forward {}: writing {} failed: alert lost", cfg_.name, dl_path_);
    return;
  }
  dl_size_ += static_cast<int64_t>(line.size());
  add(counters_.dead_lettered);
}

}  // namespace vigil::collector::forward

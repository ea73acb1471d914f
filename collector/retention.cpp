#include "collector/retention.h"

#include <spdlog/spdlog.h>

#include <chrono>

namespace vigil::collector {

RetentionRunner::RetentionRunner(Store& store, RetentionPolicy policy, int interval_s)
    : store_(store), policy_(policy), interval_s_(interval_s) {
  if (policy_.max_age_s > 0 || policy_.max_bytes > 0 || policy_.max_alerts > 0)
    th_ = std::thread([this] { loop(); });
}

RetentionRunner::~RetentionRunner() {
  {
    std::lock_guard lk(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (th_.joinable()) th_.join();
}

void RetentionRunner::loop() {
  std::unique_lock lk(mu_);
  while (!stop_) {
    lk.unlock();
    int64_t now =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    RetentionResult r;
    StoreStatus st = store_.enforce_retention(policy_, now, &r);
    if (!st.ok) spdlog::error("retention: {}", st.message);
    alerts_ += r.alerts;
    events_ += r.events;
    ++passes_;
    if (r.alerts || r.events)
      spdlog::info(
          "retention: deleted {} alerts, {} events ({} alerts, {} events since start); {} bytes in use",
          r.alerts, r.events, alerts_.load(), events_.load(), r.bytes_in_use);
    lk.lock();
    cv_.wait_for(lk, std::chrono::seconds(interval_s_), [this] { return stop_; });
  }
}

}  // namespace vigil::collector

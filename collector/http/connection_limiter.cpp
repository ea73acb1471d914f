#include "collector/http/connection_limiter.h"

namespace vigil::collector {

ConnectionLimiter::Slot& ConnectionLimiter::Slot::operator=(Slot&& o) noexcept {
  if (this != &o) {
    release();
    owner_ = std::move(o.owner_);
    address_ = std::move(o.address_);
  }
  return *this;
}

void ConnectionLimiter::Slot::release() {
  if (owner_) owner_->release(address_);
  owner_.reset();
}

ConnectionLimiter::Verdict ConnectionLimiter::try_acquire(const std::string& address, Slot* slot) {
  {
    std::lock_guard lk(mu_);
    if (total_limit_ > 0 && open_ >= total_limit_) return Verdict::kTotalLimit;
    int& n = per_address_[address];
    if (per_address_limit_ > 0 && n >= per_address_limit_) return Verdict::kPerAddressLimit;
    ++n;
    ++open_;
  }
  *slot = Slot();
  slot->owner_ = shared_from_this();
  slot->address_ = address;
  return Verdict::kOk;
}

void ConnectionLimiter::release(const std::string& address) {
  std::lock_guard lk(mu_);
  auto it = per_address_.find(address);
  if (it == per_address_.end()) return;
  --open_;
  if (--it->second <= 0) per_address_.erase(it);
}

int ConnectionLimiter::open() const {
  std::lock_guard lk(mu_);
  return open_;
}

int ConnectionLimiter::open_from(const std::string& address) const {
  std::lock_guard lk(mu_);
  auto it = per_address_.find(address);
  return it == per_address_.end() ? 0 : it->second;
}

size_t ConnectionLimiter::addresses() const {
  std::lock_guard lk(mu_);
  return per_address_.size();
}

}  // namespace vigil::collector

// Admission of new connections: at most `total` open at once and at most
// `per_address` from one client address. The acceptor asks try_acquire() for
// every accepted socket and closes it at once when refused; a granted Slot
// gives its place back when destroyed (when the connection's session ends).
//
// Thread-safe (one mutex; taken twice per connection, never per request).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace vigil::collector {

class ConnectionLimiter : public std::enable_shared_from_this<ConnectionLimiter> {
 public:
  enum class Verdict { kOk, kTotalLimit, kPerAddressLimit };

  // A held place; releases it on destruction. Move-only.
  class Slot {
   public:
    Slot() = default;
    Slot(Slot&& o) noexcept : owner_(std::move(o.owner_)), address_(std::move(o.address_)) {}
    Slot& operator=(Slot&& o) noexcept;
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    ~Slot() { release(); }
    bool held() const { return owner_ != nullptr; }

   private:
    friend class ConnectionLimiter;
    void release();
    std::shared_ptr<ConnectionLimiter> owner_;
    std::string address_;
  };

  // Limits <= 0 mean "no limit". Create with std::make_shared (slots keep it alive).
  ConnectionLimiter(int total, int per_address) : total_limit_(total), per_address_limit_(per_address) {}

  // kOk fills *slot; otherwise nothing is held.
  Verdict try_acquire(const std::string& address, Slot* slot);

  int open() const;
  int open_from(const std::string& address) const;
  size_t addresses() const;  // distinct addresses with an open connection

 private:
  void release(const std::string& address);
  const int total_limit_, per_address_limit_;
  mutable std::mutex mu_;
  int open_ = 0;
  std::unordered_map<std::string, int> per_address_;
};

}  // namespace vigil::collector

// RuleMetadata: a rule's `metadata` option (key value pairs, EVE
// alert.metadata {key: [values]}) packed into one string. ET Open has about
// eight pairs per rule; as a vector of strings per key they were 24 MB and
// 250,000 allocations of the agent's rule memory, for a field that is read
// only when the rule fires.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace vigil {

class RuleMetadata {
 public:
  // One more value of key (a key may come back; values keep rule order).
  void add(std::string_view key, std::string_view value) {
    put(key);
    put(value);
  }
  bool empty() const { return packed_.empty(); }
  // Frees the slack that growing left.
  void shrink() { packed_.shrink_to_fit(); }
  // f(key, value) for every pair, in rule order.
  template <class F>
  void each(F&& f) const {
    size_t i = 0;
    while (i < packed_.size()) {
      std::string_view k = get(i);
      std::string_view v = get(i);
      f(k, v);
    }
  }

 private:
  // Each item: its length (4 bytes, native order), then its bytes.
  void put(std::string_view s) {
    uint32_t n = uint32_t(s.size());
    packed_.append(reinterpret_cast<const char*>(&n), sizeof n);
    packed_.append(s);
  }
  std::string_view get(size_t& i) const {
    uint32_t n;
    std::memcpy(&n, packed_.data() + i, sizeof n);
    std::string_view s(packed_.data() + i + sizeof n, n);
    i += sizeof n + n;
    return s;
  }
  std::string packed_;
};

}  // namespace vigil

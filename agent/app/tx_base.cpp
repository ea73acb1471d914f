#include "agent/app/tx_base.h"

namespace vigil {

void TxBuffers::set(BufferId id, Dir d, std::string_view v) {
  bool kept = false;
  for (size_t i = 0; i < entries_.size();) {
    if (entries_[i].id == id && entries_[i].d == d) {
      if (!kept) {
        entries_[i].v.assign(v);
        kept = true;
        ++i;
      } else {
        entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(i));
      }
    } else {
      ++i;
    }
  }
  if (!kept) entries_.push_back({id, d, std::string(v)});
}

void TxBuffers::add(BufferId id, Dir d, std::string_view v) {
  entries_.push_back({id, d, std::string(v)});
}

std::string& TxBuffers::slot(BufferId id, Dir d) {
  for (auto& e : entries_) {
    if (e.id == id && e.d == d) return e.v;
  }
  entries_.push_back({id, d, {}});
  return entries_.back().v;
}

size_t TxBuffers::count(BufferId id, Dir d) const {
  size_t n = 0;
  for (const auto& e : entries_) n += (e.id == id && e.d == d);
  return n;
}

std::string_view TxBuffers::get(BufferId id, Dir d, size_t i) const {
  for (const auto& e : entries_) {
    if (e.id == id && e.d == d) {
      if (i == 0) return e.v;
      --i;
    }
  }
  return {};
}

}  // namespace vigil

namespace vigil {

std::string eve_string(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  static constexpr char kHex[] = "0123456789abcdef";
  size_t i = 0;
  while (i < raw.size()) {
    auto c = static_cast<uint8_t>(raw[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    bool ok = n > 0 && i + n <= raw.size();
    for (size_t k = 1; ok && k < n; ++k) ok = (static_cast<uint8_t>(raw[i + k]) & 0xC0) == 0x80;
    if (ok && n == 2 && c < 0xC2) ok = false;  // overlong
    if (ok && c >= 0x20 && c != 0x7f) {
      out.append(raw.substr(i, n));
      i += n;
    } else if (ok && n == 1 && (c == '\t' || c == '\r' || c == '\n')) {
      out.push_back(static_cast<char>(c));
      ++i;
    } else {
      out.append("\\x");
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
      ++i;
    }
  }
  return out;
}

}  // namespace vigil

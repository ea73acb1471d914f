#include "agent/app/tx_base.h"

#include <algorithm>

#include "agent/app/file_tracker.h"

namespace vigil {

namespace {
// Buffer versions: a flow's transactions live on one worker thread, so a
// counter per thread makes every version unique among the transactions a
// flow's memo (rules/engine_eval.cpp, inspect_tx) can compare.
uint64_t next_version() {
  thread_local uint64_t n = 0;
  return ++n;
}
}  // namespace

size_t TxBuffers::find(size_t key, size_t from) const {
  for (size_t i = from; i < keys_.size(); ++i)
    if (keys_[i] == key) return i;
  return keys_.size();
}

void TxBuffers::set(BufferId id, Dir d, std::string_view v) {
  const size_t key = bit(id, d);
  size_t i = present_.test(key) ? find(key) : entries_.size();
  if (i == entries_.size()) {
    push(id, d, std::string(v));
    return;
  }
  // Parsers set some buffers again with each update: the same bytes keep
  // their version and are not scanned again.
  if (entries_[i].v != v) {
    entries_[i].v.assign(v);
    entries_[i].ver = next_version();
  }
  if (!multi_.test(key)) return;
  bool erased = false;
  for (size_t j = find(key, i + 1); j < entries_.size(); j = find(key, j)) {
    entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(j));
    keys_.erase(keys_.begin() + static_cast<std::ptrdiff_t>(j));
    erased = true;
  }
  // One instance fewer: a change even where the kept one is the same.
  if (erased) entries_[i].ver = next_version();
}

void TxBuffers::push(BufferId id, Dir d, std::string v) {
  const size_t key = bit(id, d);
  if (present_.test(key)) multi_.set(key);
  present_.set(key);
  entries_.push_back({id, d, std::move(v), next_version()});
  keys_.push_back(uint16_t(key));
}

void TxBuffers::add(BufferId id, Dir d, std::string_view v) {
  push(id, d, std::string(v));
}

std::string& TxBuffers::slot(BufferId id, Dir d) {
  const size_t key = bit(id, d);
  size_t i = present_.test(key) ? find(key) : entries_.size();
  if (i == entries_.size()) {
    push(id, d, {});
    return entries_.back().v;
  }
  entries_[i].ver = next_version();
  return entries_[i].v;
}

uint64_t TxBuffers::version(BufferId id, Dir d) const {
  const size_t key = bit(id, d);
  uint64_t ver = 0, bytes = 0;
  if (present_.test(key)) {
    for (size_t i = find(key); i < entries_.size(); i = find(key, i + 1)) {
      ver = std::max(ver, entries_[i].ver);
      bytes += entries_[i].v.size();
      if (!multi_.test(key)) break;
    }
  }
  // splitmix64 of the newest version, then of the size: two states of one
  // buffer share a number with odds of 2^-64, as the content hash had.
  auto mix = [](uint64_t x) {
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
  };
  return mix(mix(ver) ^ bytes);
}

size_t TxBuffers::count(BufferId id, Dir d) const {
  const size_t key = bit(id, d);
  if (!present_.test(key)) return 0;
  if (!multi_.test(key)) return 1;
  size_t n = 0;
  for (auto k : keys_) n += k == key;
  return n;
}

std::string_view TxBuffers::get(BufferId id, Dir d, size_t i) const {
  const size_t key = bit(id, d);
  if (!present_.test(key)) return {};
  for (size_t j = find(key); j < entries_.size(); j = find(key, j + 1)) {
    if (i == 0) return entries_[j].v;
    --i;
  }
  return {};
}

}  // namespace vigil

namespace vigil {

namespace {

// Length of the valid UTF-8 sequence at raw[i] (RFC 3629: no overlongs, no
// surrogates, nothing above U+10FFFF), 0 when it is not one.
size_t utf8_len(std::string_view raw, size_t i) {
  auto b = [&](size_t k) { return static_cast<uint8_t>(raw[i + k]); };
  uint8_t c = b(0);
  if (c < 0x80) return 1;
  size_t n = 0;
  uint8_t lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + n > raw.size()) return 0;
  if (b(1) < lo || b(1) > hi) return 0;
  for (size_t k = 2; k < n; ++k) {
    if ((b(k) & 0xC0) != 0x80) return 0;
  }
  return n;
}

}  // namespace

std::string eve_string(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  static constexpr char kHex[] = "0123456789abcdef";
  size_t i = 0;
  while (i < raw.size()) {
    auto c = static_cast<uint8_t>(raw[i]);
    size_t n = utf8_len(raw, i);
    if (n > 1 || (n == 1 && c >= 0x20 && c != 0x7f) || c == '\t' || c == '\r' || c == '\n') {
      out.append(raw.substr(i, n));
      i += n;
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

namespace vigil {

void set_file_buffers(TxBuffers& bufs, const TrackedFile& f) {
  Dir d = f.dir();
  bufs.set(BufferId::kFileName, d, f.name());
  if (f.state() == FileState::kOpen) return;
  if (!f.magic().empty()) bufs.set(BufferId::kFileMagic, d, f.magic());
  if (!f.md5().empty()) bufs.set(BufferId::kFileMd5, d, f.md5());
  if (!f.sha1().empty()) bufs.set(BufferId::kFileSha1, d, f.sha1());
  if (!f.sha256().empty()) bufs.set(BufferId::kFileSha256, d, f.sha256());
}

}  // namespace vigil

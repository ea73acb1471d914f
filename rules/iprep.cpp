#include "rules/iprep.h"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>

#include "common/file_io.h"
#include "rules/engine.h"

namespace vigil::rules {

namespace {

std::string_view trim_ws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

bool to_int(std::string_view s, int& out) {
  s = trim_ws(s);
  auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && r.ec == std::errc() && r.ptr == s.data() + s.size();
}

// Calls fn(line_number, line) for each line that is not blank or a comment.
template <class Fn>
void each_line(std::string_view text, Fn fn) {
  int n = 0;
  while (!text.empty()) {
    auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    ++n;
    line = trim_ws(line);
    if (line.empty() || line[0] == '#') continue;
    fn(n, line);
  }
}

std::string where(const std::string& name, int line) {
  return name + ":" + std::to_string(line) + ": ";
}

}  // namespace

void IpRep::parse_categories(std::string_view text, const std::string& name,
                             std::vector<std::string>& errors) {
  each_line(text, [&](int n, std::string_view line) {
    auto c1 = line.find(',');
    auto c2 = c1 == std::string_view::npos ? c1 : line.find(',', c1 + 1);
    int id = 0;
    if (c2 == std::string_view::npos) {
      errors.push_back(where(name, n) + "expected id,shortname,description");
      return;
    }
    if (!to_int(line.substr(0, c1), id) || id <= 0 || id >= kMaxCategories) {
      errors.push_back(where(name, n) + "category id must be 1-" + std::to_string(kMaxCategories - 1));
      return;
    }
    std::string shortname(trim_ws(line.substr(c1 + 1, c2 - c1 - 1)));
    if (shortname.empty()) {
      errors.push_back(where(name, n) + "empty category name");
      return;
    }
    cats_[shortname] = uint8_t(id);
  });
}

void IpRep::parse_reputation(std::string_view text, const std::string& name,
                             std::vector<std::string>& errors) {
  bool known[kMaxCategories] = {};
  for (auto& [n, id] : cats_) known[id] = true;
  pending_.reserve(pending_.size() + size_t(std::count(text.begin(), text.end(), '\n')) + 1);
  each_line(text, [&](int n, std::string_view line) {
    auto c1 = line.find(',');
    auto c2 = c1 == std::string_view::npos ? c1 : line.find(',', c1 + 1);
    if (c2 == std::string_view::npos) {
      errors.push_back(where(name, n) + "expected ip[/cidr],category,score");
      return;
    }
    std::string_view ip = trim_ws(line.substr(0, c1));
    int bits = -1;
    auto slash = ip.find('/');
    if (slash != std::string_view::npos) {
      if (!to_int(ip.substr(slash + 1), bits)) bits = 999;
      ip = ip.substr(0, slash);
    }
    auto addr = IpAddr::parse(ip);
    if (!addr) {
      errors.push_back(where(name, n) + "invalid address '" + std::string(ip) + "'");
      return;
    }
    int max_bits = addr->family == 4 ? 32 : 128;
    if (bits < 0) bits = max_bits;
    if (bits > max_bits) {
      errors.push_back(where(name, n) + "invalid prefix length");
      return;
    }
    int cat = 0, score = 0;
    if (!to_int(line.substr(c1 + 1, c2 - c1 - 1), cat) || cat <= 0 || cat >= kMaxCategories || !known[cat]) {
      errors.push_back(where(name, n) + "unknown category '" +
                       std::string(trim_ws(line.substr(c1 + 1, c2 - c1 - 1))) + "'");
      return;
    }
    if (!to_int(line.substr(c2 + 1), score) || score < 0 || score > kMaxScore) {
      errors.push_back(where(name, n) + "score must be 0-" + std::to_string(kMaxScore));
      return;
    }
    // IPv4 lives in ::ffff:0:0/96 of the 128-bit space (addr_key).
    int len = addr->family == 4 ? 96 + bits : bits;
    U128 mask = len == 0 ? U128(0) : ~U128(0) << (128 - len);
    U128 lo = addr_key(*addr) & mask;
    pending_.push_back(
        Line{lo, lo | ~mask, uint8_t(len), uint8_t(cat), uint8_t(score), uint32_t(pending_.size())});
  });
}

bool IpRep::load_categories(const std::string& path, std::vector<std::string>& errors) {
  std::string text;
  if (!read_file(path, text)) {
    errors.push_back(path + ": cannot read reputation categories file");
    return false;
  }
  parse_categories(text, path, errors);
  return true;
}

bool IpRep::load_reputation(const std::string& path, std::vector<std::string>& errors) {
  std::string text;
  if (!read_file(path, text)) {
    errors.push_back(path + ": cannot read reputation file");
    return false;
  }
  parse_reputation(text, path, errors);
  return true;
}

void IpRep::emit(U128 start, int32_t entry) {
  if (!starts_.empty() && starts_.back() == start) {
    entry_of_.back() = entry;
    if (entry_of_.size() >= 2 && entry_of_[entry_of_.size() - 2] == entry) {
      starts_.pop_back();
      entry_of_.pop_back();
    }
    return;
  }
  if (!entry_of_.empty() && entry_of_.back() == entry) return;
  starts_.push_back(start);
  entry_of_.push_back(entry);
}

void IpRep::finish() {
  // Wider prefixes first at the same start, so that nesting is a stack; lines
  // of one prefix together in file order.
  std::sort(pending_.begin(), pending_.end(), [](const Line& a, const Line& b) {
    if (a.lo != b.lo) return a.lo < b.lo;
    if (a.len != b.len) return a.len < b.len;
    return a.seq < b.seq;
  });
  starts_.clear();
  entry_of_.clear();
  entries_.clear();
  scores_.clear();
  emit(0, -1);
  struct Open {
    U128 hi;
    int32_t entry;
  };
  std::vector<Open> stack;
  auto close_before = [&](U128 lo) {
    while (!stack.empty() && stack.back().hi < lo) {
      U128 after = stack.back().hi + 1;  // hi < lo: no overflow
      stack.pop_back();
      emit(after, stack.empty() ? -1 : stack.back().entry);
    }
  };
  for (size_t i = 0; i < pending_.size();) {
    size_t j = i;
    Entry e;
    e.off = uint32_t(scores_.size());
    for (; j < pending_.size() && pending_[j].lo == pending_[i].lo && pending_[j].len == pending_[i].len;
         ++j) {
      auto it = std::find_if(scores_.begin() + e.off, scores_.end(),
                             [&](auto& s) { return s.first == pending_[j].cat; });
      if (it != scores_.end())
        it->second = pending_[j].score;
      else
        scores_.emplace_back(pending_[j].cat, pending_[j].score);
    }
    e.n = uint16_t(scores_.size() - e.off);
    int32_t idx = int32_t(entries_.size());
    entries_.push_back(e);
    close_before(pending_[i].lo);
    emit(pending_[i].lo, idx);
    stack.push_back(Open{pending_[i].hi, idx});
    i = j;
  }
  while (!stack.empty()) {
    U128 hi = stack.back().hi;
    stack.pop_back();
    if (hi != ~U128(0)) emit(hi + 1, stack.empty() ? -1 : stack.back().entry);
  }
  std::vector<Line>().swap(pending_);
}

int IpRep::category(std::string_view name) const {
  auto it = cats_.find(name);
  return it == cats_.end() ? -1 : it->second;
}

int IpRep::score(const IpAddr& a, int cat) const {
  if (starts_.empty() || a.family == 0) return -1;
  U128 k = addr_key(a);
  auto it = std::upper_bound(starts_.begin(), starts_.end(), k);
  int32_t e = entry_of_[size_t(it - starts_.begin()) - 1];  // starts_[0] == 0
  if (e < 0) return -1;
  const Entry& en = entries_[size_t(e)];
  for (uint32_t i = en.off; i < en.off + en.n; ++i)
    if (scores_[i].first == cat) return scores_[i].second;
  return 0;
}

std::shared_ptr<const IpRep> load_iprep(const LoadOptions& opts, std::vector<std::string>& errors) {
  if (opts.reputation_categories_file.empty()) {
    if (!opts.reputation_files.empty())
      errors.push_back("reputation-files: ignored without reputation-categories-file");
    return nullptr;
  }
  auto rep = std::make_shared<IpRep>();
  if (!rep->load_categories(opts.reputation_categories_file, errors)) return nullptr;
  for (auto& f : opts.reputation_files) {
    std::filesystem::path p(f);
    if (p.is_relative() && !opts.default_reputation_path.empty())
      p = std::filesystem::path(opts.default_reputation_path) / p;
    rep->load_reputation(p.string(), errors);
  }
  rep->finish();
  return rep;
}

}  // namespace vigil::rules

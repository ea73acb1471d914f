// IP reputation (Suricata's iprep): a categories file ("id,shortname,
// description" lines) and reputation files ("ip[/cidr],category-id,score"
// lines, IPv4 and IPv6), looked up by the iprep rule keyword.
//
// Built once by build_engine before the rules are parsed (single thread),
// then immutable and shared by every rule and worker: score() is a binary
// search over sorted address intervals (the most specific prefix wins, as in
// Suricata's radix tree), safe from any thread, no allocation. A million
// entries cost about 40 MB while loading and 25 MB once built.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/ip_addr.h"
#include "rules/addr.h"

namespace vigil::rules {

struct LoadOptions;

class IpRep {
 public:
  // Suricata's limits: category ids 1..59, scores 0..127.
  static constexpr int kMaxCategories = 60;
  static constexpr int kMaxScore = 127;

  // Both loaders read the whole file; a bad line is appended to `errors` as
  // "FILE:LINE: reason" and skipped. False only when the file cannot be read.
  bool load_categories(const std::string& path, std::vector<std::string>& errors);
  // Categories must be loaded first (a reputation line names a category id).
  bool load_reputation(const std::string& path, std::vector<std::string>& errors);
  // Text forms of the two loaders (tests, and the file loaders themselves).
  void parse_categories(std::string_view text, const std::string& name, std::vector<std::string>& errors);
  void parse_reputation(std::string_view text, const std::string& name, std::vector<std::string>& errors);
  // Builds the lookup table from everything loaded; call once, after loading.
  void finish();

  // Category id of a short name; -1 when unknown.
  int category(std::string_view name) const;
  // Score of `a` in category `cat`: -1 when no reputation entry covers the
  // address (iprep then does not match, as in Suricata), 0 when the entry
  // has no score for this category.
  int score(const IpAddr& a, int cat) const;
  size_t entries() const { return entries_.size(); }
  size_t categories() const { return cats_.size(); }

 private:
  struct Line {  // one reputation line, before finish()
    U128 lo, hi;
    uint8_t len;  // prefix length in the 128-bit space
    uint8_t cat, score;
    uint32_t seq;  // file order: a later line for the same prefix and category wins
  };
  struct Entry {
    uint32_t off = 0;  // into scores_
    uint16_t n = 0;
  };
  void emit(U128 start, int32_t entry);

  std::map<std::string, uint8_t, std::less<>> cats_;
  std::vector<Line> pending_;
  // Interval i is [starts_[i], starts_[i+1]) and belongs to entry_of_[i] (-1: none).
  std::vector<U128> starts_;
  std::vector<int32_t> entry_of_;
  std::vector<Entry> entries_;
  std::vector<std::pair<uint8_t, uint8_t>> scores_;  // (category, score) runs of the entries
};

// Loads what LoadOptions names (reputation_categories_file, then each of
// reputation_files, relative names under default_reputation_path). Null when
// no categories file is configured; errors go to `errors`.
std::shared_ptr<const IpRep> load_iprep(const LoadOptions& opts, std::vector<std::string>& errors);

}  // namespace vigil::rules

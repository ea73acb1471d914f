// Datasets: named sets of strings or hashes that rules test a whole buffer
// against (dataset:isset|isnotset|set,NAME,type string|md5|sha256,load FILE).
// One Dataset per name per engine, shared by the rules that name it.
//
// Loaded at parse time (single thread). On the packet path `contains` and
// `add` are called from any worker; the mutex is used only for datasets some
// rule can add to (dataset:set), the others are immutable after load.
#pragma once

#include <mutex>
#include <string>
#include <string_view>
#include <unordered_set>

namespace vigil::rules {

struct Dataset {
  enum Type : uint8_t { kString, kMd5, kSha256 } type = kString;
  bool mutable_ = false;  // a rule sets values: take the mutex
  static constexpr size_t kMaxEntries = 1 << 20;

  // Loads a Suricata dataset file: string = one base64 value per line,
  // md5/sha256 = one hex digest per line. "" or the first bad line's error.
  std::string load(const std::string& path);
  // The buffer as a key: strings as they are; hashes as raw digests, or as
  // hex text of the right length. False when it cannot be a member.
  bool key_of(std::string_view buf, std::string& key) const;
  bool contains(std::string_view buf) const;
  // Adds the buffer; true when it was not there yet.
  bool add(std::string_view buf);

 private:
  mutable std::mutex mu_;
  std::unordered_set<std::string> values_;
};

}  // namespace vigil::rules

// Datasets: named sets of strings, hashes or IP addresses that rules test a
// whole buffer against (dataset:isset|isnotset|set,NAME,type
// string|md5|sha256|ipv4|ip,load|state|save FILE). One Dataset per name per
// engine, shared by the rules that name it.
//
// Loaded at parse time (single thread). On the packet path `contains` and
// `add` are called from any worker; the mutex is used only for datasets some
// rule can add to (dataset:set), the others are immutable after load. A set
// that rules added to is written to its state/save file when the last rule
// holding it goes away (engine teardown at agent exit or reload), atomically
// (temporary file + rename), in the format `load` reads.
#pragma once

#include <mutex>
#include <string>
#include <string_view>
#include <unordered_set>

namespace vigil::rules {

struct Dataset {
  enum Type : uint8_t { kString, kMd5, kSha256, kIpv4, kIp } type = kString;
  bool mutable_ = false;  // a rule sets values: take the mutex
  std::string save_path;  // state/save FILE: written back at teardown when added to
  static constexpr size_t kMaxEntries = 1 << 20;

  Dataset() = default;
  Dataset(const Dataset&) = delete;
  Dataset& operator=(const Dataset&) = delete;
  ~Dataset();

  // Loads a Suricata dataset file: string = one base64 value per line,
  // md5/sha256 = one hex digest per line, ipv4/ip = one address per line
  // (ipv4: dotted quads only). "" or the first bad line's error.
  std::string load(const std::string& path);
  // Writes every value to path in the format load() reads, through a
  // temporary file renamed over path. "" or the error.
  std::string save(const std::string& path) const;
  // Writes the set to save_path when rules added to it since the last write
  // (the agent calls this at exit through Engine::save_state; the destructor
  // does it for an engine replaced by a reload).
  void persist();
  // The buffer as a key: strings as they are; hashes as raw digests, or as
  // hex text of the right length; addresses as their bytes (ip.src/ip.dst:
  // 4 bytes for IPv4, 16 for IPv6; ::ffff:a.b.c.d counts as IPv4). False when
  // it cannot be a member.
  bool key_of(std::string_view buf, std::string& key) const;
  bool contains(std::string_view buf) const;
  // Adds the buffer; true when it was not there yet.
  bool add(std::string_view buf);

 private:
  mutable std::mutex mu_;
  bool dirty_ = false;  // add() inserted since load
  std::unordered_set<std::string> values_;
};

}  // namespace vigil::rules

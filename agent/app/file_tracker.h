// Files carried by application protocols (HTTP bodies now; SMTP attachments,
// FTP data, SMB reads and writes feed the same model): one TrackedFile per
// file, streamed through open / append / gap / close or truncate.
//
// While a file streams, its MD5, SHA-1 and SHA-256 are computed incrementally
// (OpenSSL EVP) over every byte, also past the inspection limits (those only
// bound file.data); its type comes from libmagic on its first kMagicBytes. A
// file that a filestore rule asks for is written once to
// <store dir>/<sha256[0:2]>/<sha256> (Suricata's filestore v2 layout) under a
// byte cap for the whole directory.
//
// Threading: a FileContext per worker (its libmagic cookie is loaded once,
// lazily, and is not thread-safe); files belong to that worker's flows. The
// store's byte count is shared by every worker using the same directory.
// Memory: per file, three digest contexts, at most kMagicBytes for libmagic,
// and, only when a store directory is configured, at most store_depth bytes
// of content kept for filestore (a longer file cannot be stored; counted).
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "agent/app/file_counters.h"
#include "common/inspect.h"

namespace vigil {

struct FileConfig {
  bool enabled = false;  // files are tracked (set when fileinfo is logged, or by files.enabled)
  bool md5 = true, sha1 = true, sha256 = true;  // files.force-hash
  bool magic = false;                           // files.force-magic: libmagic type of every file
  std::string store_dir;                        // files.store.dir: "" = no filestore
  uint64_t store_cap = uint64_t(1) << 30;       // files.store.cap: bytes under store_dir at most
  uint64_t store_depth = 16 * 1024 * 1024;      // files.store.depth: bytes of a file kept for filestore
};

class FileStore;

// Per worker: the configuration, the libmagic cookie and the counters.
class FileContext {
 public:
  explicit FileContext(const FileConfig& cfg);
  ~FileContext();
  FileContext(const FileContext&) = delete;
  FileContext& operator=(const FileContext&) = delete;

  const FileConfig& cfg() const { return cfg_; }
  FileCounters& ctr() { return ctr_; }
  const FileCounters& ctr() const { return ctr_; }
  // libmagic's description of `head` ("" and counted when it fails).
  std::string magic(std::string_view head);
  // Writes a closed file's content once; true when it is (or already was)
  // in the store.
  bool store(std::string_view sha256_hex, std::string_view content);

 private:
  FileConfig cfg_;
  FileCounters ctr_;
  void* magic_ = nullptr;  // magic_t, loaded on first use
  bool magic_failed_ = false;
  std::shared_ptr<FileStore> store_;
};

enum class FileState : uint8_t { kOpen, kClosed, kTruncated };

class TrackedFile {
 public:
  static constexpr size_t kMagicBytes = 4096;
  static constexpr size_t kMaxSids = 16;

  TrackedFile(FileContext& ctx, std::string name, Dir d, uint64_t tx_id);
  ~TrackedFile();
  TrackedFile(const TrackedFile&) = delete;
  TrackedFile& operator=(const TrackedFile&) = delete;

  void append(std::string_view bytes);
  // len bytes of the file are missing: it can only end truncated.
  void gap(uint64_t len);
  // The file ended where its framing said it would (a gap still truncates).
  void close();
  // The file was cut short (connection ended, framing lost, decoding stopped).
  void truncate();
  // Filestore rule `sid` matched: the file is written when it is closed
  // (now, if it already is). Only closed files are stored. The sids (up to
  // kMaxSids) are logged in fileinfo's "sid".
  void request_store(uint32_t sid = 0);

  const std::string& name() const { return name_; }
  Dir dir() const { return dir_; }
  FileState state() const { return state_; }
  uint64_t size() const { return size_; }
  bool gaps() const { return gaps_; }
  bool stored() const { return stored_; }
  // Lower-case hex digests; empty unless closed (and the hash is enabled).
  const std::string& md5() const { return md5_; }
  const std::string& sha1() const { return sha1_; }
  const std::string& sha256() const { return sha256_; }
  const std::string& magic() const { return magic_; }
  // Suricata 7's "fileinfo" object: filename, sid, magic, gaps, state, md5,
  // sha1, sha256, stored, size, tx_id.
  void to_eve(nlohmann::ordered_json& out) const;

 private:
  void finish(FileState st);
  void try_store();

  FileContext& ctx_;
  std::string name_;
  Dir dir_;
  uint64_t tx_id_;
  FileState state_ = FileState::kOpen;
  uint64_t size_ = 0;
  bool gaps_ = false;
  bool stored_ = false;
  bool store_wanted_ = false;
  bool keep_ = false;      // content kept for filestore
  bool kept_cut_ = false;  // content longer than store_depth: not storable
  bool magic_done_ = false;
  struct Hashes;
  std::unique_ptr<Hashes> h_;
  std::string head_;  // first kMagicBytes (for libmagic)
  std::string content_;
  std::string md5_, sha1_, sha256_, magic_;
  std::vector<uint32_t> sids_;
};

}  // namespace vigil

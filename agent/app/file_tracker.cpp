#include "agent/app/file_tracker.h"

#include <fcntl.h>
#include <magic.h>
#include <openssl/evp.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>

#include "agent/app/tx_base.h"

namespace vigil {

// The store directory shared by the workers that use it: its byte count
// (what was there at start plus what this process wrote) against the cap.
class FileStore {
 public:
  FileStore(std::string dir, uint64_t cap) : dir_(std::move(dir)), cap_(cap) {
    std::error_code ec;
    uint64_t have = 0;
    for (auto it = std::filesystem::recursive_directory_iterator(dir_, ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
      std::error_code ec2;
      if (it->is_regular_file(ec2)) have += it->file_size(ec2);
    }
    used_.store(have);
  }

  static std::shared_ptr<FileStore> get(const std::string& dir, uint64_t cap) {
    static std::mutex mu;
    static std::map<std::string, std::weak_ptr<FileStore>> stores;
    std::lock_guard<std::mutex> g(mu);
    auto& w = stores[dir];
    auto s = w.lock();
    if (!s) {
      s = std::make_shared<FileStore>(dir, cap);
      w = s;
    }
    return s;
  }

  enum class Result { kWritten, kExists, kCap, kError };

  Result write(std::string_view sha, std::string_view content) {
    namespace fs = std::filesystem;
    fs::path sub = fs::path(dir_) / std::string(sha.substr(0, 2));
    fs::path final_path = sub / std::string(sha);
    std::error_code ec;
    if (fs::exists(final_path, ec)) return Result::kExists;
    // Reserve the bytes first: two workers never pass the cap together.
    uint64_t cur = used_.load();
    do {
      if (cur + content.size() > cap_) return Result::kCap;
    } while (!used_.compare_exchange_weak(cur, cur + content.size()));
    fs::create_directories(sub, ec);
    // A temporary name, then link(): the final name appears once, complete,
    // and a second writer of the same file finds it taken.
    std::string tmp = (sub / ("." + std::string(sha) + ".tmp." + std::to_string(getpid()) + "." +
                              std::to_string(seq_.fetch_add(1))))
                          .string();
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    bool ok = fd >= 0;
    size_t off = 0;
    while (ok && off < content.size()) {
      ssize_t n = ::write(fd, content.data() + off, content.size() - off);
      if (n <= 0) {
        ok = false;
        break;
      }
      off += size_t(n);
    }
    if (fd >= 0 && ::close(fd) != 0) ok = false;
    Result r = Result::kError;
    if (ok) {
      if (::link(tmp.c_str(), final_path.c_str()) == 0)
        r = Result::kWritten;
      else if (errno == EEXIST)
        r = Result::kExists;
    }
    ::unlink(tmp.c_str());
    if (r != Result::kWritten) used_.fetch_sub(content.size());
    return r;
  }

 private:
  std::string dir_;
  uint64_t cap_;
  std::atomic<uint64_t> used_{0};
  std::atomic<uint64_t> seq_{0};
};

FileContext::FileContext(const FileConfig& cfg) : cfg_(cfg) {
  if (!cfg_.store_dir.empty()) store_ = FileStore::get(cfg_.store_dir, cfg_.store_cap);
}

FileContext::~FileContext() {
  if (magic_ != nullptr) magic_close(static_cast<magic_t>(magic_));
}

std::string FileContext::magic(std::string_view head) {
  if (magic_ == nullptr && !magic_failed_) {
    magic_t m = magic_open(MAGIC_NONE);
    if (m == nullptr || magic_load(m, nullptr) != 0) {
      spdlog::warn("libmagic: cannot load its database ({}); file.magic stays empty",
                   m ? magic_error(m) : "out of memory");
      if (m) magic_close(m);
      magic_failed_ = true;
    } else {
      magic_ = m;
    }
  }
  if (magic_ == nullptr) {
    ++ctr_.file_magic_errors;
    return {};
  }
  const char* r = magic_buffer(static_cast<magic_t>(magic_), head.data(), head.size());
  if (r == nullptr) {
    ++ctr_.file_magic_errors;
    return {};
  }
  return r;
}

bool FileContext::store(std::string_view sha256_hex, std::string_view content) {
  if (!store_) return false;
  switch (store_->write(sha256_hex, content)) {
    case FileStore::Result::kWritten:
      ++ctr_.file_stored;
      ctr_.file_stored_bytes += content.size();
      return true;
    case FileStore::Result::kExists:
      ++ctr_.file_store_exists;
      return true;
    case FileStore::Result::kCap:
      ++ctr_.file_store_cap;
      return false;
    case FileStore::Result::kError:
      ++ctr_.file_store_errors;
      return false;
  }
  return false;
}

namespace {

struct MdCtx {
  EVP_MD_CTX* c = nullptr;
  void init(const EVP_MD* md) {
    c = EVP_MD_CTX_new();
    if (c != nullptr && EVP_DigestInit_ex(c, md, nullptr) != 1) {
      EVP_MD_CTX_free(c);
      c = nullptr;
    }
  }
  ~MdCtx() {
    if (c != nullptr) EVP_MD_CTX_free(c);
  }
  void update(std::string_view b) {
    if (c != nullptr) EVP_DigestUpdate(c, b.data(), b.size());
  }
  std::string final_hex() {
    if (c == nullptr) return {};
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (EVP_DigestFinal_ex(c, d, &n) != 1) return {};
    static const char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(n * 2);
    for (unsigned i = 0; i < n; ++i) {
      out.push_back(kHex[d[i] >> 4]);
      out.push_back(kHex[d[i] & 15]);
    }
    return out;
  }
};

}  // namespace

struct TrackedFile::Hashes {
  MdCtx md5, sha1, sha256;
};

TrackedFile::TrackedFile(FileContext& ctx, std::string name, Dir d, uint64_t tx_id)
    : ctx_(ctx), name_(std::move(name)), dir_(d), tx_id_(tx_id), h_(std::make_unique<Hashes>()) {
  ++ctx_.ctr().file_opened;
  const FileConfig& c = ctx_.cfg();
  if (c.md5) h_->md5.init(EVP_md5());
  if (c.sha1) h_->sha1.init(EVP_sha1());
  if (c.sha256 || !c.store_dir.empty()) h_->sha256.init(EVP_sha256());
  keep_ = !c.store_dir.empty();
}

TrackedFile::~TrackedFile() = default;

void TrackedFile::append(std::string_view b) {
  if (state_ != FileState::kOpen || b.empty()) return;
  size_ += b.size();
  ctx_.ctr().file_hashed_bytes += b.size();
  h_->md5.update(b);
  h_->sha1.update(b);
  h_->sha256.update(b);
  if (ctx_.cfg().magic && head_.size() < kMagicBytes)
    head_.append(b.substr(0, std::min(b.size(), kMagicBytes - head_.size())));
  if (keep_) {
    if (content_.size() + b.size() > ctx_.cfg().store_depth) {
      keep_ = false;
      kept_cut_ = true;
      content_ = std::string();
    } else {
      content_.append(b);
    }
  }
}

void TrackedFile::gap(uint64_t len) {
  if (state_ != FileState::kOpen) return;
  if (!gaps_) ++ctx_.ctr().file_gaps;
  gaps_ = true;
  size_ += len;
  keep_ = false;
  content_ = std::string();
}

void TrackedFile::close() {
  finish(gaps_ ? FileState::kTruncated : FileState::kClosed);
}

void TrackedFile::truncate() {
  finish(FileState::kTruncated);
}

void TrackedFile::finish(FileState st) {
  if (state_ != FileState::kOpen) return;
  state_ = st;
  ++(st == FileState::kClosed ? ctx_.ctr().file_closed : ctx_.ctr().file_truncated);
  if (ctx_.cfg().magic && !magic_done_) {
    magic_done_ = true;
    magic_ = ctx_.magic(head_);
  }
  head_ = std::string();
  std::string md5 = h_->md5.final_hex(), sha1 = h_->sha1.final_hex(), sha256 = h_->sha256.final_hex();
  h_.reset();
  // A hash of part of a file names no file: only closed files get them.
  if (st == FileState::kClosed) {
    if (ctx_.cfg().md5) md5_ = std::move(md5);
    if (ctx_.cfg().sha1) sha1_ = std::move(sha1);
    sha256_ = std::move(sha256);  // also for filestore's file name; logged only when configured
  }
  // The content stays (if kept) until the file is freed with its
  // transaction: filestore rules run on the update that follows the end.
  if (store_wanted_) try_store();
}

void TrackedFile::request_store(uint32_t sid) {
  if (sid != 0 && sids_.size() < kMaxSids && std::find(sids_.begin(), sids_.end(), sid) == sids_.end())
    sids_.push_back(sid);
  if (store_wanted_ || stored_) return;
  store_wanted_ = true;
  if (state_ != FileState::kOpen) try_store();
}

void TrackedFile::try_store() {
  if (stored_) return;
  if (state_ != FileState::kClosed) {
    ++ctx_.ctr().file_store_not_closed;
  } else if (kept_cut_) {
    ++ctx_.ctr().file_store_depth;
  } else if (keep_) {
    stored_ = ctx_.store(sha256_, content_);
  }
  content_ = std::string();
  keep_ = false;
}

void TrackedFile::to_eve(nlohmann::ordered_json& out) const {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  j["filename"] = eve_string(name_);
  if (!sids_.empty()) j["sid"] = sids_;  // Suricata writes it only when a filestore rule matched
  if (!magic_.empty()) j["magic"] = magic_;
  j["gaps"] = gaps_;
  j["state"] = state_ == FileState::kClosed      ? "CLOSED"
               : state_ == FileState::kTruncated ? "TRUNCATED"
                                                 : "UNKNOWN";
  if (!md5_.empty()) j["md5"] = md5_;
  if (!sha1_.empty()) j["sha1"] = sha1_;
  if (!sha256_.empty() && ctx_.cfg().sha256) j["sha256"] = sha256_;
  j["stored"] = stored_;
  j["size"] = size_;
  j["tx_id"] = tx_id_;
  out["fileinfo"] = std::move(j);
}

}  // namespace vigil

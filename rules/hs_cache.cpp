#include "rules/hs_cache.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "common/file_io.h"

namespace vigil::rules {

namespace {

constexpr const char* kEngineVersion = "vigil-rules-2";  // bump when the database layout changes

// Keeps the newest few database files: every rule update writes a new one.
void prune_cache(const std::string& dir) {
  constexpr size_t kKeep = 4;
  std::error_code ec;
  std::vector<std::pair<std::filesystem::file_time_type, std::filesystem::path>> files;
  for (auto& e : std::filesystem::directory_iterator(dir, ec)) {
    auto name = e.path().filename().string();
    if (name.rfind("vigil-hs-", 0) != 0 || e.path().extension() != ".db") continue;
    files.emplace_back(e.last_write_time(ec), e.path());
  }
  if (files.size() <= kKeep) return;
  std::sort(files.begin(), files.end(), [](auto& a, auto& b) { return a.first > b.first; });
  for (size_t i = kKeep; i < files.size(); ++i) std::filesystem::remove(files[i].second, ec);
}

}  // namespace

CacheKey::CacheKey() : h_(1469598103934665603ull) {
  add(kEngineVersion);
}

void CacheKey::add(std::string_view s) {
  for (unsigned char c : s) {
    h_ ^= c;
    h_ *= 1099511628211ull;
  }
  h_ ^= 0xff;
  h_ *= 1099511628211ull;
}

std::string hs_cache_path(const std::string& dir, const CacheKey& key) {
  if (dir.empty()) return "";
  char buf[32];
  snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(key.value()));
  return (std::filesystem::path(dir) / (std::string("vigil-hs-") + buf + ".db")).string();
}

bool hs_cache_load(const std::string& path, const std::vector<PatternDb*>& dbs) {
  std::string blob;
  if (!read_file(path, blob)) return false;
  size_t pos = 0;
  bool ok = true;
  for (auto* d : dbs) {
    uint64_t len = 0;
    if (pos + 8 > blob.size()) {
      ok = false;
      break;
    }
    memcpy(&len, blob.data() + pos, 8);
    pos += 8;
    if (pos + len > blob.size() ||
        hs_deserialize_database(blob.data() + pos, size_t(len), &d->db) != HS_SUCCESS) {
      ok = false;
      break;
    }
    pos += size_t(len);
  }
  if (!ok || pos != blob.size()) {
    for (auto* d : dbs) {
      if (d->db) hs_free_database(d->db);
      d->db = nullptr;
    }
    return false;
  }
  std::error_code ec;  // a hit counts as use: pruning keeps the recently used
  std::filesystem::last_write_time(path, std::filesystem::file_time_type::clock::now(), ec);
  return true;
}

void hs_cache_store(const std::string& dir, const std::string& path, const std::vector<PatternDb*>& dbs) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  std::string blob;
  for (auto* d : dbs) {
    char* bytes = nullptr;
    size_t len = 0;
    if (hs_serialize_database(d->db, &bytes, &len) != HS_SUCCESS) break;
    uint64_t l64 = len;
    blob.append(reinterpret_cast<const char*>(&l64), 8);
    blob.append(bytes, len);
    free(bytes);
  }
  std::string tmp = path + "." + std::to_string(getpid()) + ".tmp";
  std::ofstream out(tmp, std::ios::binary);
  out.write(blob.data(), std::streamsize(blob.size()));
  out.close();
  if (out) std::filesystem::rename(tmp, path, ec);
  prune_cache(dir);
}

}  // namespace vigil::rules

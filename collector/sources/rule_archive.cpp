#include "collector/sources/rule_archive.h"

#include <archive.h>
#include <archive_entry.h>

#include <memory>

namespace vigil::collector {
namespace {

using ArchivePtr = std::unique_ptr<struct archive, decltype(&archive_read_free)>;

bool ends_with(const std::string& s, const char* suffix) {
  std::string_view v(suffix);
  return s.size() >= v.size() && s.compare(s.size() - v.size(), v.size(), v) == 0;
}

std::string mib(uint64_t bytes) {
  return std::to_string(bytes >> 20) + " MiB";
}

std::string error_of(struct archive* a, const std::string& what) {
  const char* e = archive_error_string(a);
  return what + ": " + (e ? e : "unreadable");
}

// Only the decompressors linked into libarchive: filter_all would also run
// external programs (lrzip, lzop, ...) for formats it has no library for.
// The format is recognised when the archive is opened: null + *error then.
ArchivePtr open_reader(const std::string& data, bool raw, std::string* error) {
  ArchivePtr a(archive_read_new(), archive_read_free);
  if (!a) {
    *error = "out of memory";
    return a;
  }
  archive_read_support_filter_gzip(a.get());
  archive_read_support_filter_bzip2(a.get());
  archive_read_support_filter_xz(a.get());
  if (raw) {
    archive_read_support_format_raw(a.get());
  } else {
    archive_read_support_format_tar(a.get());  // ustar, GNU, pax, v7
    archive_read_support_format_zip(a.get());
  }
  if (archive_read_open_memory(a.get(), data.data(), data.size()) != ARCHIVE_OK) {
    *error = error_of(a.get(), raw ? "unreadable" : "not a tar or zip archive");
    a.reset();
  }
  return a;
}

enum class Pass { kOk, kNotArchive, kError };

// One pass over the archive (or the raw stream); bare_name names the single
// member of a raw read.
Pass read_members(const std::string& data, bool raw, const std::string& bare_name, const ArchiveLimits& lim,
                  std::vector<RuleFile>* out, std::string* error) {
  ArchivePtr a = open_reader(data, raw, error);
  if (!a) return raw ? Pass::kError : Pass::kNotArchive;
  uint64_t members = 0, total = 0;
  char buf[1 << 16];
  for (;;) {
    struct archive_entry* e = nullptr;
    int rc = archive_read_next_header(a.get(), &e);
    if (rc == ARCHIVE_EOF) break;
    if (rc == ARCHIVE_WARN) rc = ARCHIVE_OK;  // e.g. an unknown pax keyword: the member is still fine
    if (rc != ARCHIVE_OK) {
      *error = error_of(a.get(), members == 0 ? "not a tar or zip archive" : "corrupt archive");
      return members == 0 && !raw ? Pass::kNotArchive : Pass::kError;
    }
    if (++members > lim.max_members) {
      *error = "more than " + std::to_string(lim.max_members) + " members (refused as an archive bomb)";
      return Pass::kError;
    }
    const char* path = archive_entry_pathname(e);
    std::string name = raw ? bare_name : path ? path : "";
    // Hard links and symlinks name other members (or anything on a disk);
    // only a regular member's own bytes are rule text.
    bool keep = archive_entry_filetype(e) == AE_IFREG && !archive_entry_hardlink(e) &&
                !archive_entry_symlink(e) && ends_with(name, ".rules");
    std::string text;
    // Every member's data is read (skipped ones into nothing), so the
    // inflated total is counted whatever the member is.
    for (;;) {
      la_ssize_t n = archive_read_data(a.get(), buf, sizeof buf);
      if (n == 0) break;
      if (n < 0) {
        if (n == ARCHIVE_WARN) continue;
        *error = error_of(a.get(), "corrupt member " + name);
        return Pass::kError;
      }
      total += static_cast<uint64_t>(n);
      if (total > lim.max_total_bytes) {
        *error = "inflates to more than " + mib(lim.max_total_bytes) + " (refused as an archive bomb)";
        return Pass::kError;
      }
      if (!keep) continue;
      if (text.size() + static_cast<uint64_t>(n) > lim.max_member_bytes) {
        *error = "member " + name + " inflates to more than " + mib(lim.max_member_bytes) +
                 " (refused as an archive bomb)";
        return Pass::kError;
      }
      text.append(buf, static_cast<size_t>(n));
    }
    if (keep) out->push_back({std::move(name), std::move(text)});
  }
  return Pass::kOk;
}

}  // namespace

bool read_rule_feed(const std::string& data, const std::string& name, std::vector<RuleFile>* out,
                    std::string* error, const ArchiveLimits& limits) {
  std::vector<RuleFile> files;
  Pass p = read_members(data, false, "", limits, &files, error);
  if (p == Pass::kNotArchive) {
    std::string bare = ends_with(name, ".gz") ? name.substr(0, name.size() - 3) : name;
    if (!ends_with(bare, ".rules")) {
      *error = name + ": " + *error + " (and not named .rules or .rules.gz)";
      return false;
    }
    files.clear();
    p = read_members(data, true, bare, limits, &files, error);
  }
  if (p != Pass::kOk) {
    *error = name + ": " + *error;
    return false;
  }
  *out = std::move(files);
  return true;
}

}  // namespace vigil::collector

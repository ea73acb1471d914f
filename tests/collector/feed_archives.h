// Builders of rule-feed archives for the collector tests: ustar headers and
// GNU long-name records written byte by byte (independent of the reader
// under test), gzip through zlib, zip and pax through libarchive's writer.
#pragma once

#include <archive.h>
#include <archive_entry.h>
#include <zlib.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

namespace vigil::collector::test {

// One 512-byte ustar header with a valid checksum.
inline std::string tar_header(const std::string& name, uint64_t size, char type = '0',
                              const std::string& link = "") {
  char h[512] = {0};
  std::strncpy(h, name.c_str(), 99);
  std::snprintf(h + 100, 8, "%07o", 0644);
  std::snprintf(h + 124, 12, "%011llo", static_cast<unsigned long long>(size));
  std::snprintf(h + 136, 12, "%011o", 0);
  h[156] = type;
  std::strncpy(h + 157, link.c_str(), 99);
  std::memcpy(h + 257, "ustar", 6);
  std::memcpy(h + 263, "00", 2);
  std::memset(h + 148, ' ', 8);
  unsigned sum = 0;
  for (unsigned char c : h) sum += c;
  std::snprintf(h + 148, 8, "%06o", sum);
  return std::string(h, 512);
}

inline std::string tar_pad(size_t n) {
  return std::string((512 - n % 512) % 512, '\0');
}

struct TarMember {
  TarMember(std::string n, std::string t, char ty = '0', std::string l = "")
      : name(std::move(n)), text(std::move(t)), type(ty), link(std::move(l)) {}
  std::string name, text;
  char type;  // '0' file, '1' hard link, '2' symlink, '5' directory (tar_of)
  std::string link;
};

// A ustar archive; names longer than 99 bytes get a GNU 'L' long-name record.
inline std::string tar_of(const std::vector<TarMember>& files) {
  std::string t;
  for (const auto& f : files) {
    if (f.name.size() > 99) {
      std::string longname = f.name + '\0';
      t += tar_header("././@LongLink", longname.size(), 'L');
      t += longname + tar_pad(longname.size());
    }
    t += tar_header(f.name, f.type == '0' ? f.text.size() : 0, f.type, f.link);
    if (f.type == '0') t += f.text + tar_pad(f.text.size());
  }
  t.append(1024, '\0');
  return t;
}

inline std::string gzip(const std::string& s, int level = Z_DEFAULT_COMPRESSION) {
  z_stream z{};
  deflateInit2(&z, level, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY);
  std::string out(compressBound(static_cast<uLong>(s.size())) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(s.data()));
  z.avail_in = static_cast<uInt>(s.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

// An archive written by libarchive (format: ARCHIVE_FORMAT_ZIP,
// ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, ...); members with a link are symlinks.
inline std::string libarchive_of(int format, const std::vector<TarMember>& files) {
  struct archive* a = archive_write_new();
  archive_write_set_format(a, format);
  std::vector<char> buf(1 << 20);
  size_t used = 0;
  archive_write_open_memory(a, buf.data(), buf.size(), &used);
  for (const auto& f : files) {
    struct archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, f.name.c_str());
    if (f.link.empty()) {
      archive_entry_set_filetype(e, AE_IFREG);
      archive_entry_set_size(e, static_cast<la_int64_t>(f.text.size()));
    } else {
      archive_entry_set_filetype(e, AE_IFLNK);
      archive_entry_set_symlink(e, f.link.c_str());
    }
    archive_entry_set_perm(e, 0644);
    archive_write_header(a, e);
    if (f.link.empty()) archive_write_data(a, f.text.data(), f.text.size());
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
  return std::string(buf.data(), used);
}

}  // namespace vigil::collector::test

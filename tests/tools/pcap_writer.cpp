#include "tests/tools/pcap_writer.h"

#include <algorithm>
#include <stdexcept>

namespace vigil::test {
namespace {

void put_le32(std::string& s, uint32_t v) {
  for (int i = 0; i < 4; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void put_le16(std::string& s, uint16_t v) {
  s.push_back(static_cast<char>(v & 0xff));
  s.push_back(static_cast<char>(v >> 8));
}

}  // namespace

std::string pcap_global_header(uint32_t linktype, uint32_t snaplen) {
  std::string h;
  put_le32(h, 0xa1b2c3d4);  // microsecond resolution
  put_le16(h, 2);
  put_le16(h, 4);
  put_le32(h, 0);  // thiszone
  put_le32(h, 0);  // sigfigs
  put_le32(h, snaplen);
  put_le32(h, linktype);
  return h;
}

PcapWriter::PcapWriter(const std::string& path, uint32_t linktype, uint32_t snaplen)
    : path_(path), snaplen_(snaplen) {
  f_ = std::fopen(path.c_str(), "wb");
  if (!f_) throw std::runtime_error("PcapWriter: cannot create " + path);
  std::string h = pcap_global_header(linktype, snaplen);
  if (std::fwrite(h.data(), 1, h.size(), f_) != h.size())
    throw std::runtime_error("PcapWriter: write failed");
}

PcapWriter::~PcapWriter() {
  if (f_) std::fclose(f_);
}

void PcapWriter::write(Timestamp ts, std::span<const uint8_t> frame, uint32_t orig_len) {
  if (!f_) throw std::runtime_error("PcapWriter: write after close: " + path_);
  uint32_t caplen = static_cast<uint32_t>(std::min<size_t>(frame.size(), snaplen_));
  std::string rec;
  put_le32(rec, static_cast<uint32_t>(ts.sec));
  put_le32(rec, static_cast<uint32_t>(ts.usec));
  put_le32(rec, caplen);
  put_le32(rec, orig_len ? orig_len : static_cast<uint32_t>(frame.size()));
  if (std::fwrite(rec.data(), 1, rec.size(), f_) != rec.size() ||
      (caplen && std::fwrite(frame.data(), 1, caplen, f_) != caplen)) {
    throw std::runtime_error("PcapWriter: write failed: " + path_);
  }
  ++records_;
}

void PcapWriter::close() {
  if (!f_) return;
  int rc = std::fclose(f_);
  f_ = nullptr;
  if (rc != 0) throw std::runtime_error("PcapWriter: close failed: " + path_);
}

void write_raw_file(const std::string& path, std::span<const uint8_t> bytes) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) throw std::runtime_error("write_raw_file: cannot create " + path);
  bool ok = bytes.empty() || std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  ok = (std::fclose(f) == 0) && ok;
  if (!ok) throw std::runtime_error("write_raw_file: write failed: " + path);
}

}  // namespace vigil::test

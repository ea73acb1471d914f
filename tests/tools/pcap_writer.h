// PcapWriter: writes classic libpcap capture files (microsecond magic
// 0xa1b2c3d4, little endian, version 2.4) for tests that need a capture on
// disk: the decoder, flow, app-layer and agent integration tests build frames
// with packet_builder.h and write them here.
//
// Test-only code: errors throw std::runtime_error (a broken fixture should fail
// the test loudly). One writer per file, single thread. The file is flushed and
// closed by close() or the destructor; read it only after that.
#pragma once

#include <cstdint>
#include <cstdio>
#include <span>
#include <string>

#include "common/time.h"

namespace vigil::test {

// Link types used by the tests (values of libpcap's DLT_*/LINKTYPE_*).
enum LinkType : uint32_t {
  kLinkNull = 0,  // BSD loopback, AF value in host byte order of the writer
  kLinkEthernet = 1,
  kLinkRaw = 12,    // DLT_RAW on most systems (101 is LINKTYPE_RAW)
  kLinkRaw14 = 14,  // DLT_RAW on some BSDs
  kLinkRawLinktype = 101,
  kLinkLoop = 108,  // OpenBSD loopback, AF value in network byte order
  kLinkSll = 113,   // Linux cooked capture v1
  kLinkIpv4 = 228,
  kLinkIpv6 = 229,
  kLinkSll2 = 276,  // Linux cooked capture v2
};

class PcapWriter {
 public:
  // Creates (truncates) `path` and writes the global header.
  explicit PcapWriter(const std::string& path, uint32_t linktype = kLinkEthernet, uint32_t snaplen = 262144);
  ~PcapWriter();
  PcapWriter(const PcapWriter&) = delete;
  PcapWriter& operator=(const PcapWriter&) = delete;

  // Appends one record. The captured length is min(frame.size(), snaplen);
  // orig_len is the length on the wire (0 means frame.size()).
  void write(Timestamp ts, std::span<const uint8_t> frame, uint32_t orig_len = 0);
  // Flushes and closes; further writes throw. Idempotent.
  void close();
  uint64_t records() const { return records_; }

 private:
  std::FILE* f_ = nullptr;
  std::string path_;
  uint32_t snaplen_;
  uint64_t records_ = 0;
};

// Writes `bytes` verbatim to `path`: for truncated or corrupt capture files.
void write_raw_file(const std::string& path, std::span<const uint8_t> bytes);

// Bytes of a classic pcap global header, for hand-built malformed captures.
std::string pcap_global_header(uint32_t linktype = kLinkEthernet, uint32_t snaplen = 262144);

}  // namespace vigil::test

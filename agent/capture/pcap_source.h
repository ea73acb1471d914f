// PcapSource: packets from a capture file (pcap or pcapng) or a live
// interface through libpcap. The OS-specific parts of live capture (interface
// options) stay in this one class so a port to Npcap stays a port.
//
// Threading: used by the reader thread only.
#pragma once

#include <pcap/pcap.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/counters.h"
#include "common/packet.h"

namespace vigil {

struct LiveOptions {
  std::string iface;
  int snaplen = 262144;
  bool promisc = true;
  int buffer_size_mb = 0;  // 0: auto_buffer_size_mb(iface)
  bool immediate = true;
  std::string bpf;
};

// The capture ring when capture.buffer-size-mb is 0: 8 MiB, or 8 MiB per Gb/s
// of the link's speed (/sys/class/net/IFACE/speed) above 1 Gb/s, at most
// 64 MiB. The whole ring stays resident while the capture is open.
int auto_buffer_size_mb(const std::string& iface);
// The same from a speed in Mb/s (0 or less: unknown).
int buffer_size_mb_for_speed(long mbps);

class PcapSource {
 public:
  PcapSource() = default;
  ~PcapSource();
  PcapSource(const PcapSource&) = delete;
  PcapSource& operator=(const PcapSource&) = delete;

  // Returns "" on success or a message a person can act on.
  std::string open_file(const std::string& path, const std::string& bpf);
  std::string open_live(const LiveOptions& opt);

  int linktype() const { return linktype_; }
  bool is_live() const { return live_; }
  // The kernel capture buffer asked for, in MiB (live).
  int buffer_size_mb() const { return buffer_size_mb_; }

  // Reads the next packet. Return values: 1 a packet (*cap filled: time,
  // its 1-based number, link type, frame view valid until the next call,
  // wire length), 0 timeout with no packet (live only, after at most
  // kLiveTimeoutMs without one, so the caller's timers run on a silent link;
  // *cap untouched),
  // -1 end of file, -2 error (message in error()). A file cut in the middle
  // of a packet ends with -2 and the error is counted, not fatal.
  int next(CaptureInfo* cap);
  // An idle live capture wakes the reader this often (4 times a second):
  // timers, counter publication and stop requests wait at most this long.
  static constexpr int kLiveTimeoutMs = 250;
  // Without capture.immediate, a packet waits at most this long in a ring
  // block that is not full yet.
  static constexpr int kBlockTimeoutMs = 10;
  // stdio buffer of a capture file (see open_file).
  static constexpr size_t kFileBufferBytes = size_t(1) << 20;
  const std::string& error() const { return error_; }

  // Ask a blocking live read to return (from another thread / signal handler).
  void break_loop();

  // Joins the live capture's socket to kernel fan-out group *group (unset:
  // a new group, its id written back). "" or why not (agent/capture/fanout_bpf.h).
  std::string join_fanout(std::optional<uint16_t>* group);

  // capture.kernel_packets, capture.kernel_drops, capture.kernel_ifdrops
  // (live), capture.read_errors (truncated or corrupt files).
  void visit_counters(const CounterVisitor& f) const;
  // Refreshes the kernel counters from pcap_stats (live only).
  void refresh_stats();

 private:
  pcap_t* p_ = nullptr;
  // The FILE's buffer: stdio ignores the size asked of setvbuf unless it is
  // given the buffer. Freed after pcap_close (the destructor closes p_ first).
  std::unique_ptr<char[]> file_buf_;
  int linktype_ = 0;
  bool live_ = false;
  int buffer_size_mb_ = 0;
  int live_fd_ = -1;  // live, non-blocking: next() polls it for kLiveTimeoutMs
  bool nano_ = false;
  uint64_t packets_read_ = 0;  // numbers the packets (pcap_cnt)
  std::string error_;
  // Written by the reader, read by the stats thread.
  std::atomic<uint64_t> kernel_packets_{0}, kernel_drops_{0}, kernel_ifdrops_{0}, read_errors_{0};
};

}  // namespace vigil

#include "agent/capture/pcap_source.h"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "agent/capture/fanout_bpf.h"

namespace vigil {

PcapSource::~PcapSource() {
  if (p_) pcap_close(p_);
}

static std::string apply_filter(pcap_t* p, const std::string& bpf, bool live) {
  if (bpf.empty()) return "";
  struct bpf_program prog;
  if (pcap_compile(p, &prog, bpf.c_str(), 1, live ? PCAP_NETMASK_UNKNOWN : 0) != 0) {
    return "BPF filter '" + bpf + "': " + pcap_geterr(p);
  }
  int rc = pcap_setfilter(p, &prog);
  pcap_freecode(&prog);
  if (rc != 0) return "BPF filter '" + bpf + "': " + pcap_geterr(p);
  return "";
}

std::string PcapSource::open_file(const std::string& path, const std::string& bpf) {
  char err[PCAP_ERRBUF_SIZE] = {0};
  // Ask for nanosecond precision so pcapng/nano files keep it; we print microseconds.
  if (path == "-") {
    p_ = pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, err);
  } else {
    // Our own FILE with a large buffer: libpcap reads every record with two
    // freads, and stdio's default buffer is the file system's block (4 KiB),
    // so a 1 GB capture cost about 260,000 read calls, 15% of a one-worker
    // run's CPU on a virtual machine. libpcap closes the FILE in pcap_close.
    FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) return "cannot read capture file '" + path + "': " + std::strerror(errno);
    file_buf_ = std::make_unique<char[]>(kFileBufferBytes);
    std::setvbuf(f, file_buf_.get(), _IOFBF, kFileBufferBytes);
    p_ = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, err);
    if (!p_) std::fclose(f);
  }
  if (!p_) return "cannot read capture file '" + path + "': " + err;
  nano_ = pcap_get_tstamp_precision(p_) == PCAP_TSTAMP_PRECISION_NANO;
  linktype_ = pcap_datalink(p_);
  live_ = false;
  return apply_filter(p_, bpf, false);
}

int auto_buffer_size_mb(const std::string& iface) {
  long mbps = 0;
  if (iface.find('/') == std::string::npos && iface != "." && iface != "..") {
    std::ifstream f("/sys/class/net/" + iface + "/speed");
    if (!(f >> mbps)) mbps = 0;  // no such file, or "Invalid argument" (lo, a link down)
  }
  return buffer_size_mb_for_speed(mbps);
}

int buffer_size_mb_for_speed(long mbps) {
  if (mbps <= 1000) return 8;
  return int(std::min<long>(64, mbps * 8 / 1000));
}

std::string PcapSource::open_live(const LiveOptions& o) {
  char err[PCAP_ERRBUF_SIZE] = {0};
  p_ = pcap_create(o.iface.c_str(), err);
  if (!p_) return "cannot open interface '" + o.iface + "': " + err;
  pcap_set_snaplen(p_, o.snaplen);
  pcap_set_promisc(p_, o.promisc ? 1 : 0);
  buffer_size_mb_ = o.buffer_size_mb > 0 ? o.buffer_size_mb : auto_buffer_size_mb(o.iface);
  pcap_set_buffer_size(p_, buffer_size_mb_ * 1024 * 1024);
  pcap_set_immediate_mode(p_, o.immediate ? 1 : 0);
  // Not immediate: the kernel hands over a ring block when it is full or
  // kBlockTimeoutMs after its first packet, one wake-up per block instead of
  // one per packet.
  pcap_set_timeout(p_, kBlockTimeoutMs);
  int rc = pcap_activate(p_);
  if (rc < 0) {
    std::string why = pcap_geterr(p_);
    if (rc == PCAP_ERROR_PERM_DENIED) why += " (run as root or grant CAP_NET_RAW)";
    if (rc == PCAP_ERROR_NO_SUCH_DEVICE) why = "no such interface";
    return "cannot capture on '" + o.iface + "': " + why;
  }
  linktype_ = pcap_datalink(p_);
  live_ = true;
  // Non-blocking with our own poll: on Linux (TPACKET_V3) a blocking read
  // waits for the first packet however long that takes, so a silent link
  // never returned 0 and the counters of its last packets were not published.
  int fd = pcap_get_selectable_fd(p_);
  if (fd >= 0 && pcap_setnonblock(p_, 1, err) == 0) live_fd_ = fd;
  return apply_filter(p_, o.bpf, true);
}

int PcapSource::next(CaptureInfo* cap) {
  struct pcap_pkthdr* h = nullptr;
  const u_char* data = nullptr;
  int rc = pcap_next_ex(p_, &h, &data);
  if (rc == 0 && live_fd_ >= 0) {
    struct pollfd pfd {
      live_fd_, POLLIN, 0
    };
    if (poll(&pfd, 1, kLiveTimeoutMs) > 0) rc = pcap_next_ex(p_, &h, &data);
  }
  if (rc == 1) {
    cap->ts.sec = h->ts.tv_sec;
    cap->ts.usec = static_cast<int32_t>(nano_ ? h->ts.tv_usec / 1000 : h->ts.tv_usec);
    cap->pcap_cnt = ++packets_read_;
    cap->linktype = linktype_;
    cap->frame = Bytes(data, h->caplen);
    cap->wire_len = h->len;
    return 1;
  }
  if (rc == 0) return 0;
  if (rc == PCAP_ERROR_BREAK) return -1;
  error_ = pcap_geterr(p_);
  ++read_errors_;
  return -2;
}

std::string PcapSource::join_fanout(std::optional<uint16_t>* group) {
  if (!p_ || !live_) return "not a live capture";
  return join_fanout_group(pcap_fileno(p_), group);
}

void PcapSource::break_loop() {
  if (p_) pcap_breakloop(p_);
}

void PcapSource::refresh_stats() {
  if (!p_ || !live_) return;
  struct pcap_stat st;
  if (pcap_stats(p_, &st) == 0) {
    kernel_packets_ = st.ps_recv;
    kernel_drops_ = st.ps_drop;
    kernel_ifdrops_ = st.ps_ifdrop;
  }
}

void PcapSource::visit_counters(const CounterVisitor& f) const {
  if (live_) {
    f("capture.kernel_packets", kernel_packets_);
    f("capture.kernel_drops", kernel_drops_);
    f("capture.kernel_ifdrops", kernel_ifdrops_);
  }
  f("capture.read_errors", read_errors_);
}

}  // namespace vigil

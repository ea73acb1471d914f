// ChecksumSampler: the checksum "auto" mode decision, as Suricata's. A
// capture whose first 1000 IP packets (each tunnel layer counted, as the
// worker handles them) are more than 1 in 10 bad was taken where the NIC
// computes checksums (offload); checking them would throw the traffic away,
// so checks go off for the rest of the run. Fed by the worker with one
// worker, by the capture reader with several (so that one decision holds for
// the whole capture whatever the number of workers). One thread; no
// allocation.
#pragma once

#include <cstdint>

#include "common/packet.h"

namespace vigil {

class ChecksumSampler {
 public:
  static constexpr uint32_t kSample = 1000;
  // Counts p if it is an IP packet. True on the packet that ends sampling;
  // checks_off() then says the decision.
  bool add(const Packet& p) {
    if (done() || p.ip_version == 0) return false;
    ++sampled_;
    if (p.l4_csum_bad || p.ipv4_csum_bad) ++bad_;
    return done();
  }
  bool done() const { return sampled_ >= kSample; }
  bool checks_off() const { return done() && uint64_t{bad_} * 10 > sampled_; }
  uint32_t sampled() const { return sampled_; }
  uint32_t bad() const { return bad_; }

 private:
  uint32_t sampled_ = 0, bad_ = 0;
};

}  // namespace vigil

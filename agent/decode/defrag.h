// Defrag: IPv4 and IPv6 fragment reassembly for one worker's Decoder.
//
// Trackers are keyed by (src, dst, id, IPv4 protocol, VLAN ids) and capped by
// DecodeConfig: defrag_memcap (bytes of fragment data and headers held),
// defrag_max_trackers and defrag_timeout_s (packet time, from a tracker's
// first fragment). Every cap that drops a fragment is counted.
//
// Overlaps follow Suricata's default "bsd" policy, made order-independent:
// every payload byte covered by several fragments comes from the fragment
// with the lowest offset; between fragments with the same offset, from the
// one that arrived first. (BSD keeps old data unless the new fragment starts
// before the old one.) Each fragment that overlaps held data counts once in
// defrag.overlap.
//
// The rebuilt datagram takes the IP header (IPv6: the unfragmentable part)
// of the offset-0 fragment, with lengths fixed, fragment bits cleared
// (IPv4, checksum recomputed) or the fragment header removed (IPv6).
//
// Threading: owned by one worker. Memory: trackers and fragment copies are
// allocated when fragments arrive (fragmented traffic only; the reassembly
// buffer is allocated once). The span returned by add() stays valid until the
// next add().
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "agent/decode/layers.h"

namespace vigil::decode {

class Defrag {
 public:
  enum class Result : uint8_t {
    kHeld,      // stored, datagram not complete yet
    kComplete,  // `out` holds the whole datagram
    kDropped,   // a cap was hit (counted); not an anomaly of the packet
    kInvalid,   // the fragment is malformed (anomaly counted)
  };

  Defrag(const DecodeConfig& cfg, DecodeCounters& c);
  // `f` as filled by the IP decoder for packet `p` (addresses, VLAN, time).
  Result add(const FragInfo& f, const Packet& p, Bytes& out);
  // Drops trackers whose first fragment is older than the timeout.
  void expire(Timestamp now);
  size_t trackers() const { return trackers_.size(); }
  uint64_t memory() const { return mem_; }

 private:
  struct Key {
    IpAddr src, dst;
    uint32_t id = 0;
    uint8_t proto = 0;  // IPv4 only: IPv6 fragments of one datagram share the id
    uint16_t vlan[2] = {0, 0};
    friend bool operator==(const Key&, const Key&) = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const;
  };
  struct Frag {
    uint32_t offset = 0, len = 0, seq = 0;
    std::vector<uint8_t> data;
  };
  struct Tracker {
    Timestamp first_seen;
    bool v6 = false;
    bool have_first = false, have_last = false;
    uint32_t end = 0;  // payload length, known once the last fragment arrived
    uint32_t next_seq = 0;
    uint16_t nh_offset = 0;
    uint8_t proto = 0;
    std::vector<uint8_t> unfrag;
    std::vector<Frag> frags;
    uint64_t mem = 0;
  };

  bool timed_out(const Tracker& t, Timestamp now) const;
  void drop(std::unordered_map<Key, Tracker, KeyHash>::iterator it);
  bool complete(Tracker& t);
  Bytes rebuild(Tracker& t);

  const DecodeConfig& cfg_;
  DecodeCounters& c_;
  std::unordered_map<Key, Tracker, KeyHash> trackers_;
  uint64_t mem_ = 0;
  std::vector<uint8_t> out_;
};

}  // namespace vigil::decode

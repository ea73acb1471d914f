// Decoder: turns a captured frame into a Packet (common/packet.h). One decoder
// per protocol lives in this folder (ethernet.cpp, vlan.cpp, sll.cpp, sll2.cpp,
// raw.cpp, null.cpp, ppp.cpp, chdlc.cpp, ipv4.cpp, ipv6.cpp, tcp.cpp, udp.cpp, icmp.cpp,
// icmpv6.cpp, gre.cpp, erspan.cpp, vxlan.cpp, geneve.cpp, ipip.cpp, teredo.cpp);
// decoders never call each other: the next layer is chosen from one dispatch
// table in decoder.cpp. IP fragments are reassembled by defrag.{h,cpp}.
// Counter names are in decode_counters.h; decisions in README.md.
//
// Threading: one Decoder per worker. Malformed input is a named, counted
// anomaly ("decoder.event.ipv4.trunc_pkt", ...); decode never throws or crashes.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "common/counters.h"
#include "common/packet.h"

namespace vigil {

struct DecodeConfig {
  bool checksum_checks = true;  // verify IPv4/TCP/UDP/ICMP checksums (-k none turns off)
  // IP fragment reassembly caps
  uint64_t defrag_memcap = 32 * 1024 * 1024;  // bytes of fragments held per worker
  uint32_t defrag_max_trackers = 65535;       // datagrams under reassembly per worker
  uint32_t defrag_timeout_s = 60;
  // Tunnels. UDP tunnels are recognised by port, as Suricata does, with its
  // default ports (an empty list turns the protocol off). VXLAN and Geneve
  // match the destination port, Teredo either port (server replies come from
  // 3544).
  std::vector<uint16_t> vxlan_ports{4789};
  std::vector<uint16_t> geneve_ports{6081};
  std::vector<uint16_t> teredo_ports{3544};
  // Tunnels opened inside one frame; the next one is counted
  // (decoder.event.tunnel.too_many_layers) and left closed.
  uint8_t max_tunnel_depth = 8;
};

class Decoder {
 public:
  explicit Decoder(const DecodeConfig& cfg);
  ~Decoder();
  // Decodes p.frame as link type p.linktype and fills the rest of p.
  // Returns false when the packet cannot be used past the link layer (not IP,
  // or malformed: the reason is counted) or when it is a fragment held for
  // reassembly. When a fragment completes a datagram, p describes the whole
  // datagram (p.reassembled = true) and its spans point into memory owned by
  // the decoder, valid until the next decode() call.
  bool decode(Packet& p);
  // True when the packet last decoded (by decode() or decode_tunnel()) carries
  // a tunnel whose inner packet has not been decoded yet.
  bool has_tunnel_packet() const;
  // Decodes the packet inside that tunnel into `inner` (overwritten; its
  // capture fields are the captured frame's, tunnel_depth/tunnel say where it
  // came from). Same return contract as decode(). Call it until
  // has_tunnel_packet() is false, after the carrier has been fully processed:
  // `inner`'s spans point into the carrier's frame or reassembled datagram,
  // valid until the next decode() call. It may end the carrier's spans (a
  // fragment inside the tunnel reuses the defragmenter's buffer).
  bool decode_tunnel(Packet& inner);
  // Drops fragment trackers older than the timeout (counted). Packet time.
  void expire(Timestamp now);
  void visit_counters(const CounterVisitor& f) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Hash used by the capture reader to pick a worker: symmetric in direction and
// computed from the IP address pair (and VLAN ids) only, so every fragment of
// a datagram and both directions of a flow land on the same worker.
// Frames that are not IP hash to 0. The link layers are decoded with the
// decoder's own tables (fanout.cpp).
//
// Threading: one Fanout per reader thread; hash() allocates nothing.
class Fanout {
 public:
  Fanout();
  ~Fanout();
  uint32_t hash(int linktype, Bytes frame);

 private:
  struct Scratch;  // what the link decoders write while hash() walks them; never read
  std::unique_ptr<Scratch> s_;
};

// Fanout().hash(linktype, frame), for a single frame (tests, fuzzing).
uint32_t fanout_hash(int linktype, Bytes frame);

}  // namespace vigil

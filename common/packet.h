// Packet: the decoded view of one captured frame, filled by agent/decode and
// read by flow tracking, the app layer and the rules engine.
//
// Lifetime: every span/pointer in a Packet points into the capture buffer (or,
// for a reassembled IP datagram, into the defragmenter's buffer) and is valid
// only until the worker finishes this packet. Anything kept longer is copied.
// Threading: a Packet belongs to exactly one worker thread.
#pragma once

#include <cstdint>
#include <span>

#include "common/ip_addr.h"
#include "common/time.h"

namespace vigil {

using Bytes = std::span<const uint8_t>;

struct FlowView;  // common/flow_view.h

enum class L4 : uint8_t { kNone, kTcp, kUdp, kIcmp, kIcmpv6, kOther };

// Encapsulations the decoder opens (agent/decode/README.md, "Tunnels").
enum class Tunnel : uint8_t { kNone, kGre, kPptp, kErspan, kVxlan, kGeneve, kIpInIp, kTeredo };

// TCP flag bits as on the wire.
enum TcpFlag : uint8_t {
  kTcpFin = 0x01,
  kTcpSyn = 0x02,
  kTcpRst = 0x04,
  kTcpPsh = 0x08,
  kTcpAck = 0x10,
  kTcpUrg = 0x20,
  kTcpEce = 0x40,
  kTcpCwr = 0x80,
};

struct TcpInfo {
  uint32_t seq = 0, ack = 0;
  uint8_t flags = 0;
  uint8_t hlen = 0;  // header length in bytes, options included
  uint16_t window = 0;
  uint16_t urg_ptr = 0;
  // options (present_* false when absent)
  bool has_mss = false, has_wscale = false, sack_permitted = false, has_ts = false;
  uint16_t mss = 0;
  uint8_t wscale = 0;
  uint32_t ts_val = 0, ts_ecr = 0;
  uint8_t sack_blocks = 0;
};

struct IcmpInfo {
  uint8_t type = 0, code = 0;
  bool has_id_seq = false;  // echo/timestamp/info messages carry id and seq
  uint16_t id = 0, seq = 0;
};

// What the capture says about one frame. Filled once by the capture reader
// and copied as one value into every Packet made from the frame: the captured
// packet, a datagram reassembled from it, each packet inside its tunnels.
struct CaptureInfo {
  Timestamp ts;
  uint64_t pcap_cnt = 0;  // 1-based packet number in the capture, as Suricata's pcap_cnt
  int linktype = 0;       // DLT_* of the capture
  Bytes frame;            // captured bytes (caplen)
  uint32_t wire_len = 0;  // original length on the wire
};

// The capture fields are a base, so that every layer keeps reading p.ts,
// p.frame, ... and they are copied in one assignment.
struct Packet : CaptureInfo {
  Packet() = default;
  explicit Packet(const CaptureInfo& c) : CaptureInfo(c) {}
  const CaptureInfo& capture() const { return *this; }

  // --- link layer ---
  uint16_t vlan_id[2] = {0, 0};
  uint8_t vlan_count = 0;

  // --- network layer ---
  uint8_t ip_version = 0;  // 0 (not IP), 4 or 6
  IpAddr src, dst;
  Bytes l3;                  // IP header start through end of IP payload (IP total length, not frame)
  uint16_t ip_hlen = 0;      // IPv4 header incl. options / IPv6 fixed + ext headers
  uint8_t ip_proto = 0;      // IPv4 protocol / IPv6 final next-header
  uint8_t ttl = 0;           // TTL / hop limit
  uint8_t tos = 0;           // TOS / traffic class
  uint32_t ip_id = 0;        // IPv4 id (16 bits) / IPv6 fragment id (32 bits)
  uint16_t frag_offset = 0;  // in 8-byte units, as on the wire
  bool frag_df = false, frag_mf = false, frag_rf = false;
  bool is_fragment = false;    // a fragment that was not (yet) reassembled
  bool reassembled = false;    // l3 points into a reassembled datagram
  bool ipv4_csum_bad = false;  // header checksum did not verify (only set when checked)

  // --- transport layer ---
  L4 l4 = L4::kNone;
  uint16_t sp = 0, dp = 0;  // ports (0 for ICMP)
  TcpInfo tcp;
  IcmpInfo icmp;
  bool l4_csum_bad = false;  // TCP/UDP/ICMP checksum did not verify (only set when checked)
  Bytes payload;             // L4 payload (application bytes), clipped to the IP length

  // --- anomalies ---
  // True when the packet could not be decoded far enough to be used by flow
  // tracking and detection (the reason is counted in the decoder's counters).
  bool invalid = false;
  // The IP layer decoded but the transport (or tunnel) header after it is
  // malformed: l4 is kNone, ports and payload are empty, the packet joins no
  // flow and only `ip` rules can match it (as Suricata).
  bool l4_invalid = false;

  // --- tunnels ---
  // A frame carrying a tunnel yields several packets: first the captured one
  // (the carrier, depth 0), then the packet inside each tunnel, one per
  // layer, every one decoded, tracked and inspected on its own.
  uint8_t tunnel_depth = 0;        // tunnels this packet came out of
  Tunnel tunnel = Tunnel::kNone;   // the innermost of them (kNone at depth 0)
  Tunnel carries = Tunnel::kNone;  // this packet's payload is a tunnel of this kind
  bool no_flow = false;            // not tracked in a flow (l4_invalid, GRE / IP-in-IP carriers)

  // --- set by flow tracking (the agent's Flow is a FlowView) ---
  FlowView* flow = nullptr;
  bool to_server = true;  // direction relative to the flow initiator
};

}  // namespace vigil

// Packet builder: hand-made frames with correct lengths and checksums for
// tests of every layer (decoder, flow/TCP, app layer, agent integration).
//
// Test-only code, single thread. Every function returns a fresh byte vector;
// nothing is shared. Bad arguments (an unparsable address, a fragment offset
// that is not a multiple of 8) throw std::invalid_argument.
//
// Quick use:
//   using namespace vigil::test;
//   auto syn = tcp4("10.0.0.1", "10.0.0.2", 40000, 80, 1000, 0, kTcpSyn, "");
//   auto req = tcp4("10.0.0.1", "10.0.0.2", 40000, 80, 1001, 5001, kTcpAck | kTcpPsh,
//                   "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
//   auto dns = udp6("2001:db8::1", "2001:db8::2", 5353, 53, query_bytes);
//   FrameOpts o; o.vlans = {100, 200}; o.ttl = 3;          // QinQ, TTL 3
//   auto tagged = udp4("10.0.0.1", "10.0.0.2", 1, 2, "x", o);
//   PcapWriter w(path); w.write({1700000000, 0}, syn);     // pcap_writer.h
//
// Frames are Ethernet (link kEthernet, DLT 1) unless FrameOpts::link says
// otherwise; Ethernet frames are zero-padded to the 60-byte minimum as real
// links do (FrameOpts::pad_ethernet = false turns that off). The payload of
// every function is a std::string_view (binary bytes are fine: build it with
// std::string(reinterpret_cast<const char*>(p), n) or use as_sv()).
//
// Layer-by-layer building (for malformed packets or odd protocols):
//   auto ip = ipv4_datagram(src, dst, proto, l4_bytes, opts);   // IP only
//   auto frame = link_frame(ip, opts);                          // + link header
// then edit bytes at known offsets (Ethernet header 14 bytes, +4 per VLAN tag;
// IPv4 header 20 bytes + options; IPv6 40 bytes + extension headers) and call
// fix_ipv4_checksum() if the edit should keep the IP checksum valid.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::test {

using Buf = std::vector<uint8_t>;

// TCP flag bits (same values as vigil::TcpFlag in common/packet.h).
inline constexpr uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kAck = 0x10, kUrg = 0x20,
                         kEce = 0x40, kCwr = 0x80;

// Link layer wrapped around the IP datagram. DLT values in comments.
enum class Link : uint8_t {
  kEthernet,  // 1
  kRaw,       // 12/101: bare IP datagram, no link header
  kSll,       // 113: Linux cooked v1
  kSll2,      // 276: Linux cooked v2
  kNull,      // 0: BSD loopback, 4-byte AF in little-endian (the common host order)
  kLoop,      // 108: 4-byte AF in network byte order
};
// The pcap link type to write a capture of `link` frames with.
uint32_t dlt_of(Link link);

struct TcpOptions {
  uint16_t mss = 0;  // 0: absent
  int wscale = -1;   // -1: absent
  bool sack_permitted = false;
  bool timestamps = false;  // TSval/TSecr below
  uint32_t ts_val = 0, ts_ecr = 0;
  // Appended verbatim after the options above (for malformed-option tests).
  // The whole option block is padded with EOL to a multiple of 4 bytes.
  Buf raw;
};

// One IPv6 extension header. `body` is what follows the next-header and
// length bytes; the builder pads it with zeros (Pad1 options) to the header's
// size rule and fills next-header and length. Types: 0 hop-by-hop, 43 routing,
// 60 destination options, 44 fragment (body must be 6 bytes: use
// ipv6_fragment() instead), 51 AH (length in 4-byte units), 50 ESP.
struct Ipv6Ext {
  uint8_t type = 0;
  Buf body;
};

struct FrameOpts {
  // --- link ---
  Link link = Link::kEthernet;
  std::vector<uint16_t> vlans;   // 0, 1 or 2 VLAN ids, outer first
  uint16_t outer_tpid = 0x8100;  // with two tags: 0x88a8 or 0x9100 for QinQ
  uint8_t src_mac[6] = {0x02, 0, 0, 0, 0, 0x01};
  uint8_t dst_mac[6] = {0x02, 0, 0, 0, 0, 0x02};
  bool pad_ethernet = true;  // zero-pad Ethernet frames to 60 bytes
  // --- IPv4 ---
  uint8_t ttl = 64;  // also the IPv6 hop limit
  uint8_t tos = 0;   // also the IPv6 traffic class
  uint16_t ip_id = 0x1234;
  bool df = false, mf = false;
  uint16_t frag_offset = 0;      // in 8-byte units, as on the wire
  Buf ip_options;                // IPv4 options, padded with EOL to a multiple of 4
  bool bad_ip_checksum = false;  // store the IPv4 header checksum off by one
  // --- IPv6 ---
  uint32_t flow_label = 0;
  std::vector<Ipv6Ext> ext;  // extension headers in order, before the L4 header
  // --- TCP/UDP/ICMP ---
  uint16_t window = 65535;
  uint16_t urg_ptr = 0;
  TcpOptions tcp;
  bool bad_l4_checksum = false;  // store the TCP/UDP/ICMP checksum off by one
};

// ---- whole frames (link header per opts.link) ----
Buf tcp4(std::string_view src, std::string_view dst, uint16_t sp, uint16_t dp, uint32_t seq, uint32_t ack,
         uint8_t flags, std::string_view payload, const FrameOpts& o = {});
Buf udp4(std::string_view src, std::string_view dst, uint16_t sp, uint16_t dp, std::string_view payload,
         const FrameOpts& o = {});
// ICMP echo/timestamp style message: type, code, id, seq, then payload.
Buf icmp4(std::string_view src, std::string_view dst, uint8_t type, uint8_t code, uint16_t id, uint16_t seq,
          std::string_view payload, const FrameOpts& o = {});
// ICMP error (3 unreachable, 11 time exceeded, ...): 4 unused bytes (or
// `rest`), then `quoted`, normally the start of the offending IP datagram.
Buf icmp4_error(std::string_view src, std::string_view dst, uint8_t type, uint8_t code,
                std::span<const uint8_t> quoted, uint32_t rest = 0, const FrameOpts& o = {});
Buf tcp6(std::string_view src, std::string_view dst, uint16_t sp, uint16_t dp, uint32_t seq, uint32_t ack,
         uint8_t flags, std::string_view payload, const FrameOpts& o = {});
Buf udp6(std::string_view src, std::string_view dst, uint16_t sp, uint16_t dp, std::string_view payload,
         const FrameOpts& o = {});
// ICMPv6 echo (128 request, 129 reply) style: type, code, id, seq, payload.
Buf icmp6(std::string_view src, std::string_view dst, uint8_t type, uint8_t code, uint16_t id, uint16_t seq,
          std::string_view payload, const FrameOpts& o = {});
// ICMPv6 error (1 unreachable, 2 too big, 3 time exceeded, 4 parameter problem).
Buf icmp6_error(std::string_view src, std::string_view dst, uint8_t type, uint8_t code,
                std::span<const uint8_t> quoted, uint32_t rest = 0, const FrameOpts& o = {});
// An ARP request (ethertype 0x0806) on Ethernet, honouring opts.vlans.
Buf arp_request(std::string_view sender_ip, std::string_view target_ip, const FrameOpts& o = {});

// ---- layer by layer ----
// L4 headers with the checksum computed over the pseudo-header of src/dst.
Buf tcp_segment(std::string_view src, std::string_view dst, uint16_t sp, uint16_t dp, uint32_t seq,
                uint32_t ack, uint8_t flags, std::string_view payload, const FrameOpts& o = {});
Buf udp_datagram(std::string_view src, std::string_view dst, uint16_t sp, uint16_t dp,
                 std::string_view payload, const FrameOpts& o = {});
// ICMP (v4 when src is IPv4, v6 otherwise: ICMPv6 sums the pseudo-header).
Buf icmp_message(std::string_view src, std::string_view dst, uint8_t type, uint8_t code, uint32_t rest,
                 std::span<const uint8_t> body, const FrameOpts& o = {});
// IP header(s) + l4. IPv6 puts opts.ext between the fixed header and l4.
Buf ipv4_datagram(std::string_view src, std::string_view dst, uint8_t proto, std::span<const uint8_t> l4,
                  const FrameOpts& o = {});
Buf ipv6_datagram(std::string_view src, std::string_view dst, uint8_t proto, std::span<const uint8_t> l4,
                  const FrameOpts& o = {});
// Wraps an IP datagram (or, with ethertype, anything) in opts.link's header.
Buf link_frame(std::span<const uint8_t> ip, const FrameOpts& o = {});
Buf ethernet_frame(std::span<const uint8_t> l3, uint16_t ethertype, const FrameOpts& o = {});

// ---- fragments (each result is a bare IP datagram: wrap with link_frame) ----
// Splits a whole IPv4 datagram into in-order fragments carrying at most
// `max_data` payload bytes each (rounded down to a multiple of 8).
std::vector<Buf> fragment_ipv4(std::span<const uint8_t> datagram, size_t max_data);
// One IPv4 fragment of `datagram`'s header (id, addresses, proto, options)
// carrying `data` at byte `offset` (multiple of 8) with MF = more. `data` need
// not match the original payload: overlapping fragments with different bytes.
Buf ipv4_fragment(std::span<const uint8_t> datagram, size_t offset, std::span<const uint8_t> data, bool more);
// IPv6: the unfragmentable part is the fixed header (opts.ext of the original
// are treated as fragmentable). A fragment header (id) is inserted.
std::vector<Buf> fragment_ipv6(std::span<const uint8_t> datagram, size_t max_data, uint32_t id);
Buf ipv6_fragment(std::span<const uint8_t> datagram, size_t offset, std::span<const uint8_t> data, bool more,
                  uint32_t id);

// ---- tunnels (each result is a tunnel header + payload: wrap it with
// ipv4_datagram(..., 47, ...) for GRE or udp4(..., 4789, ...) for VXLAN) ----
struct GreOpts {
  uint8_t version = 0;    // 1: PPTP enhanced GRE (key always present)
  bool checksum = false;  // C bit: checksum (computed) + reserved offset
  bool key = false;       // K bit (version 0)
  uint32_t key_value = 0;
  bool seq = false;  // S bit
  uint32_t seq_value = 0;
  bool ack = false;  // version 1: A bit
  uint32_t ack_value = 0;
  uint16_t call_id = 0;  // version 1: low half of the key
};
// GRE header for `proto` (0x0800, 0x86dd, 0x6558, 0x880b, 0x88be, ...) + payload.
// Version 1 puts the payload length in the key's high half.
Buf gre_packet(uint16_t proto, std::span<const uint8_t> payload, const GreOpts& o = {});
// VXLAN header (I flag, `vni`) + an Ethernet frame.
Buf vxlan_packet(uint32_t vni, std::span<const uint8_t> ethernet);
// Geneve header (version 0, protocol type `proto`, `vni`) + options (a whole
// number of 4-byte words, each option's length byte consistent) + payload.
Buf geneve_packet(uint16_t proto, uint32_t vni, std::span<const uint8_t> options,
                  std::span<const uint8_t> payload);

// ---- helpers ----
// RFC 1071 one's-complement sum folded and inverted.
uint16_t inet_checksum(std::span<const uint8_t> data, uint32_t initial = 0);
// Recomputes the header checksum of the IPv4 header starting at `ip_off`.
void fix_ipv4_checksum(Buf& buf, size_t ip_off);
// Length of the link header opts.link/vlans would put before the IP header.
size_t link_header_len(const FrameOpts& o = {});
inline std::string_view as_sv(std::span<const uint8_t> b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

}  // namespace vigil::test

#include "tests/tools/packet_builder.h"

#include <algorithm>
#include <stdexcept>

#include "common/ip_addr.h"

namespace vigil::test {
namespace {

IpAddr addr(std::string_view s) {
  auto a = IpAddr::parse(s);
  if (!a) throw std::invalid_argument("packet_builder: bad address " + std::string(s));
  return *a;
}

void put16(Buf& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v));
}
void put32(Buf& b, uint32_t v) {
  put16(b, static_cast<uint16_t>(v >> 16));
  put16(b, static_cast<uint16_t>(v));
}
void set16(Buf& b, size_t off, uint16_t v) {
  b[off] = static_cast<uint8_t>(v >> 8);
  b[off + 1] = static_cast<uint8_t>(v);
}
uint16_t get16(std::span<const uint8_t> b, size_t off) {
  return static_cast<uint16_t>((b[off] << 8) | b[off + 1]);
}

uint32_t sum_words(std::span<const uint8_t> d, uint32_t acc) {
  size_t i = 0;
  for (; i + 1 < d.size(); i += 2) acc += (uint32_t(d[i]) << 8) | d[i + 1];
  if (i < d.size()) acc += uint32_t(d[i]) << 8;
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  return acc;
}

// One's-complement sum of the pseudo-header (RFC 793 / RFC 8200 section 8.1).
uint32_t pseudo_sum(const IpAddr& s, const IpAddr& d, uint8_t proto, uint32_t len) {
  uint32_t acc = sum_words({s.b.data(), s.len()}, 0);
  acc = sum_words({d.b.data(), d.len()}, acc);
  acc += proto;
  acc += (len >> 16) + (len & 0xffff);
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  return acc;
}

void append(Buf& b, std::string_view s) {
  b.insert(b.end(), s.begin(), s.end());
}
void append(Buf& b, std::span<const uint8_t> s) {
  b.insert(b.end(), s.begin(), s.end());
}

// Stores the L4 checksum at `off` of an L4 message sent src -> dst.
void finish_l4(Buf& l4, size_t off, std::string_view src, std::string_view dst, uint8_t proto, bool pseudo,
               bool zero_is_ffff, const FrameOpts& o) {
  uint32_t acc = pseudo ? pseudo_sum(addr(src), addr(dst), proto, static_cast<uint32_t>(l4.size())) : 0;
  uint16_t c = inet_checksum(l4, acc);
  if (c == 0 && zero_is_ffff) c = 0xffff;  // UDP: 0 means "no checksum"
  if (o.bad_l4_checksum) c ^= 0x0001;
  set16(l4, off, c);
}

uint16_t ethertype_of(std::span<const uint8_t> ip) {
  if (!ip.empty() && (ip[0] >> 4) == 6) return 0x86dd;
  return 0x0800;
}

}  // namespace

uint32_t dlt_of(Link link) {
  switch (link) {
    case Link::kEthernet:
      return 1;
    case Link::kRaw:
      return 101;
    case Link::kSll:
      return 113;
    case Link::kSll2:
      return 276;
    case Link::kNull:
      return 0;
    case Link::kLoop:
      return 108;
  }
  return 1;
}

uint16_t inet_checksum(std::span<const uint8_t> data, uint32_t initial) {
  return static_cast<uint16_t>(~sum_words(data, initial) & 0xffff);
}

void fix_ipv4_checksum(Buf& buf, size_t ip_off) {
  size_t hlen = size_t(buf.at(ip_off) & 0x0f) * 4;
  set16(buf, ip_off + 10, 0);
  set16(buf, ip_off + 10, inet_checksum({buf.data() + ip_off, hlen}));
}

size_t link_header_len(const FrameOpts& o) {
  switch (o.link) {
    case Link::kEthernet:
      return 14 + 4 * o.vlans.size();
    case Link::kRaw:
      return 0;
    case Link::kSll:
      return 16;
    case Link::kSll2:
      return 20;
    case Link::kNull:
    case Link::kLoop:
      return 4;
  }
  return 0;
}

Buf tcp_segment(std::string_view src, std::string_view dst, uint16_t sp, uint16_t dp, uint32_t seq,
                uint32_t ack, uint8_t flags, std::string_view payload, const FrameOpts& o) {
  Buf opt;
  const TcpOptions& t = o.tcp;
  if (t.mss) {
    opt.insert(opt.end(), {2, 4});
    put16(opt, t.mss);
  }
  if (t.sack_permitted) opt.insert(opt.end(), {4, 2});
  if (t.timestamps) {
    opt.insert(opt.end(), {8, 10});
    put32(opt, t.ts_val);
    put32(opt, t.ts_ecr);
  }
  if (t.wscale >= 0) opt.insert(opt.end(), {1, 3, 3, static_cast<uint8_t>(t.wscale)});
  append(opt, t.raw);
  while (opt.size() % 4) opt.push_back(0);
  if (opt.size() > 40) throw std::invalid_argument("packet_builder: TCP options longer than 40 bytes");

  Buf b;
  put16(b, sp);
  put16(b, dp);
  put32(b, seq);
  put32(b, ack);
  b.push_back(static_cast<uint8_t>(((20 + opt.size()) / 4) << 4));
  b.push_back(flags);
  put16(b, o.window);
  put16(b, 0);
  put16(b, o.urg_ptr);
  append(b, opt);
  append(b, payload);
  finish_l4(b, 16, src, dst, 6, true, false, o);
  return b;
}

Buf udp_datagram(std::string_view src, std::string_view dst, uint16_t sp, uint16_t dp,
                 std::string_view payload, const FrameOpts& o) {
  Buf b;
  put16(b, sp);
  put16(b, dp);
  put16(b, static_cast<uint16_t>(8 + payload.size()));
  put16(b, 0);
  append(b, payload);
  finish_l4(b, 6, src, dst, 17, true, true, o);
  return b;
}

Buf icmp_message(std::string_view src, std::string_view dst, uint8_t type, uint8_t code, uint32_t rest,
                 std::span<const uint8_t> body, const FrameOpts& o) {
  bool v6 = addr(src).family == 6;
  Buf b{type, code, 0, 0};
  put32(b, rest);
  append(b, body);
  finish_l4(b, 2, src, dst, 58, v6, false, o);
  return b;
}

Buf ipv4_datagram(std::string_view src, std::string_view dst, uint8_t proto, std::span<const uint8_t> l4,
                  const FrameOpts& o) {
  IpAddr s = addr(src), d = addr(dst);
  if (s.family != 4 || d.family != 4)
    throw std::invalid_argument("packet_builder: IPv4 datagram needs v4 addresses");
  Buf opts = o.ip_options;
  while (opts.size() % 4) opts.push_back(0);
  if (opts.size() > 40) throw std::invalid_argument("packet_builder: IPv4 options longer than 40 bytes");
  size_t hlen = 20 + opts.size();
  Buf b;
  b.push_back(static_cast<uint8_t>(0x40 | (hlen / 4)));
  b.push_back(o.tos);
  put16(b, static_cast<uint16_t>(hlen + l4.size()));
  put16(b, o.ip_id);
  put16(b, static_cast<uint16_t>((o.df ? 0x4000 : 0) | (o.mf ? 0x2000 : 0) | (o.frag_offset & 0x1fff)));
  b.push_back(o.ttl);
  b.push_back(proto);
  put16(b, 0);
  b.insert(b.end(), s.b.begin(), s.b.begin() + 4);
  b.insert(b.end(), d.b.begin(), d.b.begin() + 4);
  append(b, opts);
  fix_ipv4_checksum(b, 0);
  if (o.bad_ip_checksum) b[11] ^= 0x01;
  append(b, l4);
  return b;
}

Buf ipv6_datagram(std::string_view src, std::string_view dst, uint8_t proto, std::span<const uint8_t> l4,
                  const FrameOpts& o) {
  IpAddr s = addr(src), d = addr(dst);
  if (s.family != 6 || d.family != 6)
    throw std::invalid_argument("packet_builder: IPv6 datagram needs v6 addresses");
  Buf ext;
  for (size_t i = 0; i < o.ext.size(); ++i) {
    const Ipv6Ext& e = o.ext[i];
    uint8_t next = i + 1 < o.ext.size() ? o.ext[i + 1].type : proto;
    if (e.type == 50) {  // ESP: opaque from here on
      append(ext, e.body);
      continue;
    }
    Buf h{next, 0};
    append(h, e.body);
    if (e.type == 44) {
      h.resize(8, 0);
    } else {
      while (h.size() % 8) h.push_back(0);
      h[1] = static_cast<uint8_t>(e.type == 51 ? h.size() / 4 - 2 : h.size() / 8 - 1);
    }
    append(ext, h);
  }
  Buf b;
  b.push_back(static_cast<uint8_t>(0x60 | (o.tos >> 4)));
  b.push_back(static_cast<uint8_t>(((o.tos & 0x0f) << 4) | ((o.flow_label >> 16) & 0x0f)));
  put16(b, static_cast<uint16_t>(o.flow_label));
  put16(b, static_cast<uint16_t>(ext.size() + l4.size()));
  b.push_back(o.ext.empty() ? proto : o.ext[0].type);
  b.push_back(o.ttl);
  b.insert(b.end(), s.b.begin(), s.b.end());
  b.insert(b.end(), d.b.begin(), d.b.end());
  append(b, ext);
  append(b, l4);
  return b;
}

Buf ethernet_frame(std::span<const uint8_t> l3, uint16_t ethertype, const FrameOpts& o) {
  Buf b(o.dst_mac, o.dst_mac + 6);
  b.insert(b.end(), o.src_mac, o.src_mac + 6);
  for (size_t i = 0; i < o.vlans.size(); ++i) {
    put16(b, i == 0 && o.vlans.size() > 1 ? o.outer_tpid : 0x8100);
    put16(b, o.vlans[i] & 0x0fff);
  }
  put16(b, ethertype);
  append(b, l3);
  if (o.pad_ethernet && b.size() < 60) b.resize(60, 0);
  return b;
}

Buf link_frame(std::span<const uint8_t> ip, const FrameOpts& o) {
  uint16_t et = ethertype_of(ip);
  bool v6 = et == 0x86dd;
  Buf b;
  switch (o.link) {
    case Link::kEthernet:
      return ethernet_frame(ip, et, o);
    case Link::kRaw:
      break;
    case Link::kSll:
      put16(b, 0);  // packet addressed to us
      put16(b, 1);  // ARPHRD_ETHER
      put16(b, 6);
      b.insert(b.end(), o.src_mac, o.src_mac + 6);
      put16(b, 0);
      put16(b, et);
      break;
    case Link::kSll2:
      put16(b, et);
      put16(b, 0);
      put32(b, 2);  // interface index
      put16(b, 1);  // ARPHRD_ETHER
      b.push_back(0);
      b.push_back(6);
      b.insert(b.end(), o.src_mac, o.src_mac + 6);
      put16(b, 0);
      break;
    case Link::kNull:  // AF_INET 2, AF_INET6 24 (NetBSD/OpenBSD value), little endian
      b.insert(b.end(), {static_cast<uint8_t>(v6 ? 24 : 2), 0, 0, 0});
      break;
    case Link::kLoop:
      put32(b, v6 ? 24 : 2);
      break;
  }
  append(b, ip);
  return b;
}

Buf tcp4(std::string_view src, std::string_view dst, uint16_t sp, uint16_t dp, uint32_t seq, uint32_t ack,
         uint8_t flags, std::string_view payload, const FrameOpts& o) {
  return link_frame(ipv4_datagram(src, dst, 6, tcp_segment(src, dst, sp, dp, seq, ack, flags, payload, o), o),
                    o);
}
Buf udp4(std::string_view src, std::string_view dst, uint16_t sp, uint16_t dp, std::string_view payload,
         const FrameOpts& o) {
  return link_frame(ipv4_datagram(src, dst, 17, udp_datagram(src, dst, sp, dp, payload, o), o), o);
}
Buf icmp4(std::string_view src, std::string_view dst, uint8_t type, uint8_t code, uint16_t id, uint16_t seq,
          std::string_view payload, const FrameOpts& o) {
  std::span<const uint8_t> body(reinterpret_cast<const uint8_t*>(payload.data()), payload.size());
  return link_frame(
      ipv4_datagram(src, dst, 1, icmp_message(src, dst, type, code, (uint32_t(id) << 16) | seq, body, o), o),
      o);
}
Buf icmp4_error(std::string_view src, std::string_view dst, uint8_t type, uint8_t code,
                std::span<const uint8_t> quoted, uint32_t rest, const FrameOpts& o) {
  return link_frame(ipv4_datagram(src, dst, 1, icmp_message(src, dst, type, code, rest, quoted, o), o), o);
}
Buf tcp6(std::string_view src, std::string_view dst, uint16_t sp, uint16_t dp, uint32_t seq, uint32_t ack,
         uint8_t flags, std::string_view payload, const FrameOpts& o) {
  return link_frame(ipv6_datagram(src, dst, 6, tcp_segment(src, dst, sp, dp, seq, ack, flags, payload, o), o),
                    o);
}
Buf udp6(std::string_view src, std::string_view dst, uint16_t sp, uint16_t dp, std::string_view payload,
         const FrameOpts& o) {
  return link_frame(ipv6_datagram(src, dst, 17, udp_datagram(src, dst, sp, dp, payload, o), o), o);
}
Buf icmp6(std::string_view src, std::string_view dst, uint8_t type, uint8_t code, uint16_t id, uint16_t seq,
          std::string_view payload, const FrameOpts& o) {
  std::span<const uint8_t> body(reinterpret_cast<const uint8_t*>(payload.data()), payload.size());
  return link_frame(
      ipv6_datagram(src, dst, 58, icmp_message(src, dst, type, code, (uint32_t(id) << 16) | seq, body, o), o),
      o);
}
Buf icmp6_error(std::string_view src, std::string_view dst, uint8_t type, uint8_t code,
                std::span<const uint8_t> quoted, uint32_t rest, const FrameOpts& o) {
  return link_frame(ipv6_datagram(src, dst, 58, icmp_message(src, dst, type, code, rest, quoted, o), o), o);
}

Buf arp_request(std::string_view sender_ip, std::string_view target_ip, const FrameOpts& o) {
  IpAddr s = addr(sender_ip), t = addr(target_ip);
  Buf b;
  put16(b, 1);       // Ethernet
  put16(b, 0x0800);  // IPv4
  b.push_back(6);
  b.push_back(4);
  put16(b, 1);  // request
  b.insert(b.end(), o.src_mac, o.src_mac + 6);
  b.insert(b.end(), s.b.begin(), s.b.begin() + 4);
  b.insert(b.end(), 6, 0);
  b.insert(b.end(), t.b.begin(), t.b.begin() + 4);
  return ethernet_frame(b, 0x0806, o);
}

Buf ipv4_fragment(std::span<const uint8_t> datagram, size_t offset, std::span<const uint8_t> data,
                  bool more) {
  if (offset % 8 || offset / 8 > 0x1fff) throw std::invalid_argument("packet_builder: bad fragment offset");
  size_t hlen = size_t(datagram[0] & 0x0f) * 4;
  Buf b(datagram.begin(), datagram.begin() + hlen);
  set16(b, 2, static_cast<uint16_t>(hlen + data.size()));
  uint16_t df = get16(datagram, 6) & 0x4000;
  set16(b, 6, static_cast<uint16_t>(df | (more ? 0x2000 : 0) | (offset / 8)));
  fix_ipv4_checksum(b, 0);
  append(b, data);
  return b;
}

std::vector<Buf> fragment_ipv4(std::span<const uint8_t> datagram, size_t max_data) {
  size_t hlen = size_t(datagram[0] & 0x0f) * 4;
  size_t total = get16(datagram, 2);
  std::span<const uint8_t> payload = datagram.subspan(hlen, total - hlen);
  size_t chunk = max_data & ~size_t(7);
  if (chunk == 0) throw std::invalid_argument("packet_builder: fragment size under 8");
  std::vector<Buf> out;
  for (size_t off = 0; off < payload.size(); off += chunk) {
    size_t n = std::min(chunk, payload.size() - off);
    out.push_back(ipv4_fragment(datagram, off, payload.subspan(off, n), off + n < payload.size()));
  }
  return out;
}

Buf ipv6_fragment(std::span<const uint8_t> datagram, size_t offset, std::span<const uint8_t> data, bool more,
                  uint32_t id) {
  if (offset % 8 || offset / 8 > 0x1fff) throw std::invalid_argument("packet_builder: bad fragment offset");
  Buf b(datagram.begin(), datagram.begin() + 40);
  set16(b, 4, static_cast<uint16_t>(8 + data.size()));
  b[6] = 44;
  b.push_back(datagram[6]);
  b.push_back(0);
  put16(b, static_cast<uint16_t>((offset / 8) << 3 | (more ? 1 : 0)));
  put32(b, id);
  append(b, data);
  return b;
}

std::vector<Buf> fragment_ipv6(std::span<const uint8_t> datagram, size_t max_data, uint32_t id) {
  std::span<const uint8_t> payload = datagram.subspan(40, get16(datagram, 4));
  size_t chunk = max_data & ~size_t(7);
  if (chunk == 0) throw std::invalid_argument("packet_builder: fragment size under 8");
  std::vector<Buf> out;
  for (size_t off = 0; off < payload.size(); off += chunk) {
    size_t n = std::min(chunk, payload.size() - off);
    out.push_back(ipv6_fragment(datagram, off, payload.subspan(off, n), off + n < payload.size(), id));
  }
  return out;
}

Buf gre_packet(uint16_t proto, std::span<const uint8_t> payload, const GreOpts& o) {
  Buf b;
  uint8_t f0 = 0, f1 = o.version & 0x07;
  if (o.checksum) f0 |= 0x80;
  if (o.key || o.version == 1) f0 |= 0x20;
  if (o.seq) f0 |= 0x10;
  if (o.ack) f1 |= 0x80;
  b.push_back(f0);
  b.push_back(f1);
  put16(b, proto);
  if (o.checksum) put32(b, 0);  // checksum and reserved, checksum filled below
  if (o.version == 1)
    put32(b, (uint32_t(payload.size()) << 16) | o.call_id);
  else if (o.key)
    put32(b, o.key_value);
  if (o.seq) put32(b, o.seq_value);
  if (o.ack) put32(b, o.ack_value);
  append(b, payload);
  if (o.checksum) set16(b, 4, inet_checksum(b));
  return b;
}

Buf vxlan_packet(uint32_t vni, std::span<const uint8_t> ethernet) {
  Buf b{0x08, 0, 0, 0};
  put32(b, vni << 8);
  append(b, ethernet);
  return b;
}

Buf geneve_packet(uint16_t proto, uint32_t vni, std::span<const uint8_t> options,
                  std::span<const uint8_t> payload) {
  if (options.size() % 4 != 0 || options.size() > 63 * 4)
    throw std::invalid_argument("geneve options must be whole words, at most 252 bytes");
  Buf b{static_cast<uint8_t>(options.size() / 4), 0};
  put16(b, proto);
  put32(b, vni << 8);
  append(b, options);
  append(b, payload);
  return b;
}

}  // namespace vigil::test

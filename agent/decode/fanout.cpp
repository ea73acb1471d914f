// fanout_hash: the capture reader's worker choice. A light parse (link
// header, up to two VLAN tags, the IP addresses) without the decoders or
// their counters: it runs on the reader thread for every packet. Symmetric
// because the two addresses are ordered before hashing; ports are left out so
// that non-first fragments (which have none) follow their datagram.
// Tunnels are not opened here on purpose: the outer address pair is the same
// for both directions of every flow inside a GRE/VXLAN/Geneve/IP-in-IP tunnel
// (the endpoints swap, the pair does not), and for every fragment of an inner
// datagram, so hashing it keeps an inner flow and its fragments on one
// worker. The price: one tunnel between two hosts is one worker's load.
#include <algorithm>
#include <cstring>

#include "agent/decode/decoder.h"
#include "agent/decode/layers.h"

namespace vigil {
namespace {

using decode::rd16;

// Returns the offset of the network header and its ethertype, or 0 type.
struct L3Start {
  size_t off = 0;
  uint16_t type = 0;
  uint16_t vlan[2] = {0, 0};
};

uint16_t ppp_to_ethertype(uint16_t proto) {
  return proto == 0x0021 ? decode::kEtherIpv4 : proto == 0x0057 ? decode::kEtherIpv6 : 0;
}

L3Start find_l3(int linktype, Bytes f) {
  L3Start r;
  auto by_version = [&](size_t off) {
    if (f.size() > off) {
      if ((f[off] >> 4) == 4) r.type = decode::kEtherIpv4;
      if ((f[off] >> 4) == 6) r.type = decode::kEtherIpv6;
    }
    r.off = off;
  };
  switch (linktype) {
    case 1: {
      if (f.size() < 14) return r;
      size_t off = 12;
      uint16_t type = rd16(f.data() + off);
      for (int n = 0; n < 2 && (type == 0x8100 || type == 0x88a8 || type == 0x9100); ++n) {
        if (f.size() < off + 6) return r;
        r.vlan[n] = rd16(f.data() + off + 2) & 0x0fff;
        off += 4;
        type = rd16(f.data() + off);
      }
      off += 2;
      if (type == decode::kEtherPppoe) {  // PPPoE session + 2-byte PPP protocol
        if (f.size() < off + 8) return r;
        type = ppp_to_ethertype(rd16(f.data() + off + 6));
        off += 8;
      }
      r.off = off;
      r.type = type;
      return r;
    }
    case 9:
    case 50: {
      size_t off = f.size() >= 2 && f[0] == 0xff && f[1] == 0x03 ? 2 : 0;
      if (f.size() <= off) return r;
      if (f[off] & 1) {
        r.type = ppp_to_ethertype(f[off]);
        r.off = off + 1;
      } else if (f.size() >= off + 2) {
        r.type = ppp_to_ethertype(rd16(f.data() + off));
        r.off = off + 2;
      }
      return r;
    }
    case 104:
      if (f.size() < 4) return r;
      r.off = 4;
      r.type = rd16(f.data() + 2);
      return r;
    case 113:
      if (f.size() < 16) return r;
      r.off = 16;
      r.type = rd16(f.data() + 14);
      return r;
    case 276:
      if (f.size() < 20) return r;
      r.off = 20;
      r.type = rd16(f.data());
      return r;
    case 0:
    case 108:
      by_version(4);
      return r;
    case 12:
    case 14:
    case 101:
    case 228:
    case 229:
      by_version(0);
      return r;
    default:
      return r;
  }
}

}  // namespace

uint32_t fanout_hash(int linktype, Bytes frame) {
  L3Start l3 = find_l3(linktype, frame);
  size_t alen, src_off;
  if (l3.type == decode::kEtherIpv4) {
    alen = 4;
    src_off = 12;
  } else if (l3.type == decode::kEtherIpv6) {
    alen = 16;
    src_off = 8;
  } else {
    return 0;
  }
  if (frame.size() < l3.off + src_off + 2 * alen) return 0;
  const uint8_t* a = frame.data() + l3.off + src_off;
  const uint8_t* b = a + alen;
  if (std::memcmp(a, b, alen) > 0) std::swap(a, b);
  // FNV-1a over (lower address, higher address, VLAN ids), then a final mix
  // so that workers chosen by modulo see well-spread low bits.
  uint32_t h = 2166136261u;
  auto mix = [&h](const uint8_t* p, size_t n) {
    for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 16777619u;
  };
  mix(a, alen);
  mix(b, alen);
  uint8_t v[4] = {static_cast<uint8_t>(l3.vlan[0] >> 8), static_cast<uint8_t>(l3.vlan[0]),
                  static_cast<uint8_t>(l3.vlan[1] >> 8), static_cast<uint8_t>(l3.vlan[1])};
  mix(v, sizeof v);
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  return h == 0 ? 1 : h;  // 0 is reserved for "not IP"
}

}  // namespace vigil

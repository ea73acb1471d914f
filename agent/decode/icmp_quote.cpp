#include "agent/decode/icmp_quote.h"

namespace vigil {

namespace {
constexpr uint8_t kIcmp = 1, kIcmpv6 = 58;
}  // namespace

uint8_t icmp_pair_of(uint8_t proto, uint8_t type) {
  if (proto == kIcmp) {
    switch (type) {
      case 8:
      case 0:
        return 8;
      case 13:
      case 14:
        return 13;
      case 15:
      case 16:
        return 15;
      case 17:
      case 18:
        return 17;
      default:
        return 0;
    }
  }
  if (proto == kIcmpv6 && (type == 128 || type == 129)) return 128;
  return 0;
}

bool is_icmp_error(uint8_t proto, uint8_t type) {
  if (proto == kIcmp) return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
  if (proto == kIcmpv6) return type >= 1 && type <= 4;
  return false;
}

bool parse_icmp_quote(uint8_t icmp_proto, Bytes q, IcmpQuote* out) {
  IcmpQuote r;
  size_t l4_off = 0;
  if (icmp_proto == kIcmp) {
    if (q.size() < 20 || (q[0] >> 4) != 4) return false;
    l4_off = size_t(q[0] & 0x0f) * 4;
    if (l4_off < 20 || q.size() < l4_off) return false;
    r.version = 4;
    r.proto = q[9];
    r.src = q.data() + 12;
    r.dst = q.data() + 16;
  } else if (icmp_proto == kIcmpv6) {
    if (q.size() < 40 || (q[0] >> 4) != 6) return false;
    l4_off = 40;
    r.version = 6;
    r.proto = q[6];
    r.src = q.data() + 8;
    r.dst = q.data() + 24;
  } else {
    return false;
  }
  const uint8_t* l4 = q.data() + l4_off;
  const size_t l4_len = q.size() - l4_off;
  if (r.proto == 6 || r.proto == 17) {
    if (l4_len < 4) return false;
    r.sp = uint16_t(l4[0] << 8 | l4[1]);
    r.dp = uint16_t(l4[2] << 8 | l4[3]);
  } else if (r.proto == kIcmp || r.proto == kIcmpv6) {
    if (l4_len < 8 || icmp_pair_of(r.proto, l4[0]) == 0) return false;
    r.icmp_type = l4[0];
    r.icmp_code = l4[1];
    r.icmp_id = uint16_t(l4[4] << 8 | l4[5]);
  } else {
    return false;
  }
  *out = r;
  return true;
}

}  // namespace vigil

// Community ID v1 (https://github.com/corelight/community-id-spec), seed 0:
// base64(sha1(seed, addresses, proto, 0, ports)) with the endpoints put in a
// canonical order so that both directions of a flow give the same id.
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <cstring>

#include "agent/flow/flow_table.h"

namespace vigil {

namespace {

constexpr uint8_t kIcmp = 1, kTcp = 6, kUdp = 17, kIcmpv6 = 58, kSctp = 132;

// The spec's request/reply pairs: a message of one type maps to the type of
// its counterpart, which stands in for the destination port.
int icmp_counterpart(uint8_t type, bool v6) {
  if (!v6) {
    switch (type) {
      case 8:
        return 0;  // echo -> echo reply
      case 0:
        return 8;
      case 13:
        return 14;  // timestamp
      case 14:
        return 13;
      case 15:
        return 16;  // information
      case 16:
        return 15;
      case 10:
        return 9;  // router solicitation / advertisement
      case 9:
        return 10;
      case 17:
        return 18;  // address mask
      case 18:
        return 17;
      default:
        return -1;
    }
  }
  switch (type) {
    case 128:
      return 129;  // echo
    case 129:
      return 128;
    case 130:
      return 131;  // multicast listener query / report
    case 131:
      return 130;
    case 133:
      return 134;  // router solicitation / advertisement
    case 134:
      return 133;
    case 135:
      return 136;  // neighbor solicitation / advertisement
    case 136:
      return 135;
    case 139:
      return 140;  // node information query / response
    case 140:
      return 139;
    case 144:
      return 145;  // home agent address discovery
    case 145:
      return 144;
    default:
      return -1;
  }
}

}  // namespace

std::string community_id_v1(const IpAddr& src, const IpAddr& dst, uint16_t sp, uint16_t dp, uint8_t proto) {
  const IpAddr* a = &src;
  const IpAddr* b = &dst;
  bool one_way = false;
  if (proto == kIcmp || proto == kIcmpv6) {
    // sp carries the type, dp the code.
    const int peer = icmp_counterpart(uint8_t(sp), proto == kIcmpv6);
    if (peer >= 0) {
      dp = uint16_t(peer);
    } else {
      one_way = true;
    }
  }
  const bool has_ports =
      proto == kTcp || proto == kUdp || proto == kSctp || proto == kIcmp || proto == kIcmpv6;
  const size_t alen = src.len();
  const int cmp = std::memcmp(a->b.data(), b->b.data(), alen);
  if (!one_way && !(cmp < 0 || (cmp == 0 && (!has_ports || sp <= dp)))) {
    std::swap(a, b);
    std::swap(sp, dp);
  }
  uint8_t buf[2 + 16 + 16 + 2 + 4];
  size_t n = 0;
  buf[n++] = 0;  // seed, network order
  buf[n++] = 0;
  std::memcpy(buf + n, a->b.data(), alen);
  n += alen;
  std::memcpy(buf + n, b->b.data(), alen);
  n += alen;
  buf[n++] = proto;
  buf[n++] = 0;
  if (has_ports) {
    buf[n++] = uint8_t(sp >> 8);
    buf[n++] = uint8_t(sp);
    buf[n++] = uint8_t(dp >> 8);
    buf[n++] = uint8_t(dp);
  }
  uint8_t digest[SHA_DIGEST_LENGTH];
  SHA1(buf, n, digest);
  unsigned char b64[4 * ((SHA_DIGEST_LENGTH + 2) / 3) + 1];
  const int len = EVP_EncodeBlock(b64, digest, SHA_DIGEST_LENGTH);
  std::string out = "1:";
  out.append(reinterpret_cast<const char*>(b64), size_t(len));
  return out;
}

}  // namespace vigil

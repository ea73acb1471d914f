#include "agent/app/dns_message.h"

#include <cstdio>

namespace vigil::dns {
namespace {

constexpr size_t kMaxRecords = 64;  // records decoded per section
constexpr int kMaxJumps = 64;

uint16_t be16(Bytes b, size_t o) {
  return static_cast<uint16_t>((b[o] << 8) | b[o + 1]);
}
uint32_t be32(Bytes b, size_t o) {
  return (uint32_t{b[o]} << 24) | (uint32_t{b[o + 1]} << 16) | (uint32_t{b[o + 2]} << 8) | b[o + 3];
}

std::string addr_string(Bytes r) {
  char buf[64];
  if (r.size() == 4) {
    std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", r[0], r[1], r[2], r[3]);
    return buf;
  }
  // Suricata writes AAAA uncompressed with leading zeros.
  std::string s;
  for (size_t i = 0; i < 16; i += 2) {
    std::snprintf(buf, sizeof buf, "%s%02x%02x", i ? ":" : "", r[i], r[i + 1]);
    s += buf;
  }
  return s;
}

Error rdata(Bytes msg, size_t off, size_t len, Record& rr) {
  Bytes r = msg.subspan(off, len);
  size_t next = 0;
  switch (rr.type) {
    case 1:  // A
      if (len != 4) return Error::kTruncated;
      rr.rdata = addr_string(r);
      return Error::kNone;
    case 28:  // AAAA
      if (len != 16) return Error::kTruncated;
      rr.rdata = addr_string(r);
      return Error::kNone;
    case 2:   // NS
    case 5:   // CNAME
    case 12:  // PTR
      return read_name(msg.first(off + len), off, rr.rdata, &next);
    case 15:  // MX
      if (len < 3) return Error::kTruncated;
      rr.prio = be16(msg, off);
      return read_name(msg.first(off + len), off + 2, rr.rdata, &next);
    case 33:  // SRV
      if (len < 7) return Error::kTruncated;
      rr.prio = be16(msg, off);
      rr.weight = be16(msg, off + 2);
      rr.port = be16(msg, off + 4);
      return read_name(msg.first(off + len), off + 6, rr.rdata, &next);
    case 6: {  // SOA: mname is what EVE's rdata shows; the rest goes to `soa`
      Bytes m = msg.first(off + len);
      if (auto e = read_name(m, off, rr.rdata, &next); e != Error::kNone) return e;
      // The detail only when all of it is there; a short SOA keeps its mname.
      if (read_name(m, next, rr.soa_rname, &next) != Error::kNone || next + 20 > off + len) {
        rr.soa_rname.clear();
        return Error::kNone;
      }
      for (size_t i = 0; i < 5; ++i) rr.soa_numbers[i] = be32(msg, next + 4 * i);
      rr.has_soa = true;
      return Error::kNone;
    }
    case 16: {  // TXT: character-strings, concatenated
      size_t o = 0;
      while (o < len) {
        size_t l = r[o];
        if (o + 1 + l > len) return Error::kTruncated;
        rr.rdata.append(reinterpret_cast<const char*>(r.data() + o + 1), l);
        o += 1 + l;
      }
      return Error::kNone;
    }
    default:
      return Error::kNone;
  }
}

}  // namespace

Error read_name(Bytes msg, size_t off, std::string& out, size_t* next) {
  size_t o = off;
  size_t total = 0;
  int jumps = 0;
  bool jumped = false;
  size_t limit = off;  // a pointer must point before the label that holds it
  bool first = true;
  while (true) {
    if (o >= msg.size()) return Error::kTruncated;
    uint8_t l = msg[o];
    if (l == 0) {
      if (!jumped) *next = o + 1;
      return Error::kNone;
    }
    if ((l & 0xC0) == 0xC0) {
      if (o + 1 >= msg.size()) return Error::kTruncated;
      size_t ptr = (size_t{l & 0x3Fu} << 8) | msg[o + 1];
      if (!jumped) *next = o + 2;
      jumped = true;
      if (ptr >= limit || ++jumps > kMaxJumps) return Error::kNameLoop;
      limit = ptr;
      o = ptr;
      continue;
    }
    if ((l & 0xC0) != 0) return Error::kBadLabel;
    if (o + 1 + l > msg.size()) return Error::kTruncated;
    total += l + 1;
    if (total > 255) return Error::kNameTooLong;
    if (!first) out.push_back('.');
    first = false;
    out.append(reinterpret_cast<const char*>(msg.data() + o + 1), l);
    o += 1 + l;
    if (!jumped) limit = o;
  }
}

Error parse(Bytes b, Message& m) {
  if (b.size() < 12) return Error::kTruncated;
  m.id = be16(b, 0);
  m.flags = be16(b, 2);
  m.qdcount = be16(b, 4);
  m.ancount = be16(b, 6);
  m.nscount = be16(b, 8);
  m.arcount = be16(b, 10);
  size_t o = 12;
  for (uint16_t i = 0; i < m.qdcount; ++i) {
    Question q;
    size_t next = 0;
    if (auto e = read_name(b, o, q.name, &next); e != Error::kNone) return e;
    if (next + 4 > b.size()) return Error::kTruncated;
    q.type = be16(b, next);
    q.cls = be16(b, next + 2);
    o = next + 4;
    if (m.questions.size() < kMaxRecords) m.questions.push_back(std::move(q));
  }
  for (int sec = 0; sec < 3; ++sec) {
    uint16_t n = sec == 0 ? m.ancount : sec == 1 ? m.nscount : m.arcount;
    auto& vec = sec == 0 ? m.answers : sec == 1 ? m.authorities : m.additionals;
    for (uint16_t i = 0; i < n; ++i) {
      Record rr;
      size_t next = 0;
      if (sec == 2) {  // additionals: keep what decodes, never fail the message
        if (read_name(b, o, rr.name, &next) != Error::kNone || next + 10 > b.size()) return Error::kNone;
        size_t rdlen = be16(b, next + 8);
        rr.type = be16(b, next);
        if (next + 10 + rdlen > b.size() || rdata(b, next + 10, rdlen, rr) != Error::kNone)
          return Error::kNone;
        o = next + 10 + rdlen;
        if (vec.size() < kMaxRecords) vec.push_back(std::move(rr));
        continue;
      }
      if (auto e = read_name(b, o, rr.name, &next); e != Error::kNone) return e;
      if (next + 10 > b.size()) return Error::kTruncated;
      rr.type = be16(b, next);
      rr.cls = be16(b, next + 2);
      rr.ttl = be32(b, next + 4);
      size_t rdlen = be16(b, next + 8);
      o = next + 10;
      if (o + rdlen > b.size()) return Error::kTruncated;
      if (auto e = rdata(b, o, rdlen, rr); e != Error::kNone) return e;
      o += rdlen;
      if (vec.size() < kMaxRecords) vec.push_back(std::move(rr));
    }
  }
  return Error::kNone;
}

std::string_view rrtype_name(uint16_t t) {
  switch (t) {
    case 1:
      return "A";
    case 2:
      return "NS";
    case 5:
      return "CNAME";
    case 6:
      return "SOA";
    case 12:
      return "PTR";
    case 15:
      return "MX";
    case 16:
      return "TXT";
    case 28:
      return "AAAA";
    case 33:
      return "SRV";
    case 35:
      return "NAPTR";
    case 41:
      return "OPT";
    case 43:
      return "DS";
    case 46:
      return "RRSIG";
    case 47:
      return "NSEC";
    case 48:
      return "DNSKEY";
    case 64:
      return "SVCB";
    case 65:
      return "HTTPS";
    case 99:
      return "SPF";
    case 252:
      return "AXFR";
    case 255:
      return "ANY";
    case 257:
      return "CAA";
    default:
      return {};
  }
}

std::string rrtype_string(uint16_t t) {
  auto n = rrtype_name(t);
  if (!n.empty()) return std::string(n);
  return std::to_string(t);
}

std::string_view rcode_name(uint8_t rc) {
  static constexpr std::string_view kNames[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
                                                "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
                                                "NXRRSET", "NOTAUTH", "NOTZONE"};
  return rc < std::size(kNames) ? kNames[rc] : std::string_view("UNKNOWN");
}

}  // namespace vigil::dns

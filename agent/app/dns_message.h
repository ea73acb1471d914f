// DNS message decoding (RFC 1035): header, questions and resource records,
// with name decompression that only follows pointers backwards and never
// reads past the message, so loops and overreads are impossible.
//
// Pure functions on a message held by the caller; results own their bytes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/packet.h"

namespace vigil::dns {

enum class Error : uint8_t { kNone, kTruncated, kNameLoop, kNameTooLong, kBadLabel };

struct Question {
  std::string name;  // dotted, no trailing dot; "" for the root
  uint16_t type = 0, cls = 0;
};

struct Record {
  std::string name;
  uint16_t type = 0, cls = 0;
  uint32_t ttl = 0;
  std::string rdata;  // presentation form: address, name, text (see rr_rdata)
  // SOA / SRV / MX detail for EVE
  uint16_t prio = 0, weight = 0, port = 0;
  // SOA (has_soa): rdata holds mname; then rname and serial, refresh, retry,
  // expire, minimum in wire order.
  bool has_soa = false;
  std::string soa_rname;
  uint32_t soa_numbers[5] = {0, 0, 0, 0, 0};
};

struct Message {
  uint16_t id = 0, flags = 0;
  uint16_t qdcount = 0, ancount = 0, nscount = 0, arcount = 0;
  std::vector<Question> questions;
  std::vector<Record> answers, authorities;
  // The additional section, for rule buffers only (EVE does not log it);
  // decoded up to the first error, which does not fail the message.
  std::vector<Record> additionals;
  bool response() const { return (flags & 0x8000) != 0; }
  uint8_t opcode() const { return (flags >> 11) & 0xF; }
  uint8_t rcode() const { return flags & 0xF; }
};

// Decodes `b`. Returns kNone on success; on error, what was decoded before the
// error stays in `out` (the header at least when b holds 12 bytes).
Error parse(Bytes b, Message& out);

// Name at offset `off`: appends the dotted name to `out`, sets *next to the
// offset after the name's bytes at `off`.
Error read_name(Bytes msg, size_t off, std::string& out, size_t* next);

std::string_view rrtype_name(uint16_t t);  // "A", "AAAA", ... or "TYPE<n>" form via out param
std::string rrtype_string(uint16_t t);
std::string_view rcode_name(uint8_t rc);

}  // namespace vigil::dns

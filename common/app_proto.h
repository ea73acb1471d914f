// Application protocols, as named in EVE's app_proto and in rule headers.
#pragma once

#include <cstdint>
#include <string_view>

namespace vigil {

enum class AppProto : uint8_t {
  kUnknown = 0,  // not (yet) detected
  kFailed,       // detection gave up ("failed" in EVE)
  kHttp,
  kDns,
  kTls,
  kSsh,
  kSmb,
  kFtp,
  kSmtp,
  kFtpData,  // an FTP data connection announced on its control connection
  kHttp2,    // HTTP/2 (h2c prior knowledge; rule header http matches it too)
  kDoh2,     // DNS over HTTP/2: an HTTP/2 flow that carried a DNS request
  kCount
};

// EVE spelling: "http", "dns", "tls", "ssh", "smb", "ftp", "smtp", "http2", "doh2", "failed", "".
std::string_view app_proto_name(AppProto p);
// Accepts rule-header and keyword spellings: http, http1, dns, tls, ssl, ssh, smb, ...
// Returns kUnknown for names it does not know.
AppProto app_proto_from_name(std::string_view name);
// The detected protocols a rule naming `name` (rule header, service,
// app-layer-protocol without `exact`) matches, one bit per AppProto, as
// Suricata's AppProtoEquals: http matches HTTP/1 and HTTP/2 flows, http1 only
// HTTP/1, http2 also doh2 flows, dns also doh2, doh2 also http2 and dns. 0
// for names it does not know.
uint32_t app_proto_match_mask(std::string_view name);

}  // namespace vigil

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
  kCount
};

// EVE spelling: "http", "dns", "tls", "ssh", "smb", "ftp", "smtp", "failed", "".
std::string_view app_proto_name(AppProto p);
// Accepts rule-header and keyword spellings: http, http1, dns, tls, ssl, ssh, smb, ...
// Returns kUnknown for names it does not know.
AppProto app_proto_from_name(std::string_view name);

}  // namespace vigil

// X.509 certificate fields as Suricata's TLS log shows them, decoded with
// OpenSSL from the DER bytes of a TLS Certificate message entry.
// Callable from any thread; results own their bytes. Each thread keeps its
// last 64 decodes (certificates up to 16 KiB, about 150 KB per thread), so a
// certificate seen again is not decoded again.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/packet.h"

namespace vigil::tls {

struct CertInfo {
  std::string subject;  // "C=US, O=Example, CN=example.com"
  std::string issuer;
  std::string serial;       // "0A:1B:..." uppercase, colon-separated
  std::string fingerprint;  // SHA-1 of the DER, "ab:cd:..." lowercase
  std::string not_before;   // "2024-01-02T03:04:05"
  std::string not_after;
  std::vector<std::string> dns_names;  // subjectAltName dNSName entries, raw bytes (tls.subjectaltname)
  bool has_validity = false;           // the two dates below decoded
  int64_t not_before_s = 0;            // Unix seconds (UTC)
  int64_t not_after_s = 0;
};

// False when `der` is not a certificate OpenSSL can decode.
bool parse_certificate(Bytes der, CertInfo& out);

}  // namespace vigil::tls

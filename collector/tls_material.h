// TLS material and secrets for the collector: the self-signed CA and server
// certificate created on first start, random tokens and their hashes.
//
// Called from the collector's main thread at start-up (ensure_tls_material)
// and from API handler threads (random_hex, sha256_hex: both thread-safe).
// Secrets are only ever stored as SHA-256 hashes; the clear text is shown once.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/digest.h"

namespace vigil::collector {

// Cryptographically random bytes, hex encoded (2*nbytes characters).
std::string random_hex(size_t nbytes);

// Lower-case hex SHA-256 of the input (common/digest.h).
using vigil::sha256_hex;

struct TlsMaterial {
  std::string ca_cert_path;      // DATA_DIR/ca.pem: what agents trust
  std::string server_cert_path;  // server certificate followed by the CA (chain)
  std::string server_key_path;   // mode 0600
  bool created = false;          // true when this call generated them
};

// Makes sure the CA and a server certificate exist under data_dir, creating
// them when absent. The server certificate's subjectAltName lists `hosts`
// (IP literals become IP SANs, other names DNS SANs). Returns false and sets
// *error when files cannot be read or written.
bool ensure_tls_material(const std::string& data_dir, const std::vector<std::string>& hosts, TlsMaterial* out,
                         std::string* error);

// SHA-256 fingerprint (hex, no colons) of the first certificate in a PEM file;
// what `vigil-agent enroll --pin` expects. Empty on error.
std::string cert_fingerprint_sha256(const std::string& pem_path);

// --check-config: both files readable, a PEM certificate and an unencrypted
// PEM key that belongs to it. "" or what is wrong (naming the file).
std::string check_tls_pair(const std::string& cert_path, const std::string& key_path);

}  // namespace vigil::collector

// TLS ClientHello / ServerHello decoding and the fingerprints built on them:
// JA3 and JA3S (string and MD5) and JA4 (FoxIO spec, TCP "t" form).
//
// Pure functions on a handshake message body (after the 4-byte handshake
// header); results own their bytes. Callable from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/digest.h"
#include "common/packet.h"

namespace vigil::tls {

struct Hello {
  uint16_t version = 0;                // legacy_version field
  std::string random;                  // the 32-byte random (empty when truncated)
  std::vector<uint16_t> ciphers;       // ClientHello: offered; ServerHello: the chosen one
  std::vector<uint16_t> extensions;    // in wire order, GREASE included
  std::vector<uint16_t> groups;        // supported_groups
  std::vector<uint8_t> point_formats;  // ec_point_formats
  std::vector<uint16_t> sig_algs;      // signature_algorithms
  std::vector<uint16_t> versions;      // supported_versions (ServerHello: the selected one)
  std::vector<std::string> alpn;
  std::string sni;
  bool has_sni = false;
};

// False when the body is truncated or inconsistent; fields decoded before the
// problem stay set.
bool parse_client_hello(Bytes body, Hello& out);
bool parse_server_hello(Bytes body, Hello& out);

bool is_grease(uint16_t v);
// The version the hello negotiates or offers: highest non-GREASE
// supported_versions entry when present, else the legacy field.
uint16_t effective_version(const Hello& h);

std::string ja3_string(const Hello& client);
std::string ja3s_string(const Hello& server);
std::string ja4(const Hello& client);
using vigil::md5_hex;  // common/digest.h
using vigil::sha256_hex;

// EVE spelling of a version, as Suricata writes it ("TLS 1.2", "TLSv1", "SSLv3").
std::string_view version_name(uint16_t v);

}  // namespace vigil::tls

// Byte builders for the TLS tests: big-endian integers, handshake messages,
// records, and a self-signed certificate made with OpenSSL.
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <string>
#include <utility>
#include <vector>

namespace vigil::test {

inline std::string u8(unsigned v) {
  return std::string(1, static_cast<char>(v));
}
inline std::string u16(unsigned v) {
  return u8(v >> 8) + u8(v & 0xff);
}
inline std::string u24(size_t v) {
  return u8(static_cast<unsigned>(v >> 16)) + u16(static_cast<unsigned>(v & 0xffff));
}
inline std::string handshake(unsigned type, const std::string& body) {
  return u8(type) + u24(body.size()) + body;
}
inline std::string record(unsigned type, const std::string& payload, unsigned ver = 0x0301) {
  return u8(type) + u16(ver) + u16(static_cast<unsigned>(payload.size())) + payload;
}
// A TLS 1.3-style ClientHello record whose only extension is SNI = host.
inline std::string sni_hello(const std::string& host) {
  std::string entry = u8(0) + u16(static_cast<unsigned>(host.size())) + host;
  std::string sni = u16(0) + u16(static_cast<unsigned>(entry.size() + 2)) +
                    u16(static_cast<unsigned>(entry.size())) + entry;
  std::string b = u16(0x0303) + std::string(32, 'R') + u8(0) + u16(2) + u16(0x1301) + u8(1) + u8(0) +
                  u16(static_cast<unsigned>(sni.size())) + sni;
  return record(22, handshake(1, b));
}

// DER of a self-signed P-256 certificate; dates as "YYYYMMDDHHMMSSZ", the
// name as (field, value) pairs in order, used for subject and issuer; san,
// when given, the subjectAltName in OpenSSL's config form ("DNS:a,DNS:b").
inline std::string self_signed_cert(long serial, const char* not_before, const char* not_after,
                                    const std::vector<std::pair<const char*, const char*>>& name,
                                    const char* san = nullptr) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
  ASN1_TIME_set_string(X509_getm_notBefore(x), not_before);
  ASN1_TIME_set_string(X509_getm_notAfter(x), not_after);
  X509_NAME* n = X509_get_subject_name(x);
  for (auto& [field, value] : name)
    X509_NAME_add_entry_by_txt(n, field, MBSTRING_ASC, reinterpret_cast<const unsigned char*>(value), -1, -1,
                               0);
  X509_set_issuer_name(x, n);
  X509_set_pubkey(x, key);
  if (san != nullptr) {
    X509_EXTENSION* e = X509V3_EXT_conf_nid(nullptr, nullptr, NID_subject_alt_name, san);
    X509_add_ext(x, e, -1);
    X509_EXTENSION_free(e);
  }
  X509_sign(x, key, EVP_sha256());
  unsigned char* der = nullptr;
  int len = i2d_X509(x, &der);
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  X509_free(x);
  EVP_PKEY_free(key);
  return out;
}

}  // namespace vigil::test

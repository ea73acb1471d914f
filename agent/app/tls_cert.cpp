#include "agent/app/tls_cert.h"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>
#include <vector>

namespace vigil::tls {
namespace {

std::string name_string(const X509_NAME* n) {
  if (n == nullptr) return {};
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  if (!bio) return {};
  // "C=US, ST=CA, CN=x" in certificate order, UTF-8, as Suricata prints it.
  // No escaping: rules match the bytes as they are in the certificate,
  // NULs included (a known trick to fool name checks).
  unsigned long flags = ASN1_STRFLGS_UTF8_CONVERT | ASN1_STRFLGS_DUMP_UNKNOWN | ASN1_STRFLGS_DUMP_DER |
                        XN_FLAG_SEP_CPLUS_SPC | XN_FLAG_FN_SN;
  if (X509_NAME_print_ex(bio.get(), n, 0, flags) < 0) return {};
  char* p = nullptr;
  long len = BIO_get_mem_data(bio.get(), &p);
  return len > 0 ? std::string(p, static_cast<size_t>(len)) : std::string();
}

std::string colon_hex(const unsigned char* p, size_t n, bool upper) {
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    if (i) s.push_back(':');
    s.push_back(digits[p[i] >> 4]);
    s.push_back(digits[p[i] & 15]);
  }
  return s;
}

std::string time_string(const ASN1_TIME* t) {
  struct tm tm {};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return {};
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

bool unix_seconds(const ASN1_TIME* t, int64_t& out) {
  struct tm tm {};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return false;
  out = static_cast<int64_t>(timegm(&tm));
  return true;
}

bool decode(Bytes der, CertInfo& out) {
  const unsigned char* p = der.data();
  std::unique_ptr<X509, decltype(&X509_free)> x(d2i_X509(nullptr, &p, static_cast<long>(der.size())),
                                                X509_free);
  if (!x) return false;
  out.subject = name_string(X509_get_subject_name(x.get()));
  out.issuer = name_string(X509_get_issuer_name(x.get()));
  if (const ASN1_INTEGER* sn = X509_get0_serialNumber(x.get())) {
    std::unique_ptr<BIGNUM, decltype(&BN_free)> bn(ASN1_INTEGER_to_BN(sn, nullptr), BN_free);
    if (bn) {
      std::string bytes(static_cast<size_t>(BN_num_bytes(bn.get())), '\0');
      BN_bn2bin(bn.get(), reinterpret_cast<unsigned char*>(bytes.data()));
      if (bytes.empty()) bytes.push_back('\0');
      out.serial = colon_hex(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), true);
    }
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (EVP_Digest(der.data(), der.size(), md, &n, EVP_sha1(), nullptr) == 1)
    out.fingerprint = colon_hex(md, n, false);
  out.not_before = time_string(X509_get0_notBefore(x.get()));
  out.not_after = time_string(X509_get0_notAfter(x.get()));
  out.has_validity = unix_seconds(X509_get0_notBefore(x.get()), out.not_before_s) &&
                     unix_seconds(X509_get0_notAfter(x.get()), out.not_after_s);
  // subjectAltName: the dNSName entries, bytes as sent (a NUL stays in).
  auto* names =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(x.get(), NID_subject_alt_name, nullptr, nullptr));
  if (names != nullptr) {
    for (int i = 0; i < sk_GENERAL_NAME_num(names) && out.dns_names.size() < 256; ++i) {
      const GENERAL_NAME* g = sk_GENERAL_NAME_value(names, i);
      if (g->type != GEN_DNS) continue;
      const ASN1_IA5STRING* d = g->d.dNSName;
      out.dns_names.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(d)),
                                 static_cast<size_t>(ASN1_STRING_length(d)));
    }
    GENERAL_NAMES_free(names);
  }
  return true;
}

// The same server certificates come back in flow after flow, and OpenSSL's
// full decode (the public key included) is the costliest step of TLS
// parsing: each thread keeps the last few decodes, direct-mapped by a hash of
// the DER and confirmed by comparing the bytes.
struct CacheEntry {
  std::string der;
  CertInfo info;
  bool ok = false;
};
constexpr size_t kCacheSlots = 64;
constexpr size_t kMaxCachedDer = 16 * 1024;

uint64_t der_hash(Bytes der) {
  uint64_t h = 1469598103934665603ull ^ der.size();
  for (uint8_t b : der) h = (h ^ b) * 1099511628211ull;
  return h;
}

}  // namespace

bool parse_certificate(Bytes der, CertInfo& out) {
  if (der.size() > kMaxCachedDer) return decode(der, out);
  thread_local std::vector<CacheEntry> cache(kCacheSlots);
  CacheEntry& e = cache[der_hash(der) % kCacheSlots];
  if (e.der.size() != der.size() || memcmp(e.der.data(), der.data(), der.size()) != 0) {
    e.der.assign(reinterpret_cast<const char*>(der.data()), der.size());
    e.info = CertInfo{};
    e.ok = decode(der, e.info);
  }
  out = e.info;
  return e.ok;
}

}  // namespace vigil::tls

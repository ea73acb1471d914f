#include "collector/tls_material.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>

namespace vigil::collector {
namespace {

namespace fs = std::filesystem;

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;

std::string to_hex(const unsigned char* p, size_t n) {
  static const char* kDigits = "0123456789abcdef";
  std::string s(n * 2, '0');
  for (size_t i = 0; i < n; ++i) {
    s[2 * i] = kDigits[p[i] >> 4];
    s[2 * i + 1] = kDigits[p[i] & 15];
  }
  return s;
}

bool add_ext(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (!ext) return false;
  bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

X509Ptr make_cert(EVP_PKEY* key, const std::string& cn, X509* issuer, int days) {
  X509Ptr cert(X509_new());
  if (!cert) return nullptr;
  X509_set_version(cert.get(), 2);
  unsigned char serial[16];
  RAND_bytes(serial, sizeof serial);
  serial[0] &= 0x7f;  // positive
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  // Valid from two days back: an agent whose clock is behind the collector's
  // (a VM restored from a snapshot, a clock stepped back, a wrong time zone
  // on a host clock kept in local time) still accepts a certificate the
  // collector has just generated.
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -2L * 24 * 3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 60L * 60 * 24 * days);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("Vigil"), -1, -1,
                             0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn.c_str()), -1,
                             -1, 0);
  X509* iss = issuer ? issuer : cert.get();
  X509_set_issuer_name(cert.get(), X509_get_subject_name(iss));
  return cert;
}

bool write_file(const fs::path& p, const std::string& data, mode_t mode, std::string* error) {
  fs::path tmp = p;
  tmp += ".tmp";
  // Created with its final mode: a key is never readable by others, not even for a moment.
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0 || fchmod(fd, mode) != 0) {
    *error = "cannot write " + tmp.string() + ": " + std::strerror(errno);
    if (fd >= 0) ::close(fd);
    return false;
  }
  bool ok = ::write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size()) && fsync(fd) == 0;
  ok = ::close(fd) == 0 && ok;
  std::error_code ec;
  if (ok) fs::rename(tmp, p, ec);
  if (!ok || ec) {
    *error = "cannot write " + p.string();
    return false;
  }
  return true;
}

std::string pem_of(X509* cert) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string s(data, static_cast<size_t>(n));
  BIO_free(bio);
  return s;
}

std::string pem_of(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string s(data, static_cast<size_t>(n));
  BIO_free(bio);
  return s;
}

X509Ptr read_cert(const fs::path& p) {
  FILE* f = std::fopen(p.c_str(), "rb");
  if (!f) return nullptr;
  X509Ptr c(PEM_read_X509(f, nullptr, nullptr, nullptr));
  std::fclose(f);
  return c;
}

PkeyPtr read_key(const fs::path& p) {
  FILE* f = std::fopen(p.c_str(), "rb");
  if (!f) return nullptr;
  PkeyPtr k(PEM_read_PrivateKey(f, nullptr, nullptr, nullptr));
  std::fclose(f);
  return k;
}

std::string san_list(const std::vector<std::string>& hosts) {
  std::string san;
  for (const auto& h : hosts) {
    if (h.empty()) continue;
    unsigned char buf[16];
    bool ip = inet_pton(AF_INET, h.c_str(), buf) == 1 || inet_pton(AF_INET6, h.c_str(), buf) == 1;
    std::string item = (ip ? "IP:" : "DNS:") + h;
    if (san.find(item) != std::string::npos) continue;
    if (!san.empty()) san += ",";
    san += item;
  }
  return san;
}

}  // namespace

std::string random_hex(size_t nbytes) {
  std::vector<unsigned char> b(nbytes);
  if (RAND_bytes(b.data(), static_cast<int>(nbytes)) != 1) std::abort();  // no entropy: unsafe to go on
  return to_hex(b.data(), b.size());
}

bool ensure_tls_material(const std::string& data_dir, const std::vector<std::string>& hosts, TlsMaterial* out,
                         std::string* error) {
  fs::path dir(data_dir);
  fs::path ca_pem = dir / "ca.pem", ca_key = dir / "ca.key";
  fs::path srv_pem = dir / "server.pem", srv_key = dir / "server.key";
  out->ca_cert_path = ca_pem.string();
  out->server_cert_path = srv_pem.string();
  out->server_key_path = srv_key.string();
  out->created = false;
  if (fs::exists(ca_pem) && fs::exists(srv_pem) && fs::exists(srv_key)) return true;

  X509Ptr ca;
  PkeyPtr ca_k;
  if (fs::exists(ca_pem) && fs::exists(ca_key)) {
    ca = read_cert(ca_pem);
    ca_k = read_key(ca_key);
    if (!ca || !ca_k) {
      *error = "cannot read the CA in " + dir.string();
      return false;
    }
  } else {
    ca_k.reset(EVP_EC_gen("P-256"));
    if (!ca_k) {
      *error = "key generation failed";
      return false;
    }
    ca = make_cert(ca_k.get(), "Vigil collector CA", nullptr, 3650);
    add_ext(ca.get(), ca.get(), NID_basic_constraints, "critical,CA:TRUE");
    add_ext(ca.get(), ca.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
    add_ext(ca.get(), ca.get(), NID_subject_key_identifier, "hash");
    if (X509_sign(ca.get(), ca_k.get(), EVP_sha256()) <= 0) {
      *error = "CA signing failed";
      return false;
    }
    if (!write_file(ca_key, pem_of(ca_k.get()), 0600, error)) return false;
    if (!write_file(ca_pem, pem_of(ca.get()), 0640, error)) return false;
  }

  PkeyPtr k(EVP_EC_gen("P-256"));
  if (!k) {
    *error = "key generation failed";
    return false;
  }
  std::string cn = hosts.empty() ? std::string("vigil-collector") : hosts.front();
  X509Ptr cert = make_cert(k.get(), cn, ca.get(), 825);
  add_ext(cert.get(), ca.get(), NID_basic_constraints, "critical,CA:FALSE");
  add_ext(cert.get(), ca.get(), NID_key_usage, "critical,digitalSignature,keyEncipherment");
  add_ext(cert.get(), ca.get(), NID_ext_key_usage, "serverAuth");
  add_ext(cert.get(), ca.get(), NID_authority_key_identifier, "keyid:always");
  std::string san = san_list(hosts);
  if (!san.empty() && !add_ext(cert.get(), ca.get(), NID_subject_alt_name, san)) {
    *error = "bad subjectAltName: " + san;
    return false;
  }
  if (X509_sign(cert.get(), ca_k.get(), EVP_sha256()) <= 0) {
    *error = "server certificate signing failed";
    return false;
  }
  if (!write_file(srv_key, pem_of(k.get()), 0600, error)) return false;
  if (!write_file(srv_pem, pem_of(cert.get()) + pem_of(ca.get()), 0640, error)) return false;
  out->created = true;
  return true;
}

std::string cert_fingerprint_sha256(const std::string& pem_path) {
  X509Ptr c = read_cert(pem_path);
  if (!c) return {};
  unsigned char md[32];
  unsigned int n = 0;
  if (X509_digest(c.get(), EVP_sha256(), md, &n) != 1) return {};
  return to_hex(md, n);
}

std::string check_tls_pair(const std::string& cert_path, const std::string& key_path) {
  if (access(cert_path.c_str(), R_OK) != 0) return cert_path + ": cannot read it: " + std::strerror(errno);
  if (access(key_path.c_str(), R_OK) != 0) return key_path + ": cannot read it: " + std::strerror(errno);
  X509Ptr c = read_cert(cert_path);
  if (!c) return cert_path + ": not a PEM certificate";
  PkeyPtr k = read_key(key_path);
  if (!k)
    return key_path + ": not a PEM private key (or it is encrypted: the collector needs it unencrypted)";
  if (X509_check_private_key(c.get(), k.get()) != 1) {
    return key_path + ": is not the key of the certificate in " + cert_path;
  }
  return "";
}

}  // namespace vigil::collector

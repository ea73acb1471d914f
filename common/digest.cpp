#include "common/digest.h"

#include <openssl/evp.h>

#include <cstdint>
#include <span>

#include "common/encoding.h"

namespace vigil {

namespace {

std::string digest_hex(const EVP_MD* md, std::string_view s) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (EVP_Digest(s.data(), s.size(), out, &n, md, nullptr) != 1) return {};
  return hex_encode(std::span<const uint8_t>(out, n));
}

}  // namespace

std::string md5_hex(std::string_view data) {
  return digest_hex(EVP_md5(), data);
}

std::string sha256_hex(std::string_view data) {
  return digest_hex(EVP_sha256(), data);
}

}  // namespace vigil

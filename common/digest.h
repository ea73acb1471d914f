// Message digests as lower-case hex text: JA3/JA4 hashes (agent/app), the
// collector's stored token and key hashes. One implementation, on OpenSSL.
//
// Any thread (no shared state).
#pragma once

#include <string>
#include <string_view>

namespace vigil {

std::string md5_hex(std::string_view data);
std::string sha256_hex(std::string_view data);

}  // namespace vigil

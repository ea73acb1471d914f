// Password hashing for the collector's user accounts: argon2id (libargon2),
// stored in the PHC encoded form ("$argon2id$v=19$m=65536,t=3,p=1$salt$hash")
// so that each hash carries its own cost and a later cost change keeps old
// hashes verifiable.
//
// Called from the CLI (user add, user passwd) and from handler threads
// (login, password change); pure functions, thread-safe. A hash at the
// default cost takes about 64 MiB and a few hundred milliseconds of one core:
// that cost is the point (an offline guess costs the same).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace vigil::collector {

// argon2id cost. The default follows RFC 9106's second recommendation
// (t=3, m=64 MiB, p=1). Tests lower it; the server and the CLI do not.
struct PasswordCost {
  uint32_t t_cost = 3;
  uint32_t m_cost_kib = 64 * 1024;
  uint32_t parallelism = 1;
};

// Passwords shorter than this (in bytes) are refused; longer than the max too
// (a megabyte "password" would only be a way to spend our CPU).
inline constexpr size_t kMinPasswordLen = 12;
inline constexpr size_t kMaxPasswordLen = 1024;

// Empty when the password is acceptable; otherwise why not, for a person.
std::string password_problem(std::string_view password);

// The encoded argon2id hash with a fresh 16-byte random salt; empty on
// failure (out of memory), which callers report as an internal error.
std::string hash_password(std::string_view password, const PasswordCost& cost = {});

// True when `password` matches the encoded hash. A malformed hash is false.
// Takes the hash's own cost in time, whatever the outcome.
bool verify_password(std::string_view password, const std::string& encoded);

}  // namespace vigil::collector

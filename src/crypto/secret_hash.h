// Storage form of bearer secrets (API keys, join tokens): a salted SHA-256.
//
// These secrets are high-entropy random tokens (128 bits or more from RandomHex), never
// human-chosen passwords, so a brute-force search is infeasible however fast the hash is; a slow
// password hash (scrypt, Argon2) would only cost latency on every request. The salt keeps equal
// secrets from having equal stored forms.
//
// Stored form: "sha256$<salt: 32 lowercase hex chars (16 bytes)>$<64 lowercase hex chars of
// SHA-256(salt bytes || secret)>".
// Thread-safety: pure functions, thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace locai::crypto {

// The stored form of `secret` with a fresh random salt. Internal if the random generator fails.
[[nodiscard]] Result<std::string> HashSecret(std::string_view secret);

// True when `stored` (from HashSecret) is the hash of `secret`. The digests are compared in
// constant time. False for a malformed stored string.
bool VerifySecret(std::string_view secret, std::string_view stored);

}  // namespace locai::crypto

// Ed25519 (RFC 8032) key pairs, signatures and verification over OpenSSL, with keys as raw
// 32-byte strings (the form stored in the database and in a node's credential file).
// Thread-safety: pure functions, thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace locai::crypto {

inline constexpr size_t kEd25519KeySize = 32;
inline constexpr size_t kEd25519SignatureSize = 64;

struct Ed25519KeyPair {
  std::string private_key;  // 32 raw bytes (the RFC 8032 seed); secret
  std::string public_key;   // 32 raw bytes
};

// A fresh key pair from the system's random generator. Internal if OpenSSL fails.
[[nodiscard]] Result<Ed25519KeyPair> GenerateEd25519();

// The 64-byte signature of `message`. InvalidArgument when private_key is not 32 bytes.
[[nodiscard]] Result<std::string> Ed25519Sign(std::string_view private_key,
                                              std::string_view message);

// True only for a valid signature of `message` under `public_key`. False (never a crash) for a
// wrong signature or message, or a key or signature of the wrong size.
bool Ed25519Verify(std::string_view public_key, std::string_view message,
                   std::string_view signature);

// The 32-byte public key belonging to a 32-byte private key. InvalidArgument for a wrong size.
[[nodiscard]] Result<std::string> Ed25519PublicFromPrivate(std::string_view private_key);

}  // namespace locai::crypto

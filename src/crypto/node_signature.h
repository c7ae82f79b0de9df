// Node request signatures: how an enrolled node authenticates each HTTP request to the control
// plane with its Ed25519 key (docs/control-plane.md, "Node credential").
//
// The signed payload is "locai-node-v1\n" METHOD "\n" TARGET "\n" TIMESTAMP, TARGET being the
// request target (path and query, as sent) and TIMESTAMP the Unix time in decimal seconds. The
// request carries three headers:
//   X-Locai-Node-Id: <node id>
//   X-Locai-Timestamp: <TIMESTAMP>
//   X-Locai-Signature: <standard base64 (padded) of the 64-byte Ed25519 signature>
// The verifier accepts a timestamp within max_skew_s of its own clock in either direction.
// Clocks come in as arguments so that tests and callers inject them.
// Thread-safety: pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace locai::crypto {

inline constexpr std::string_view kNodeIdHeader = "X-Locai-Node-Id";
inline constexpr std::string_view kNodeTimestampHeader = "X-Locai-Timestamp";
inline constexpr std::string_view kNodeSignatureHeader = "X-Locai-Signature";
inline constexpr int64_t kDefaultNodeSignatureSkewSeconds = 120;

// "locai-node-v1\n" method "\n" target "\n" decimal unix_seconds.
std::string NodeSignaturePayload(std::string_view method, std::string_view target,
                                 int64_t unix_seconds);

// The three header values of a signed request.
struct NodeSignature {
  std::string node_id;        // X-Locai-Node-Id
  std::string timestamp;      // X-Locai-Timestamp: decimal now_s
  std::string signature_b64;  // X-Locai-Signature
};

// Signs the request (method, target) at time now_s with the node's 32-byte Ed25519 private key.
// InvalidArgument for an empty node id, method or target, a method or target holding a newline
// or other control character, a negative now_s, or a private key that is not 32 bytes.
[[nodiscard]] Result<NodeSignature> SignNodeRequest(std::string_view node_id,
                                                    std::string_view private_key,
                                                    std::string_view method,
                                                    std::string_view target, int64_t now_s);

// OK when signature_b64 is the node's signature of (method, target, timestamp) under the 32-byte
// public_key and timestamp is within max_skew_s seconds of now_s. Otherwise Unauthenticated, with
// the reason in the message: "malformed ..." (timestamp not plain decimal digits, signature not
// base64 of 64 bytes, public key not 32 bytes), "timestamp outside the window", or "bad
// signature".
[[nodiscard]] Status VerifyNodeSignature(std::string_view public_key, std::string_view method,
                                         std::string_view target, std::string_view timestamp,
                                         std::string_view signature_b64, int64_t now_s,
                                         int64_t max_skew_s = kDefaultNodeSignatureSkewSeconds);

}  // namespace locai::crypto

// Join tokens (docs/control-plane.md, "Authentication"):
// `locaijoin.<token-id>.<secret>.<ca-sha256-hex>`. The token id (16 hex) is the store's key, the
// secret (32 hex, 128 bits) is stored as a salted hash only, and the CA fingerprint (64 hex) lets
// a new node verify the server from its first connection.
// Thread-safety: pure functions; CreateJoinToken is as thread-safe as the Store.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"
#include "store/store.h"

namespace locai::control::auth {

inline constexpr std::string_view kJoinTokenPrefix = "locaijoin";

struct ParsedJoinToken {
  std::string token_id;
  std::string secret;
  std::string ca_fingerprint;  // 64 lowercase hex
};

std::string FormatJoinToken(std::string_view token_id, std::string_view secret,
                            std::string_view ca_fingerprint);
// Unauthenticated ("malformed join token") unless the token has exactly the four parts: the
// prefix, a token id of 1-64 [a-z0-9], a secret of 1-256 [A-Za-z0-9], 64 lowercase hex.
Result<ParsedJoinToken> ParseJoinToken(std::string_view token);

// OK when `token` (as presented) matches `record` (its secret hash); Unauthenticated otherwise.
// Expiry, revocation and uses are the store's ConsumeJoinToken/EnrollNode business.
Status VerifyJoinTokenSecret(const ParsedJoinToken& token, const store::JoinToken& record);

struct JoinTokenSpec {
  std::string group = "default";
  int64_t ttl_seconds = 24 * 3600;  // 1 .. 365 days
  int64_t uses = 1;                 // 1 .. 100000
};

struct NewJoinToken {
  std::string token;  // plaintext, shown once
  store::JoinToken record;
};

// Creates a token for organisation `org_id`. InvalidArgument for a group that is empty, longer
// than 128 bytes or not [A-Za-z0-9._-], a ttl or use count out of range, or a fingerprint that is
// not 64 lowercase hex; the store's errors otherwise.
Result<NewJoinToken> CreateJoinToken(store::Store& store, std::string_view org_id,
                                     const JoinTokenSpec& spec, std::string_view ca_fingerprint,
                                     int64_t now_ms);

}  // namespace locai::control::auth

// API keys (docs/control-plane.md, "Authentication"): `locai_<key-id>_<secret>`.
//
// The key id (16 lowercase hex characters) is the store's primary key and is not secret; the
// secret (64 lowercase hex characters, 256 bits) is shown once, when the key is created, and only
// its salted hash (crypto/secret_hash.h) is stored.
// Thread-safety: pure functions; CreateApiKey is as thread-safe as the Store.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"
#include "control/auth/principal.h"
#include "store/store.h"

namespace locai::control::auth {

inline constexpr std::string_view kApiKeyPrefix = "locai_";

struct ParsedApiKey {
  std::string key_id;
  std::string secret;
};

// "locai_<key_id>_<secret>".
std::string FormatApiKey(std::string_view key_id, std::string_view secret);
// Splits a presented key. Unauthenticated (never echoing the key) when it does not have the
// shape: prefix, key id of 1-64 [a-z0-9], '_', secret of 1-256 [A-Za-z0-9].
Result<ParsedApiKey> ParseApiKey(std::string_view key);

struct NewApiKey {
  std::string key;      // the plaintext key, to hand to the caller once
  store::ApiKey record;  // as stored (secret hash, no plaintext)
};

// Creates a key of `role` named `name` in organisation `org_id` at `now_ms` (Unix ms).
// InvalidArgument for an empty or over-long (> 128 bytes) name; the store's errors otherwise
// (NotFound for an unknown organisation).
Result<NewApiKey> CreateApiKey(store::Store& store, std::string_view org_id, std::string_view name,
                               Role role, int64_t now_ms);

}  // namespace locai::control::auth

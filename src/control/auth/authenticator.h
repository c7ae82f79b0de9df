// Authenticator: who is calling. API keys for people and programs, Ed25519 request signatures
// for enrolled nodes (docs/control-plane.md, "Authentication").
//
// AuthenticateKey reads `Authorization: Bearer <key>` (or `x-api-key: <key>`), looks the key id up
// in the store, and checks the secret against the stored salted hash. The hash check is slow on
// purpose, so a verified key is remembered for `cache_ttl_ms`; the cache entry is bound to the
// SHA-256 of the whole presented key, so a wrong secret never hits it. InvalidateKey (called by
// whoever revokes a key) drops the entry at once, so a revoked key stops working on the next
// request; a key revoked by another process stops within cache_ttl_ms.
// AuthenticateNode checks the X-Locai-Node-Id / -Timestamp / -Signature headers against the
// node's stored public key, refusing unknown and revoked nodes and timestamps more than
// `max_clock_skew_s` from now (no cache: revocation takes effect on the next request).
// Errors: Unauthenticated (401) for a missing, malformed, unknown, revoked or wrong credential (the
// message never contains the secret); Internal/Unavailable when the store fails.
// The Store is borrowed and must outlive the Authenticator.
// Thread-safety: all methods are safe to call concurrently.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/status.h"
#include "control/auth/principal.h"
#include "net/http/http_message.h"

namespace locai::store {
class Store;
}  // namespace locai::store

namespace locai::control::auth {

struct AuthenticatorOptions {
  int64_t cache_ttl_ms = 30'000;
  size_t max_cache_entries = 10'000;  // past this the cache is cleared (no unbounded growth)
  int64_t max_clock_skew_s = 120;
  // Unix time in milliseconds; empty: the system clock. Tests inject a fake clock.
  std::function<int64_t()> now_ms;
};

class Authenticator {
 public:
  explicit Authenticator(store::Store& store, AuthenticatorOptions options = {});
  Authenticator(const Authenticator&) = delete;
  Authenticator& operator=(const Authenticator&) = delete;

  // The principal of the request's API key; Unauthenticated when there is none or it is wrong,
  // revoked, or its organisation is gone.
  Result<Principal> AuthenticateKey(const net::HttpRequest& request);
  // The same for a key already extracted from a request (or given on a command line).
  Result<Principal> AuthenticateKeyString(std::string_view key);

  // The node that signed the request at `now_s` (Unix seconds); Unauthenticated when the headers
  // are missing or malformed, the node is unknown or revoked, the timestamp is outside the skew
  // or the signature does not verify.
  Result<NodePrincipal> AuthenticateNode(const net::HttpRequest& request, int64_t now_s);

  // Forgets a cached verification of `key_id` (call after revoking or deleting it).
  void InvalidateKey(std::string_view key_id);

  Status Require(const Principal& principal, Role role) const {
    return auth::Require(principal, role);
  }

 private:
  struct CacheEntry {
    std::string key_sha256;  // hex SHA-256 of the whole presented key
    Principal principal;
    int64_t expires_at_ms = 0;
  };
  int64_t NowMs() const;

  store::Store& store_;
  const AuthenticatorOptions options_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, CacheEntry> cache_;  // by key id; guarded by mu_
};

// The API key a request presents: `Authorization: Bearer <key>` or else `x-api-key`; empty when
// neither is there.
std::string PresentedApiKey(const net::HttpRequest& request);

}  // namespace locai::control::auth

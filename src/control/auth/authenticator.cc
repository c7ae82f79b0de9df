#include "control/auth/authenticator.h"

#include <charconv>
#include <chrono>
#include <string>
#include <utility>

#include "control/auth/api_key.h"
#include "crypto/base64.h"
#include "crypto/ed25519.h"
#include "crypto/node_signature.h"
#include "crypto/secret_hash.h"
#include "crypto/sha256.h"
#include "store/store.h"

namespace locai::control::auth {
namespace {

Status BadKey() { return Status::Unauthenticated("invalid API key"); }

// Store lookups that find nothing are the caller's fault (401); anything else is the server's.
Status AuthLookupError(const Status& status, std::string_view what) {
  if (status.code() == StatusCode::kNotFound) {
    return Status::Unauthenticated(std::string("unknown ") + std::string(what));
  }
  return status;
}

std::string_view TrimSpaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string PresentedApiKey(const net::HttpRequest& request) {
  if (auto auth = request.headers.Get("Authorization")) {
    std::string_view value = TrimSpaces(*auth);
    constexpr std::string_view kBearer = "bearer ";
    if (value.size() > kBearer.size() && net::EqualsIgnoreCase(value.substr(0, kBearer.size()), kBearer)) {
      return std::string(TrimSpaces(value.substr(kBearer.size())));
    }
  }
  if (auto key = request.headers.Get("x-api-key")) return std::string(TrimSpaces(*key));
  return "";
}

Authenticator::Authenticator(store::Store& store, AuthenticatorOptions options)
    : store_(store), options_(std::move(options)) {}

int64_t Authenticator::NowMs() const {
  if (options_.now_ms) return options_.now_ms();
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Result<Principal> Authenticator::AuthenticateKey(const net::HttpRequest& request) {
  std::string key = PresentedApiKey(request);
  if (key.empty()) {
    return Err(Status::Unauthenticated(
        "an API key is required (Authorization: Bearer locai_... or x-api-key)"));
  }
  return AuthenticateKeyString(key);
}

Result<Principal> Authenticator::AuthenticateKeyString(std::string_view key) {
  LOCAI_ASSIGN_OR_RETURN(ParsedApiKey parsed, ParseApiKey(key));
  const std::string key_sha256 = crypto::Sha256Hex(key);
  const int64_t now_ms = NowMs();
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = cache_.find(parsed.key_id);
    if (it != cache_.end()) {
      if (it->second.key_sha256 == key_sha256 && it->second.expires_at_ms > now_ms) {
        return it->second.principal;
      }
      cache_.erase(it);
    }
  }

  auto record = store_.GetApiKey(parsed.key_id);
  if (!record) {
    if (record.error().code() == StatusCode::kNotFound) return Err(BadKey());
    return Err(record.error());
  }
  if (record->revoked_at.has_value()) return Err(Status::Unauthenticated("the API key is revoked"));
  if (!crypto::VerifySecret(parsed.secret, record->secret_hash)) return Err(BadKey());
  std::optional<Role> role = ParseRole(record->role);
  if (!role) return Err(Status::Internal("API key " + parsed.key_id + " has an unknown role"));
  auto org = store_.GetOrg(record->org_id);
  if (!org) return Err(AuthLookupError(org.error(), "organisation"));

  Principal principal;
  principal.org_id = record->org_id;
  principal.key_id = parsed.key_id;
  principal.role = *role;
  principal.is_platform_admin = *role == Role::kAdmin && org->name == kDefaultOrgName;

  std::lock_guard<std::mutex> lock(mu_);
  if (cache_.size() >= options_.max_cache_entries) cache_.clear();
  cache_[parsed.key_id] = CacheEntry{key_sha256, principal, now_ms + options_.cache_ttl_ms};
  return principal;
}

void Authenticator::InvalidateKey(std::string_view key_id) {
  std::lock_guard<std::mutex> lock(mu_);
  cache_.erase(std::string(key_id));
}

Result<NodePrincipal> Authenticator::AuthenticateNode(const net::HttpRequest& request,
                                                      int64_t now_s) {
  auto node_id = request.headers.Get(crypto::kNodeIdHeader);
  auto timestamp = request.headers.Get(crypto::kNodeTimestampHeader);
  auto signature = request.headers.Get(crypto::kNodeSignatureHeader);
  if (!node_id || !timestamp || !signature || node_id->empty()) {
    return Err(Status::Unauthenticated("a node signature is required"));
  }
  auto node = store_.GetNode(std::string(*node_id));
  if (!node) return Err(AuthLookupError(node.error(), "node"));
  if (node->revoked_at.has_value()) return Err(Status::Unauthenticated("the node is revoked"));
  // The key is stored as the node sent it: 32 raw bytes, or their base64.
  std::string public_key = node->public_key;
  if (public_key.size() != crypto::kEd25519KeySize) {
    auto decoded = crypto::Base64Decode(public_key);
    if (decoded) public_key = std::move(*decoded);
  }
  LOCAI_RETURN_IF_ERROR(crypto::VerifyNodeSignature(public_key, request.method,
                                                    request.target, *timestamp, *signature, now_s,
                                                    options_.max_clock_skew_s));
  return NodePrincipal{node->id, node->org_id};
}

}  // namespace locai::control::auth

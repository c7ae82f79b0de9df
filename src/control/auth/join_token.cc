#include "control/auth/join_token.h"

#include <string>
#include <utility>
#include <vector>

#include "crypto/random.h"
#include "crypto/secret_hash.h"

namespace locai::control::auth {
namespace {

constexpr size_t kTokenIdBytes = 8;
constexpr size_t kSecretBytes = 16;
constexpr int64_t kMaxTtlSeconds = 365LL * 24 * 3600;
constexpr int64_t kMaxUses = 100'000;

bool IsLowerHex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }
bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool IsAlnum(char c) { return IsLowerAlnum(c) || (c >= 'A' && c <= 'Z'); }

bool IsFingerprint(std::string_view text) {
  if (text.size() != 64) return false;
  for (char c : text) {
    if (!IsLowerHex(c)) return false;
  }
  return true;
}

std::vector<std::string_view> SplitDots(std::string_view text) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    const size_t dot = text.find('.', start);
    if (dot == std::string_view::npos) {
      parts.push_back(text.substr(start));
      return parts;
    }
    parts.push_back(text.substr(start, dot - start));
    start = dot + 1;
  }
}

}  // namespace

std::string FormatJoinToken(std::string_view token_id, std::string_view secret,
                            std::string_view ca_fingerprint) {
  std::string token(kJoinTokenPrefix);
  for (std::string_view part : {token_id, secret, ca_fingerprint}) {
    token.push_back('.');
    token.append(part);
  }
  return token;
}

Result<ParsedJoinToken> ParseJoinToken(std::string_view token) {
  const Status malformed = Status::Unauthenticated(
      "malformed join token (expected locaijoin.<id>.<secret>.<ca-sha256>)");
  const std::vector<std::string_view> parts = SplitDots(token);
  if (parts.size() != 4 || parts[0] != kJoinTokenPrefix) return Err(malformed);
  if (parts[1].empty() || parts[1].size() > 64 || parts[2].empty() || parts[2].size() > 256) {
    return Err(malformed);
  }
  for (char c : parts[1]) {
    if (!IsLowerAlnum(c)) return Err(malformed);
  }
  for (char c : parts[2]) {
    if (!IsAlnum(c)) return Err(malformed);
  }
  if (!IsFingerprint(parts[3])) return Err(malformed);
  return ParsedJoinToken{std::string(parts[1]), std::string(parts[2]), std::string(parts[3])};
}

Status VerifyJoinTokenSecret(const ParsedJoinToken& token, const store::JoinToken& record) {
  if (token.token_id != record.id || !crypto::VerifySecret(token.secret, record.secret_hash)) {
    return Status::Unauthenticated("invalid join token");
  }
  return Status::Ok();
}

Result<NewJoinToken> CreateJoinToken(store::Store& store, std::string_view org_id,
                                     const JoinTokenSpec& spec, std::string_view ca_fingerprint,
                                     int64_t now_ms) {
  if (spec.group.empty() || spec.group.size() > 128) {
    return Err(Status::InvalidArgument("'group' must be 1 to 128 characters"));
  }
  for (char c : spec.group) {
    if (!IsAlnum(c) && c != '.' && c != '_' && c != '-') {
      return Err(Status::InvalidArgument("'group' may only contain A-Z a-z 0-9 . _ -"));
    }
  }
  if (spec.ttl_seconds < 1 || spec.ttl_seconds > kMaxTtlSeconds) {
    return Err(Status::InvalidArgument("'ttl_seconds' must be between 1 and 31536000"));
  }
  if (spec.uses < 1 || spec.uses > kMaxUses) {
    return Err(Status::InvalidArgument("'uses' must be between 1 and 100000"));
  }
  if (!IsFingerprint(ca_fingerprint)) {
    return Err(Status::InvalidArgument("the CA fingerprint must be 64 lowercase hex digits"));
  }
  LOCAI_ASSIGN_OR_RETURN(std::string token_id, crypto::RandomHex(kTokenIdBytes));
  LOCAI_ASSIGN_OR_RETURN(std::string secret, crypto::RandomHex(kSecretBytes));
  LOCAI_ASSIGN_OR_RETURN(std::string secret_hash, crypto::HashSecret(secret));
  store::JoinToken record;
  record.id = token_id;
  record.org_id = std::string(org_id);
  record.secret_hash = std::move(secret_hash);
  record.group = spec.group;
  record.expires_at = now_ms + spec.ttl_seconds * 1000;
  record.uses_left = spec.uses;
  record.created_at = now_ms;
  LOCAI_RETURN_IF_ERROR(store.CreateJoinToken(record));
  return NewJoinToken{FormatJoinToken(token_id, secret, ca_fingerprint), std::move(record)};
}

}  // namespace locai::control::auth

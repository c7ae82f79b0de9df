#include "control/auth/api_key.h"

#include <string>
#include <utility>

#include "crypto/random.h"
#include "crypto/secret_hash.h"

namespace locai::control::auth {
namespace {

constexpr size_t kKeyIdBytes = 8;     // 16 hex characters
constexpr size_t kSecretBytes = 32;   // 64 hex characters
constexpr size_t kMaxKeyIdChars = 64;
constexpr size_t kMaxSecretChars = 256;
constexpr size_t kMaxNameBytes = 128;

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool IsAlnum(char c) { return IsLowerAlnum(c) || (c >= 'A' && c <= 'Z'); }

}  // namespace

std::string FormatApiKey(std::string_view key_id, std::string_view secret) {
  std::string key(kApiKeyPrefix);
  key.append(key_id);
  key.push_back('_');
  key.append(secret);
  return key;
}

Result<ParsedApiKey> ParseApiKey(std::string_view key) {
  const Status malformed = Status::Unauthenticated("malformed API key (expected locai_<id>_<secret>)");
  if (!key.starts_with(kApiKeyPrefix)) return Err(malformed);
  key.remove_prefix(kApiKeyPrefix.size());
  const size_t sep = key.find('_');
  if (sep == std::string_view::npos) return Err(malformed);
  std::string_view key_id = key.substr(0, sep);
  std::string_view secret = key.substr(sep + 1);
  if (key_id.empty() || key_id.size() > kMaxKeyIdChars || secret.empty() ||
      secret.size() > kMaxSecretChars) {
    return Err(malformed);
  }
  for (char c : key_id) {
    if (!IsLowerAlnum(c)) return Err(malformed);
  }
  for (char c : secret) {
    if (!IsAlnum(c)) return Err(malformed);
  }
  return ParsedApiKey{std::string(key_id), std::string(secret)};
}

Result<NewApiKey> CreateApiKey(store::Store& store, std::string_view org_id, std::string_view name,
                               Role role, int64_t now_ms) {
  if (name.empty() || name.size() > kMaxNameBytes) {
    return Err(Status::InvalidArgument("a key name must be 1 to 128 bytes"));
  }
  LOCAI_ASSIGN_OR_RETURN(std::string key_id, crypto::RandomHex(kKeyIdBytes));
  LOCAI_ASSIGN_OR_RETURN(std::string secret, crypto::RandomHex(kSecretBytes));
  LOCAI_ASSIGN_OR_RETURN(std::string secret_hash, crypto::HashSecret(secret));
  store::ApiKey record;
  record.id = key_id;
  record.org_id = std::string(org_id);
  record.name = std::string(name);
  record.role = std::string(RoleName(role));
  record.secret_hash = std::move(secret_hash);
  record.created_at = now_ms;
  LOCAI_RETURN_IF_ERROR(store.CreateApiKey(record));
  return NewApiKey{FormatApiKey(key_id, secret), std::move(record)};
}

}  // namespace locai::control::auth

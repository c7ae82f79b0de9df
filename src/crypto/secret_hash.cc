#include "crypto/secret_hash.h"

#include <openssl/crypto.h>

#include <array>
#include <cstdint>
#include <vector>

#include "crypto/random.h"
#include "crypto/sha256.h"

namespace locai::crypto {
namespace {

constexpr std::string_view kScheme = "sha256";
constexpr size_t kSaltBytes = 16;

std::array<uint8_t, 32> SaltedDigest(std::string_view salt, std::string_view secret) {
  Sha256 hasher;
  hasher.Update(salt);
  hasher.Update(secret);
  return hasher.Finish();
}

}  // namespace

Result<std::string> HashSecret(std::string_view secret) {
  LOCAI_ASSIGN_OR_RETURN(std::string salt, RandomBytes(kSaltBytes));
  std::array<uint8_t, 32> digest = SaltedDigest(salt, secret);
  std::string stored(kScheme);
  stored += '$';
  stored +=
      ToHex(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(salt.data()), salt.size()));
  stored += '$';
  stored += ToHex(digest);
  return stored;
}

bool VerifySecret(std::string_view secret, std::string_view stored) {
  // Fixed shape: scheme '$' 32 hex '$' 64 hex.
  constexpr size_t kSaltHex = 2 * kSaltBytes;
  constexpr size_t kDigestHex = 64;
  if (stored.size() != kScheme.size() + 1 + kSaltHex + 1 + kDigestHex) return false;
  if (stored.substr(0, kScheme.size()) != kScheme || stored[kScheme.size()] != '$' ||
      stored[kScheme.size() + 1 + kSaltHex] != '$') {
    return false;
  }
  Result<std::vector<uint8_t>> salt = FromHex(stored.substr(kScheme.size() + 1, kSaltHex));
  Result<std::vector<uint8_t>> expected = FromHex(stored.substr(kScheme.size() + 2 + kSaltHex));
  if (!salt || !expected) return false;
  std::array<uint8_t, 32> actual = SaltedDigest(
      std::string_view(reinterpret_cast<const char*>(salt->data()), salt->size()), secret);
  return CRYPTO_memcmp(actual.data(), expected->data(), actual.size()) == 0;
}

}  // namespace locai::crypto

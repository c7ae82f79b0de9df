#include "crypto/secret_hash.h"

#include <gtest/gtest.h>

#include <cctype>
#include <string>
#include <vector>

#include "crypto/sha256.h"

namespace locai::crypto {
namespace {

TEST(SecretHash, FormatAndRoundTrip) {
  Result<std::string> stored = HashSecret("sk-locai-0123456789abcdef");
  ASSERT_TRUE(stored);
  ASSERT_EQ(stored->size(), 6 + 1 + 32 + 1 + 64);
  EXPECT_EQ(stored->substr(0, 7), "sha256$");
  EXPECT_EQ((*stored)[39], '$');
  EXPECT_TRUE(VerifySecret("sk-locai-0123456789abcdef", *stored));
  EXPECT_FALSE(VerifySecret("sk-locai-0123456789abcdeF", *stored));
  EXPECT_FALSE(VerifySecret("", *stored));
}

TEST(SecretHash, DigestIsSha256OfSaltThenSecret) {
  Result<std::string> stored = HashSecret("token");
  ASSERT_TRUE(stored);
  std::string salt_hex = stored->substr(7, 32);
  Result<std::vector<uint8_t>> salt = FromHex(salt_hex);
  ASSERT_TRUE(salt);
  std::string expected = Sha256Hex(std::string(salt->begin(), salt->end()) + "token");
  EXPECT_EQ(stored->substr(40), expected);
  // A hand-made stored string with a known salt verifies too.
  std::string known_salt(16, '\x01');
  std::string handmade =
      "sha256$0101010101010101"
      "0101010101010101$" +
      Sha256Hex(known_salt + "token");
  EXPECT_TRUE(VerifySecret("token", handmade));
}

TEST(SecretHash, SaltDiffersPerCall) {
  Result<std::string> first = HashSecret("same");
  Result<std::string> second = HashSecret("same");
  ASSERT_TRUE(first && second);
  EXPECT_NE(*first, *second);
  EXPECT_TRUE(VerifySecret("same", *first));
  EXPECT_TRUE(VerifySecret("same", *second));
}

TEST(SecretHash, MalformedStoredStringsAreFalse) {
  std::string good = *HashSecret("s");
  ASSERT_TRUE(VerifySecret("s", good));
  std::string upper = good;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  std::string bad_salt = good;
  bad_salt[7] = 'g';
  std::string bad_digest = good;
  bad_digest.back() = 'z';
  std::string moved_dollar = good;
  std::swap(moved_dollar[39], moved_dollar[38]);
  for (const std::string& bad :
       {std::string(""), std::string("sha256$$"), good.substr(1), good + "0",
        good.substr(0, good.size() - 1), "md5" + good.substr(3), upper, bad_salt, bad_digest,
        moved_dollar, std::string(good.size(), '$')}) {
    EXPECT_FALSE(VerifySecret("s", bad)) << bad;
  }
}

}  // namespace
}  // namespace locai::crypto

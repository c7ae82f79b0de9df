#include "crypto/ed25519.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "crypto/sha256.h"

namespace locai::crypto {
namespace {

std::string Unhex(std::string_view hex) {
  Result<std::vector<uint8_t>> bytes = FromHex(hex);
  EXPECT_TRUE(bytes) << hex;
  return bytes ? std::string(bytes->begin(), bytes->end()) : std::string();
}

std::string Hex(std::string_view bytes) {
  return ToHex(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
}

struct Rfc8032Vector {
  const char* secret;
  const char* public_key;
  const char* message;
  const char* signature;
};

// RFC 8032 section 7.1, tests 1 and 2.
constexpr Rfc8032Vector kVectors[] = {
    {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b"
     "46bd25bf5f0595bbe24655141438e7a100b"},
    {"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11"
     "d8c387b2eaeb4302aeeb00d291612bb0c00"},
};

TEST(Ed25519, Rfc8032Vectors) {
  for (const Rfc8032Vector& vector : kVectors) {
    std::string secret = Unhex(vector.secret);
    std::string message = Unhex(vector.message);
    Result<std::string> public_key = Ed25519PublicFromPrivate(secret);
    ASSERT_TRUE(public_key);
    EXPECT_EQ(Hex(*public_key), vector.public_key);
    Result<std::string> signature = Ed25519Sign(secret, message);
    ASSERT_TRUE(signature);
    EXPECT_EQ(Hex(*signature), vector.signature);
    EXPECT_TRUE(Ed25519Verify(*public_key, message, *signature));
  }
}

TEST(Ed25519, GeneratedKeysSignAndVerify) {
  Result<Ed25519KeyPair> pair = GenerateEd25519();
  ASSERT_TRUE(pair);
  EXPECT_EQ(pair->private_key.size(), 32u);
  EXPECT_EQ(pair->public_key.size(), 32u);
  EXPECT_EQ(*Ed25519PublicFromPrivate(pair->private_key), pair->public_key);
  Result<Ed25519KeyPair> other = GenerateEd25519();
  ASSERT_TRUE(other);
  EXPECT_NE(other->private_key, pair->private_key);

  Result<std::string> signature = Ed25519Sign(pair->private_key, "hello");
  ASSERT_TRUE(signature);
  EXPECT_EQ(signature->size(), 64u);
  EXPECT_TRUE(Ed25519Verify(pair->public_key, "hello", *signature));
  EXPECT_FALSE(Ed25519Verify(pair->public_key, "hellO", *signature));
  EXPECT_FALSE(Ed25519Verify(other->public_key, "hello", *signature));
  std::string flipped = *signature;
  flipped[10] = static_cast<char>(flipped[10] ^ 1);
  EXPECT_FALSE(Ed25519Verify(pair->public_key, "hello", flipped));
}

TEST(Ed25519, WrongSizesAreRejectedWithoutCrashing) {
  Result<Ed25519KeyPair> pair = GenerateEd25519();
  ASSERT_TRUE(pair);
  std::string signature = *Ed25519Sign(pair->private_key, "m");
  EXPECT_FALSE(Ed25519Verify("", "m", signature));
  EXPECT_FALSE(Ed25519Verify(pair->public_key.substr(1), "m", signature));
  EXPECT_FALSE(Ed25519Verify(pair->public_key + "x", "m", signature));
  EXPECT_FALSE(Ed25519Verify(pair->public_key, "m", ""));
  EXPECT_FALSE(Ed25519Verify(pair->public_key, "m", signature.substr(0, 63)));
  EXPECT_FALSE(Ed25519Verify(pair->public_key, "m", signature + "x"));
  EXPECT_FALSE(Ed25519Verify(std::string(32, '\0'), "m", std::string(64, '\0')));
  EXPECT_FALSE(Ed25519Verify(std::string(32, '\xff'), "m", std::string(64, '\xff')));

  for (std::string_view bad_key : {std::string_view(""), std::string_view("short")}) {
    Result<std::string> signed_result = Ed25519Sign(bad_key, "m");
    ASSERT_FALSE(signed_result);
    EXPECT_EQ(signed_result.error().code(), StatusCode::kInvalidArgument);
    Result<std::string> public_result = Ed25519PublicFromPrivate(bad_key);
    ASSERT_FALSE(public_result);
    EXPECT_EQ(public_result.error().code(), StatusCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace locai::crypto

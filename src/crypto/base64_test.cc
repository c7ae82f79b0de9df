#include "crypto/base64.h"

#include <gtest/gtest.h>

#include <string>

namespace locai::crypto {
namespace {

// RFC 4648 section 10.
TEST(Base64, Rfc4648Vectors) {
  const std::pair<std::string, std::string> kVectors[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : kVectors) {
    EXPECT_EQ(Base64Encode(plain), encoded);
    Result<std::string> decoded = Base64Decode(encoded);
    ASSERT_TRUE(decoded) << encoded;
    EXPECT_EQ(*decoded, plain);
  }
}

TEST(Base64, AllByteValuesRoundTripInBothAlphabets) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  for (size_t len = 0; len <= bytes.size(); len += 37) {
    std::string prefix = bytes.substr(0, len);
    EXPECT_EQ(*Base64Decode(Base64Encode(prefix)), prefix);
    EXPECT_EQ(*Base64UrlDecode(Base64UrlEncode(prefix)), prefix);
  }
  std::string std_form = Base64Encode(bytes);
  std::string url_form = Base64UrlEncode(bytes);
  EXPECT_NE(std_form.find('+'), std::string::npos);
  EXPECT_NE(std_form.find('/'), std::string::npos);
  EXPECT_EQ(url_form.find_first_of("+/="), std::string::npos);
  EXPECT_NE(url_form.find('-'), std::string::npos);
  EXPECT_NE(url_form.find('_'), std::string::npos);
}

TEST(Base64, UrlVariantHasNoPadding) {
  EXPECT_EQ(Base64UrlEncode("f"), "Zg");
  EXPECT_EQ(Base64UrlEncode("fo"), "Zm8");
  EXPECT_EQ(Base64UrlEncode("\xfb\xff"), "-_8");
  EXPECT_EQ(*Base64UrlDecode("-_8"), "\xfb\xff");
}

TEST(Base64, StandardDecodeIsStrict) {
  for (std::string_view bad : {
           "Zg",         // missing padding
           "Zg=",        // short padding
           "Zg===",      // too much padding
           "Z===",       // three padding characters
           "====",       // only padding
           "Zm=v",       // padding in the middle
           "Zm9v Yg==",  // whitespace
           "Zm9v\nYg==",
           "Zh==",  // non-zero trailing bits ("Zg==" is canonical)
           "Zm9=",  // non-zero trailing bits ("Zm8=" is canonical)
           "Zm9-",  // URL alphabet in standard decoding
           "Zm9_",
           "Zm9\x80",
       }) {
    Result<std::string> result = Base64Decode(bad);
    ASSERT_FALSE(result) << bad;
    EXPECT_EQ(result.error().code(), StatusCode::kInvalidArgument) << bad;
  }
}

TEST(Base64, UrlDecodeIsStrict) {
  for (std::string_view bad : {"Zg==", "Zm8=", "Z", "Zm9v+", "Zm9v/A", "Zh", "Zm 9"}) {
    Result<std::string> result = Base64UrlDecode(bad);
    ASSERT_FALSE(result) << bad;
    EXPECT_EQ(result.error().code(), StatusCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace locai::crypto

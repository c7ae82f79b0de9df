#include "api/common/base64.h"

#include <gtest/gtest.h>

#include <cstring>
#include <limits>

namespace locai::api {
namespace {

std::vector<uint8_t> Bytes(std::string_view text) { return {text.begin(), text.end()}; }

TEST(Base64, Rfc4648Vectors) {
  EXPECT_EQ(Base64Encode(Bytes("")), "");
  EXPECT_EQ(Base64Encode(Bytes("f")), "Zg==");
  EXPECT_EQ(Base64Encode(Bytes("fo")), "Zm8=");
  EXPECT_EQ(Base64Encode(Bytes("foo")), "Zm9v");
  EXPECT_EQ(Base64Encode(Bytes("foob")), "Zm9vYg==");
  EXPECT_EQ(Base64Encode(Bytes("fooba")), "Zm9vYmE=");
  EXPECT_EQ(Base64Encode(Bytes("foobar")), "Zm9vYmFy");
  EXPECT_EQ(Base64Encode(std::vector<uint8_t>{0xfb, 0xff}), "+/8=");
}

TEST(Base64, DecodeInvertsEncode) {
  for (std::string_view text : {"", "f", "fo", "foo", "foobar", "\xff\x00\x10"}) {
    auto decoded = Base64Decode(Base64Encode(Bytes(text)));
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(*decoded, Bytes(text));
  }
}

TEST(Base64, DecodeRejectsMalformed) {
  EXPECT_FALSE(Base64Decode("Zg=").has_value());       // length
  EXPECT_FALSE(Base64Decode("Z!==").has_value());      // alphabet
  EXPECT_FALSE(Base64Decode("Zg==Zg==").has_value());  // padding before the end
  EXPECT_FALSE(Base64Decode("Z=g=").has_value());      // data after padding
  EXPECT_FALSE(Base64Decode("====").has_value());
}

TEST(Base64, Float32IsLittleEndian) {
  // 1.0f = 0x3f800000 -> bytes 00 00 80 3f -> "AACAPw==".
  const float one[] = {1.0f};
  EXPECT_EQ(EncodeFloat32Base64(one), "AACAPw==");
  // -2.0f = 0xc0000000 -> 00 00 00 c0; 0.5f = 0x3f000000 -> 00 00 00 3f.
  const float pair[] = {-2.0f, 0.5f};
  EXPECT_EQ(EncodeFloat32Base64(pair), "AAAAwAAAAD8=");
  EXPECT_EQ(EncodeFloat32Base64({}), "");
}

TEST(Base64, Float32RoundTripIsBitExact) {
  const std::vector<float> values = {0.0f,
                                     -0.0f,
                                     3.14159f,
                                     -1e-30f,
                                     1e30f,
                                     std::numeric_limits<float>::denorm_min(),
                                     std::numeric_limits<float>::infinity()};
  auto decoded = DecodeFloat32Base64(EncodeFloat32Base64(values));
  ASSERT_TRUE(decoded.has_value());
  ASSERT_EQ(decoded->size(), values.size());
  EXPECT_EQ(std::memcmp(decoded->data(), values.data(), values.size() * sizeof(float)), 0);
  EXPECT_FALSE(DecodeFloat32Base64("Zm9v").has_value());  // 3 bytes: not whole floats
}

}  // namespace
}  // namespace locai::api

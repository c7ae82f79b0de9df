#include "engine/kernels/fp16.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

namespace locai::engine {
namespace {

TEST(Fp16Test, KnownValues) {
  EXPECT_EQ(F32ToFp16(1.0f), 0x3c00);
  EXPECT_EQ(F32ToFp16(-2.0f), 0xc000);
  EXPECT_EQ(F32ToFp16(0.1f), 0x2e66);
  EXPECT_EQ(F32ToFp16(65504.0f), 0x7bff);
  EXPECT_EQ(F32ToFp16(65519.0f), 0x7bff);
  EXPECT_EQ(F32ToFp16(65520.0f), 0x7c00);  // ties to even: rounds up to infinity
  EXPECT_EQ(F32ToFp16(std::ldexp(1.0f, -24)), 0x0001);
  EXPECT_EQ(F32ToFp16(std::ldexp(1.0f, -25)), 0x0000);  // tie, to even
  EXPECT_EQ(F32ToFp16(std::ldexp(1.5f, -25)), 0x0001);
  EXPECT_EQ(F32ToFp16(-0.0f), 0x8000);
  EXPECT_EQ(F32ToFp16(std::numeric_limits<float>::infinity()), 0x7c00);
  EXPECT_EQ(F32ToFp16(1.0f + std::ldexp(1.0f, -11)), 0x3c00);  // tie, to even
  EXPECT_EQ(F32ToFp16(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3c02);
  EXPECT_TRUE(std::isnan(Fp16ToF32(F32ToFp16(std::nanf("")))));
  EXPECT_EQ(Fp16ToF32(0x3c00), 1.0f);
  EXPECT_EQ(Fp16ToF32(0x0001), std::ldexp(1.0f, -24));
  EXPECT_EQ(Fp16ToF32(0x03ff), std::ldexp(1023.0f, -24));
  EXPECT_EQ(Fp16ToF32(0xfc00), -std::numeric_limits<float>::infinity());
}

TEST(Fp16Test, EveryHalfRoundTrips) {
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const float f = Fp16ToF32(static_cast<uint16_t>(h));
    if (std::isnan(f)) {
      EXPECT_TRUE(std::isnan(Fp16ToF32(F32ToFp16(f))));
      continue;
    }
    ASSERT_EQ(F32ToFp16(f), h) << std::hex << h;
  }
}

TEST(Fp16Test, RoundsToNearestHalf) {
  std::mt19937 rng(1);
  std::uniform_int_distribution<uint32_t> bits;
  for (int i = 0; i < 200000; ++i) {
    uint32_t u = bits(rng);
    u = (u & 0x807fffffu) | ((100u + (u >> 23) % 42u) << 23);  // exponents around fp16's range
    float f;
    std::memcpy(&f, &u, 4);
    const uint16_t h = F32ToFp16(f);
    const double err = std::fabs(static_cast<double>(Fp16ToF32(h)) - f);
    // No other half is closer.
    for (int delta : {-1, 1}) {
      const uint16_t other = static_cast<uint16_t>(h + delta);
      const float g = Fp16ToF32(other);
      if (std::isinf(g) || std::isnan(g) || ((other ^ h) & 0x8000)) continue;
      ASSERT_LE(err, std::fabs(static_cast<double>(g) - f)) << f;
    }
  }
}

TEST(Fp16Test, RowsMatchScalar) {
  std::mt19937 rng(2);
  std::normal_distribution<float> dist(0.0f, 100.0f);
  for (int64_t n : {0, 1, 7, 8, 9, 100}) {
    std::vector<float> src(n), back(n);
    for (auto& v : src) v = dist(rng);
    std::vector<uint16_t> half(n), bf(n);
    F32ToFp16Row(src.data(), half.data(), n);
    F32ToBf16Row(src.data(), bf.data(), n);
    for (int64_t i = 0; i < n; ++i) {
      ASSERT_EQ(half[i], F32ToFp16(src[i]));
      ASSERT_EQ(bf[i], F32ToBf16(src[i]));
    }
    Fp16ToF32Row(half.data(), back.data(), n);
    for (int64_t i = 0; i < n; ++i) ASSERT_EQ(back[i], Fp16ToF32(half[i]));
    Bf16ToF32Row(bf.data(), back.data(), n);
    for (int64_t i = 0; i < n; ++i) ASSERT_EQ(back[i], Bf16ToF32(bf[i]));
  }
}

TEST(Bf16Test, RoundsToNearestEven) {
  auto from_bits = [](uint32_t u) {
    float f;
    std::memcpy(&f, &u, 4);
    return f;
  };
  EXPECT_EQ(F32ToBf16(1.0f), 0x3f80);
  EXPECT_EQ(F32ToBf16(from_bits(0x3f808000u)), 0x3f80);  // tie, even stays
  EXPECT_EQ(F32ToBf16(from_bits(0x3f818000u)), 0x3f82);  // tie, odd rounds up
  EXPECT_EQ(F32ToBf16(from_bits(0x3f808001u)), 0x3f81);
  EXPECT_TRUE(std::isnan(Bf16ToF32(F32ToBf16(std::nanf("")))));
  EXPECT_EQ(Bf16ToF32(0xc000), -2.0f);
}

}  // namespace
}  // namespace locai::engine

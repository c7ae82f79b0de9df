#include "crypto/random.h"

#include <gtest/gtest.h>

#include <set>

namespace locai::crypto {
namespace {

TEST(Random, BytesHaveRequestedLengthAndDiffer) {
  EXPECT_EQ(RandomBytes(0)->size(), 0u);
  Result<std::string> a = RandomBytes(32);
  Result<std::string> b = RandomBytes(32);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->size(), 32u);
  EXPECT_NE(*a, *b);  // 2^-256 chance of a false failure
}

TEST(Random, HexIsLowercaseAndUnique) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    Result<std::string> hex = RandomHex(16);
    ASSERT_TRUE(hex);
    ASSERT_EQ(hex->size(), 32u);
    for (char c : *hex) EXPECT_TRUE((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) << *hex;
    EXPECT_TRUE(seen.insert(*hex).second);
  }
}

TEST(Random, BytesCoverAllValues) {
  // 64 KiB of random bytes contain every byte value (each is missing with probability ~1e-111).
  Result<std::string> bytes = RandomBytes(1 << 16);
  ASSERT_TRUE(bytes);
  std::set<unsigned char> values(bytes->begin(), bytes->end());
  EXPECT_EQ(values.size(), 256u);
}

}  // namespace
}  // namespace locai::crypto

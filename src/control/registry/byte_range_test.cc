#include "control/registry/byte_range.h"

#include <gtest/gtest.h>

namespace locai::control::registry {
namespace {

TEST(ByteRange, NoHeaderOrIgnoredHeaderIsWhole) {
  EXPECT_EQ(ResolveRange(std::nullopt, 100).kind, RangeKind::kWhole);
  for (const char* ignored : {"items=0-1", "bytes=0-1,5-6", "bytes=a-b", "bytes=5-2", "bytes=",
                              "bytes=-", "bytes=99999999999999999999999-"}) {
    EXPECT_EQ(ResolveRange(ignored, 100).kind, RangeKind::kWhole) << ignored;
  }
}

TEST(ByteRange, FirstLast) {
  RangeResult r = ResolveRange("bytes=10-19", 100);
  ASSERT_EQ(r.kind, RangeKind::kPartial);
  EXPECT_EQ(r.range.first, 10u);
  EXPECT_EQ(r.range.length, 10u);
  r = ResolveRange("bytes=90-500", 100);  // clamped to the end
  ASSERT_EQ(r.kind, RangeKind::kPartial);
  EXPECT_EQ(r.range.first, 90u);
  EXPECT_EQ(r.range.length, 10u);
  r = ResolveRange("bytes=99-", 100);
  ASSERT_EQ(r.kind, RangeKind::kPartial);
  EXPECT_EQ(r.range.length, 1u);
}

TEST(ByteRange, Suffix) {
  RangeResult r = ResolveRange("bytes=-30", 100);
  ASSERT_EQ(r.kind, RangeKind::kPartial);
  EXPECT_EQ(r.range.first, 70u);
  EXPECT_EQ(r.range.length, 30u);
  r = ResolveRange("bytes=-300", 100);
  ASSERT_EQ(r.kind, RangeKind::kPartial);
  EXPECT_EQ(r.range.first, 0u);
  EXPECT_EQ(r.range.length, 100u);
}

TEST(ByteRange, Unsatisfiable) {
  EXPECT_EQ(ResolveRange("bytes=100-", 100).kind, RangeKind::kUnsatisfiable);
  EXPECT_EQ(ResolveRange("bytes=200-300", 100).kind, RangeKind::kUnsatisfiable);
  EXPECT_EQ(ResolveRange("bytes=-0", 100).kind, RangeKind::kUnsatisfiable);
}

}  // namespace
}  // namespace locai::control::registry

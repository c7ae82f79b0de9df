#include "control/metering/calendar.h"

#include <gtest/gtest.h>

namespace locai::control::metering {
namespace {

// 2026-11-01T00:00:00Z: 20758 days after the epoch (date(2026,11,1) - date(1970,1,1)).
constexpr int64_t kNov2026 = 20758LL * kMsPerDay;

TEST(CalendarTest, MonthAndDayKeys) {
  EXPECT_EQ(MonthKey(kNov2026), "2026-11");
  EXPECT_EQ(MonthKey(kNov2026 - 1), "2026-10");
  EXPECT_EQ(DayKey(kNov2026), "2026-11-01");
  EXPECT_EQ(DayKey(kNov2026 - 1), "2026-10-31");
  EXPECT_EQ(DayKey(0), "1970-01-01");
  EXPECT_EQ(MonthKey(-1), "1969-12");
}

TEST(CalendarTest, MonthSpans) {
  MonthSpan nov = MonthOf(kNov2026 + 12345);
  EXPECT_EQ(nov.key, "2026-11");
  EXPECT_EQ(nov.start_ms, kNov2026);
  EXPECT_EQ(nov.length_ms(), 30 * kMsPerDay);
  auto feb = ParseMonth("2028-02");  // leap year
  ASSERT_TRUE(feb) << feb.error().ToString();
  EXPECT_EQ(feb->length_ms(), 29 * kMsPerDay);
  auto dec = ParseMonth("2026-12");
  ASSERT_TRUE(dec);
  EXPECT_EQ(dec->start_ms, nov.end_ms);
  EXPECT_EQ(dec->length_ms(), 31 * kMsPerDay);
  EXPECT_EQ(MonthKey(dec->end_ms), "2027-01");
}

TEST(CalendarTest, ParseMonthRefusesMalformed) {
  for (const char* bad : {"", "2026-1", "2026-13", "2026-00", "26-11", "2026/11", "2026-1a",
                          "1969-12", "2026-11-01"}) {
    EXPECT_FALSE(ParseMonth(bad)) << bad;
  }
}

}  // namespace
}  // namespace locai::control::metering

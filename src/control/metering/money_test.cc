#include "control/metering/money.h"

#include <gtest/gtest.h>

#include "control/metering/wide_int.h"

namespace locai::control::metering {
namespace {

TEST(MoneyTest, ParsesDecimalsExactly) {
  EXPECT_EQ(ParseScaledDecimal("35", 6).value(), 35'000'000);
  EXPECT_EQ(ParseScaledDecimal("0.05", 6).value(), 50'000);
  EXPECT_EQ(ParseScaledDecimal("0.14", 6).value(), 140'000);
  EXPECT_EQ(ParseScaledDecimal("1.5e2", 6).value(), 150'000'000);
  EXPECT_EQ(ParseScaledDecimal("1e-05", 6).value(), 10);
  EXPECT_EQ(ParseScaledDecimal("5", 9).value(), 5'000'000'000);
  EXPECT_EQ(ParseScaledDecimal("2.000", 0).value(), 2);  // trailing zeros are not precision
  EXPECT_EQ(ParseScaledDecimal("0.1", 9).value(), 100'000'000);
}

TEST(MoneyTest, RefusesBadDecimals) {
  for (const char* bad :
       {"", "-1", "abc", "1.2.3", "0.0000001", "1e", "1e400", "99999999999999", "2.5"}) {
    EXPECT_FALSE(ParseScaledDecimal(bad, bad == std::string("2.5") ? 0 : 6)) << bad;
  }
}

TEST(MoneyTest, RoundsToPenceHalfUp) {
  EXPECT_EQ(MicroToPence(4'999), 0);
  EXPECT_EQ(MicroToPence(5'000), 1);
  EXPECT_EQ(MicroToPence(35'000'000), 3500);
  EXPECT_EQ(FormatPence(3500), "35.00");
  EXPECT_EQ(FormatPence(5), "0.05");
  EXPECT_EQ(FormatPence(-125), "-1.25");
}

TEST(MoneyTest, FormatsQuantities) {
  EXPECT_EQ(FormatMicroGbp(5'000'000), "5.00");
  EXPECT_EQ(FormatMicroGbp(50'000), "0.05");
  EXPECT_EQ(FormatMicroGbp(1'234), "0.001234");
  EXPECT_EQ(FormatGb(10'000'000'000), "10");
  EXPECT_EQ(FormatGb(9'800'000'000), "9.8");
  EXPECT_EQ(FormatGb(9'849'999'999), "9.8");
  EXPECT_EQ(FormatGb(500'000'000), "0.5");
  EXPECT_EQ(FormatGb(1'234'567'890, 3), "1.235");
  EXPECT_EQ(FormatGb(10'000'000'000, 0), "10");
  EXPECT_EQ(FormatMilli(5'000), "5.000");
  EXPECT_EQ(FormatMilli(1'234), "1.234");
}

TEST(WideIntTest, RoundTripsText) {
  Int128 big = static_cast<Int128>(1) << 100;
  EXPECT_EQ(Int128ToString(big), "1267650600228229401496703205376");
  EXPECT_EQ(ParseInt128(Int128ToString(big)).value(), big);
  EXPECT_EQ(ParseInt128("-42").value(), -42);
  EXPECT_EQ(Int128ToString(-42), "-42");
  EXPECT_EQ(Int128ToString(0), "0");
  EXPECT_FALSE(ParseInt128(""));
  EXPECT_FALSE(ParseInt128("-"));
  EXPECT_FALSE(ParseInt128("12a"));
  EXPECT_FALSE(ParseInt128(std::string(39, '9')));
}

}  // namespace
}  // namespace locai::control::metering

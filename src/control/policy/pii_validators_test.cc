#include "control/policy/pii_validators.h"

#include <gtest/gtest.h>

namespace locai::control::policy {
namespace {

TEST(PiiValidatorsTest, DigitsOfDropsSeparators) {
  EXPECT_EQ(DigitsOf("943 476-5919"), "9434765919");
  EXPECT_EQ(DigitsOf("abc"), "");
}

TEST(PiiValidatorsTest, NhsNumberMod11) {
  EXPECT_TRUE(IsValidNhsNumber("943 476 5919"));
  EXPECT_TRUE(IsValidNhsNumber("9434765919"));
  EXPECT_TRUE(IsValidNhsNumber("943-476-5919"));
  EXPECT_FALSE(IsValidNhsNumber("943 476 5918"));  // wrong check digit
  EXPECT_FALSE(IsValidNhsNumber("943 476 591"));   // nine digits
  EXPECT_FALSE(IsValidNhsNumber("94347659190"));   // eleven digits
  EXPECT_FALSE(IsValidNhsNumber("0000000000"));    // passes the arithmetic, refused as filler
  EXPECT_FALSE(IsValidNhsNumber("1111111111"));
  // 000 000 001x: sum 1*2 = 2, check 11 - 2 = 9.
  EXPECT_TRUE(IsValidNhsNumber("0000000019"));
  // 100 000 000x: sum 10, check 11 - 10 = 1.
  EXPECT_TRUE(IsValidNhsNumber("1000000001"));
  // 000 000 006x: sum 12, 12 mod 11 = 1, check 10: no check digit makes it valid.
  for (char last = '0'; last <= '9'; ++last) {
    EXPECT_FALSE(IsValidNhsNumber(std::string("000000006") + last)) << last;
  }
}

TEST(PiiValidatorsTest, PaymentCardLuhn) {
  EXPECT_TRUE(IsValidPaymentCard("4111 1111 1111 1111"));
  EXPECT_TRUE(IsValidPaymentCard("4111-1111-1111-1111"));
  EXPECT_TRUE(IsValidPaymentCard("5555555555554444"));
  EXPECT_TRUE(IsValidPaymentCard("378282246310005"));  // Amex, 15 digits
  EXPECT_TRUE(IsValidPaymentCard("4222222222222"));    // Visa, 13 digits
  EXPECT_FALSE(IsValidPaymentCard("4111 1111 1111 1112"));
  EXPECT_FALSE(IsValidPaymentCard("411111111111"));          // 12 digits
  EXPECT_FALSE(IsValidPaymentCard("41111111111111111111"));  // 20 digits
  EXPECT_FALSE(IsValidPaymentCard("0000000000000000"));      // Luhn-valid, not an issuer range
  EXPECT_FALSE(IsValidPaymentCard("7992739871300000"));      // first digit 7
}

TEST(PiiValidatorsTest, IbanMod97) {
  EXPECT_TRUE(IsValidIban("GB82 WEST 1234 5698 7654 32"));
  EXPECT_TRUE(IsValidIban("GB82WEST12345698765432"));
  EXPECT_TRUE(IsValidIban("DE89 3704 0044 0532 0130 00"));
  EXPECT_TRUE(IsValidIban("FR14 2004 1010 0505 0001 3M02 606"));
  EXPECT_FALSE(IsValidIban("GB82 WEST 1234 5698 7654 33"));
  EXPECT_FALSE(IsValidIban("GB83 WEST 1234 5698 7654 32"));
  EXPECT_FALSE(IsValidIban("GB82 west 1234 5698 7654 32"));  // lowercase
  EXPECT_FALSE(IsValidIban("GB82 WEST 12"));                 // too short
}

TEST(PiiValidatorsTest, NiNumberPrefixes) {
  EXPECT_TRUE(IsValidNiNumber("AB 12 34 56 C"));
  EXPECT_TRUE(IsValidNiNumber("JG103759A"));
  EXPECT_FALSE(IsValidNiNumber("QQ 12 34 56 C"));  // Q never used
  EXPECT_FALSE(IsValidNiNumber("DA123456A"));      // D first
  EXPECT_FALSE(IsValidNiNumber("AF123456A"));      // F second
  EXPECT_FALSE(IsValidNiNumber("AO123456A"));      // O second
  EXPECT_FALSE(IsValidNiNumber("AV123456A"));
  for (const char* prefix : {"BG", "GB", "NK", "KN", "TN", "NT", "ZZ"}) {
    EXPECT_FALSE(IsValidNiNumber(std::string(prefix) + "123456A")) << prefix;
  }
  EXPECT_FALSE(IsValidNiNumber("AB123456E"));  // suffix beyond D
  EXPECT_FALSE(IsValidNiNumber("AB12345C"));   // five digits
}

TEST(PiiValidatorsTest, SsnReservedRanges) {
  EXPECT_TRUE(IsValidSsn("123-45-6789"));
  EXPECT_TRUE(IsValidSsn("078 05 1120"));
  EXPECT_FALSE(IsValidSsn("000-12-3456"));
  EXPECT_FALSE(IsValidSsn("666-12-3456"));
  EXPECT_FALSE(IsValidSsn("912-12-3456"));
  EXPECT_FALSE(IsValidSsn("123-00-4567"));
  EXPECT_FALSE(IsValidSsn("123-45-0000"));
}

TEST(PiiValidatorsTest, CalendarDates) {
  EXPECT_TRUE(IsValidCalendarDate(2000, 2, 29));
  EXPECT_TRUE(IsValidCalendarDate(2024, 2, 29));
  EXPECT_FALSE(IsValidCalendarDate(1900, 2, 29));
  EXPECT_FALSE(IsValidCalendarDate(2023, 2, 29));
  EXPECT_FALSE(IsValidCalendarDate(1980, 4, 31));
  EXPECT_TRUE(IsValidCalendarDate(1980, 12, 31));
  EXPECT_FALSE(IsValidCalendarDate(1980, 13, 1));
  EXPECT_FALSE(IsValidCalendarDate(1980, 0, 1));
  EXPECT_FALSE(IsValidCalendarDate(1980, 1, 0));
  EXPECT_FALSE(IsValidCalendarDate(1700, 1, 1));
}

}  // namespace
}  // namespace locai::control::policy

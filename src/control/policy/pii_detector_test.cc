#include "control/policy/pii_detector.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "control/policy/pii_validators.h"

namespace locai::control::policy {
namespace {

class PiiDetectorTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto detector = PiiDetector::Create();
    ASSERT_TRUE(detector.has_value()) << detector.error().ToString();
    detector_ = new PiiDetector(std::move(*detector));
  }
  static void TearDownTestSuite() {
    delete detector_;
    detector_ = nullptr;
  }

  // (type name, matched text) for every detection.
  static std::vector<std::pair<std::string, std::string>> Found(std::string_view text) {
    std::vector<std::pair<std::string, std::string>> found;
    for (const PiiMatch& match : detector_->Detect(text)) {
      found.emplace_back(std::string(PiiTypeName(match.type)),
                         std::string(text.substr(match.begin, match.end - match.begin)));
    }
    return found;
  }
  static std::vector<std::pair<std::string, std::string>> One(std::string type, std::string value) {
    return {{std::move(type), std::move(value)}};
  }
  using Found_t = std::vector<std::pair<std::string, std::string>>;

  static PiiDetector* detector_;
};

PiiDetector* PiiDetectorTest::detector_ = nullptr;

TEST_F(PiiDetectorTest, TypeNamesRoundTrip) {
  for (int i = 0; i < kPiiTypeCount; ++i) {
    const auto type = static_cast<PiiType>(i);
    auto parsed = ParsePiiType(PiiTypeName(type));
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(*parsed, type);
  }
  EXPECT_EQ(PiiTypeName(PiiType::kNhsNumber), "nhs_number");
  EXPECT_FALSE(ParsePiiType("passport").has_value());
}

TEST_F(PiiDetectorTest, NothingInOrdinaryText) {
  EXPECT_TRUE(Found("").empty());
  EXPECT_TRUE(Found("Summarise the discharge letter in plain English, please.").empty());
  EXPECT_TRUE(Found("Order 12345 shipped on 2024-03-01 to the depot; 3 boxes, 42 items.").empty());
}

TEST_F(PiiDetectorTest, Email) {
  EXPECT_EQ(Found("write to jane.doe+ward3@nhs.example.co.uk today"),
            One("email", "jane.doe+ward3@nhs.example.co.uk"));
  EXPECT_TRUE(Found("an @ sign alone, user@localhost, a@b.c").empty());
}

TEST_F(PiiDetectorTest, NhsNumber) {
  EXPECT_EQ(Found("NHS no 943 476 5919."), One("nhs_number", "943 476 5919"));
  EXPECT_EQ(Found("NHS no 9434765919"), One("nhs_number", "9434765919"));
  EXPECT_EQ(Found("NHS no 943-476-5919"), One("nhs_number", "943-476-5919"));
  EXPECT_TRUE(Found("NHS no 943 476 5918").empty());
  EXPECT_TRUE(Found("ref 19434765919").empty());  // inside a longer digit run
}

TEST_F(PiiDetectorTest, PaymentCard) {
  EXPECT_EQ(Found("card 4111 1111 1111 1111 exp 12/29"),
            One("payment_card", "4111 1111 1111 1111"));
  EXPECT_EQ(Found("card 4111-1111-1111-1111"), One("payment_card", "4111-1111-1111-1111"));
  EXPECT_EQ(Found("card 5555555555554444"), One("payment_card", "5555555555554444"));
  EXPECT_EQ(Found("amex 3782 822463 10005"), One("payment_card", "3782 822463 10005"));
  EXPECT_TRUE(Found("card 4111 1111 1111 1112").empty());
  EXPECT_TRUE(Found("id 1234567812345678").empty());
  // A trailing group that breaks Luhn is dropped: the card is still found.
  EXPECT_EQ(Found("card 4111 1111 1111 1111 123"), One("payment_card", "4111 1111 1111 1111"));
}

TEST_F(PiiDetectorTest, Iban) {
  EXPECT_EQ(Found("pay GB82 WEST 1234 5698 7654 32 now"),
            One("iban", "GB82 WEST 1234 5698 7654 32"));
  EXPECT_EQ(Found("IBAN: GB82WEST12345698765432"), One("iban", "GB82WEST12345698765432"));
  EXPECT_EQ(Found("IBAN DE89 3704 0044 0532 0130 00"), One("iban", "DE89 3704 0044 0532 0130 00"));
  EXPECT_TRUE(Found("pay GB82 WEST 1234 5698 7654 33 now").empty());
  // A following group that is not part of it is dropped.
  EXPECT_EQ(Found("GB82 WEST 1234 5698 7654 32 ABCD"), One("iban", "GB82 WEST 1234 5698 7654 32"));
}

TEST_F(PiiDetectorTest, NiNumber) {
  EXPECT_EQ(Found("NI: AB 12 34 56 C."), One("ni_number", "AB 12 34 56 C"));
  EXPECT_EQ(Found("NI JG103759A"), One("ni_number", "JG103759A"));
  EXPECT_TRUE(Found("NI QQ123456C").empty());
  EXPECT_TRUE(Found("NI GB123456A").empty());
  EXPECT_TRUE(Found("NI ZZ123456A").empty());
  EXPECT_TRUE(Found("NI AB123456").empty());  // no suffix
}

TEST_F(PiiDetectorTest, Ssn) {
  EXPECT_EQ(Found("SSN 123-45-6789"), One("ssn", "123-45-6789"));
  EXPECT_EQ(Found("SSN 078 05 1120"), One("ssn", "078 05 1120"));
  EXPECT_TRUE(Found("SSN 000-45-6789").empty());
  EXPECT_TRUE(Found("SSN 666-45-6789").empty());
  EXPECT_TRUE(Found("SSN 923-45-6789").empty());
  EXPECT_TRUE(Found("SSN 123-00-6789").empty());
  EXPECT_TRUE(Found("SSN 123-45-0000").empty());
  EXPECT_TRUE(Found("zip 123456789").empty());
}

TEST_F(PiiDetectorTest, Phone) {
  EXPECT_EQ(Found("call +44 7700 900123"), One("phone", "+44 7700 900123"));
  EXPECT_EQ(Found("call +44 (0)20 7946 0958"), One("phone", "+44 (0)20 7946 0958"));
  EXPECT_EQ(Found("call 07700 900123"), One("phone", "07700 900123"));
  EXPECT_EQ(Found("call 07700900123"), One("phone", "07700900123"));
  EXPECT_EQ(Found("call (020) 7946 0958"), One("phone", "(020) 7946 0958"));
  EXPECT_EQ(Found("call 020 7946 0958"), One("phone", "020 7946 0958"));
  EXPECT_EQ(Found("call +1 415 555 2671"), One("phone", "+1 415 555 2671"));
  EXPECT_EQ(Found("call +1 (415) 555-2671"), One("phone", "+1 (415) 555-2671"));
  EXPECT_EQ(Found("call (415) 555-2671"), One("phone", "(415) 555-2671"));
  EXPECT_EQ(Found("call +33 1 23 45 67 89"), One("phone", "+33 1 23 45 67 89"));
  // Long plain digit runs are not phones.
  EXPECT_TRUE(Found("batch 7700900123456").empty());
  EXPECT_TRUE(Found("room 0207").empty());
  EXPECT_TRUE(Found("version 1.2.3, 12:30, 3+4").empty());
}

TEST_F(PiiDetectorTest, DateOfBirthNeedsContext) {
  EXPECT_EQ(Found("DOB: 14/03/1962"), One("date_of_birth", "14/03/1962"));
  EXPECT_EQ(Found("date of birth 1962-03-14"), One("date_of_birth", "1962-03-14"));
  EXPECT_EQ(Found("She was born on 3 March 1962 in Leeds"), One("date_of_birth", "3 March 1962"));
  EXPECT_EQ(Found("Born March 3rd, 1962"), One("date_of_birth", "March 3rd, 1962"));
  EXPECT_EQ(Found("d.o.b. 03.14.1962"), One("date_of_birth", "03.14.1962"));  // month first
  EXPECT_EQ(Found("14/03/1962 (DOB)"), One("date_of_birth", "14/03/1962"));
  // No birth context: an appointment, not a birth date.
  EXPECT_TRUE(Found("Appointment on 14/03/2025 at 10:00").empty());
  EXPECT_TRUE(Found("Released 2024-03-01").empty());
  // Not a calendar day.
  EXPECT_TRUE(Found("DOB: 31/02/1962").empty());
  EXPECT_TRUE(Found("DOB: 1962-13-01").empty());
  // "born" inside another word is not context.
  EXPECT_TRUE(Found("stubborn deadline 14/03/2025").empty());
}

TEST_F(PiiDetectorTest, UkPostcode) {
  EXPECT_EQ(Found("lives at 10 Downing St, SW1A 2AA."), One("uk_postcode", "SW1A 2AA"));
  EXPECT_EQ(Found("M1 1AE"), One("uk_postcode", "M1 1AE"));
  EXPECT_EQ(Found("Leeds LS1 4AP"), One("uk_postcode", "LS1 4AP"));
  EXPECT_EQ(Found("EC1A1BB"), One("uk_postcode", "EC1A1BB"));
  EXPECT_TRUE(Found("the SW1A area").empty());
  EXPECT_TRUE(Found("sw1a 2aa").empty());
  EXPECT_TRUE(Found("M1 1CE").empty());  // C never ends a postcode
}

TEST_F(PiiDetectorTest, PersonNameAfterTitle) {
  EXPECT_EQ(Found("Seen by Dr Jane Smith today"), One("person_name", "Jane Smith"));
  EXPECT_EQ(Found("Mrs. O'Brien called"), One("person_name", "O'Brien"));
  EXPECT_EQ(Found("Prof Zoë Müller-Lüdenscheidt"), One("person_name", "Zoë Müller-Lüdenscheidt"));
  EXPECT_EQ(Found("Mr Smith"), One("person_name", "Smith"));
  EXPECT_TRUE(Found("Drake and the Mrsmith").empty());
  EXPECT_TRUE(Found("Dr said no").empty());  // lowercase word after the title
  EXPECT_TRUE(Found("Jane Smith").empty());  // no title
}

TEST_F(PiiDetectorTest, SortedNonOverlappingMixture) {
  const std::string text =
      "Patient Mr John Doe, DOB 01/02/1980, NHS 943 476 5919, email john@example.org, "
      "phone 07700 900123, card 4111111111111111, postcode M1 1AE, SSN 123-45-6789, "
      "NI AB123456C, IBAN GB82WEST12345698765432.";
  const auto matches = detector_->Detect(text);
  const Found_t expected = {{"person_name", "John Doe"},    {"date_of_birth", "01/02/1980"},
                            {"nhs_number", "943 476 5919"}, {"email", "john@example.org"},
                            {"phone", "07700 900123"},      {"payment_card", "4111111111111111"},
                            {"uk_postcode", "M1 1AE"},      {"ssn", "123-45-6789"},
                            {"ni_number", "AB123456C"},     {"iban", "GB82WEST12345698765432"}};
  EXPECT_EQ(Found(text), expected);
  for (size_t i = 1; i < matches.size(); ++i) EXPECT_LE(matches[i - 1].end, matches[i].begin);
}

TEST_F(PiiDetectorTest, NhsNumberStartingWithZeroIsNotAlsoAPhone) {
  // 010 000 0007? Build one: 0 1 0 0 0 0 0 0 0 -> sum 9, check 2.
  EXPECT_EQ(Found("NHS 0100000002"), One("nhs_number", "0100000002"));
}

TEST_F(PiiDetectorTest, RejectedCandidateDoesNotHideALaterOne) {
  EXPECT_EQ(Found("ref 12 4111 1111 1111 1111"), One("payment_card", "4111 1111 1111 1111"));
  EXPECT_EQ(Found("DOB 99/99/1999 then born 01/02/1980"), One("date_of_birth", "01/02/1980"));
}

TEST_F(PiiDetectorTest, DocumentedEdges) {
  // A dashed 3-3-4 number that fails the NHS check reads as a North American phone number.
  EXPECT_EQ(Found("ref 943-476-5918"), One("phone", "943-476-5918"));
  // Two-digit years are not dates of birth.
  EXPECT_TRUE(Found("DOB 3/4/80").empty());
  // A second date shortly after the birth context is flagged too (over-redaction, not a leak).
  EXPECT_EQ(Found("DOB 01/02/1980, seen 03/04/2024"),
            (Found_t{{"date_of_birth", "01/02/1980"}, {"date_of_birth", "03/04/2024"}}));
  // Lowercase postcodes and NI numbers are not flagged ("x86 4th" would otherwise be a postcode).
  EXPECT_TRUE(Found("ab 12 34 56 c, ls1 4ap").empty());
}

TEST_F(PiiDetectorTest, InvalidUtf8AroundValuesKeepsOffsets) {
  const std::string text =
      std::string("\xff\xfe bad \xc3 NHS 943 476 5919 \x80 Dr Ann Lee \xe2\x82");
  EXPECT_EQ(Found(text), (Found_t{{"nhs_number", "943 476 5919"}, {"person_name", "Ann Lee"}}));
}

TEST_F(PiiDetectorTest, ConcurrentDetectOnOneDetector) {
  const std::string text = "Mrs Jane Patel, NHS 943 476 5919, jane@example.org, 07700 900123";
  const auto expected = detector_->Detect(text);
  ASSERT_EQ(expected.size(), 4u);
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        if (detector_->Detect(text) != expected) ++mismatches[t];
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(mismatches, std::vector<int>(4, 0));
}

// Adversarial inputs: RE2 is linear, and the scan resumes after bounded candidates only. These
// assert the results; a regression to backtracking would show as a hang, not a failed assertion.
TEST_F(PiiDetectorTest, AdversarialInputsFinish) {
  EXPECT_TRUE(detector_->Detect(std::string(1 << 20, 'a')).empty());
  std::string ones;
  for (int i = 0; i < (1 << 19); ++i) ones += "1 ";
  EXPECT_TRUE(detector_->Detect(ones).empty());
  EXPECT_TRUE(detector_->Detect(std::string(1 << 20, '1')).empty());
  std::string brackets(1 << 18, '[');
  brackets += std::string(1 << 18, ']');
  EXPECT_TRUE(detector_->Detect(brackets).empty());
  std::string at_signs;
  for (int i = 0; i < (1 << 18); ++i) at_signs += "a@b.";
  EXPECT_TRUE(detector_->Detect(at_signs).empty());
  // Many real candidates: every one is found.
  std::string emails;
  for (int i = 0; i < 20000; ++i) emails += "x@y.io ";
  EXPECT_EQ(detector_->Detect(emails).size(), 20000u);
  std::string titles;
  for (int i = 0; i < 20000; ++i) titles += "Dr Dr ";
  for (const PiiMatch& match : detector_->Detect(titles)) {
    EXPECT_EQ(match.type, PiiType::kPersonName);
    EXPECT_EQ(titles.substr(match.begin, 2), "Dr");
  }
  std::string digit_groups;
  for (int i = 0; i < 50000; ++i) digit_groups += "4111 1111 ";
  for (const PiiMatch& match : detector_->Detect(digit_groups)) {
    EXPECT_EQ(match.type, PiiType::kPaymentCard);
    EXPECT_TRUE(IsValidPaymentCard(digit_groups.substr(match.begin, match.end - match.begin)));
  }
}

}  // namespace
}  // namespace locai::control::policy

#include "control/policy/pii_policy.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "control/policy/pii_counts.h"

namespace locai::control::policy {
namespace {

TEST(PiiPolicyTest, ParseAndNameActions) {
  for (PiiAction action : {PiiAction::kAllow, PiiAction::kRedact, PiiAction::kBlock}) {
    auto parsed = ParsePiiAction(PiiActionName(action));
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(*parsed, action);
  }
  EXPECT_EQ(PiiActionName(PiiAction::kRedact), "redact");
  for (const char* bad : {"", "Block", "deny", "redact ", "allowed"}) {
    auto parsed = ParsePiiAction(bad);
    ASSERT_FALSE(parsed.has_value()) << bad;
    EXPECT_EQ(parsed.error().code(), StatusCode::kInvalidArgument);
  }
}

TEST(PiiPolicyTest, DecideAppliesTheActionOnlyWhenSomethingWasFound) {
  const std::vector<PiiMatch> none;
  const PiiDecision clean = Decide(PiiAction::kBlock, none);
  EXPECT_EQ(clean.action, PiiAction::kAllow);
  EXPECT_FALSE(clean.found());
  const std::vector<PiiMatch> some = {
      {PiiType::kEmail, 0, 5}, {PiiType::kNhsNumber, 6, 16}, {PiiType::kEmail, 20, 25}};
  const PiiDecision blocked = Decide(PiiAction::kBlock, some);
  EXPECT_EQ(blocked.action, PiiAction::kBlock);
  EXPECT_EQ(blocked.detections, (std::map<std::string, int>{{"email", 2}, {"nhs_number", 1}}));
  EXPECT_EQ(Decide(PiiAction::kRedact, some).action, PiiAction::kRedact);
  EXPECT_EQ(Decide(PiiAction::kAllow, some).action, PiiAction::kAllow);
}

TEST(PiiPolicyTest, BlockedStatusNamesTypesNotValues) {
  const PiiDecision decision =
      Decide(PiiAction::kBlock, std::vector<PiiMatch>{{PiiType::kEmail, 0, 5}});
  const Status status = PiiBlockedStatus(decision);
  EXPECT_EQ(status.code(), StatusCode::kPermissionDenied);
  EXPECT_NE(status.message().find("email x1"), std::string::npos) << status.message();
}

TEST(PiiCountsTest, CountsTypesAndNeverValues) {
  const std::string text = "jane@x.io and 943 476 5919 and jane@x.io";
  const std::vector<PiiMatch> matches = {
      {PiiType::kEmail, 0, 9}, {PiiType::kNhsNumber, 14, 26}, {PiiType::kEmail, 31, 40}};
  const auto counts = CountByType(matches);
  EXPECT_EQ(counts, (std::map<std::string, int>{{"email", 2}, {"nhs_number", 1}}));
  for (const auto& [type, count] : counts) {
    for (const PiiMatch& match : matches) {
      const std::string value = text.substr(match.begin, match.end - match.begin);
      EXPECT_EQ(type.find(value), std::string::npos);
      EXPECT_NE(std::to_string(count), value);
    }
  }
  EXPECT_TRUE(CountByType({}).empty());
  std::map<std::string, int> total = {{"email", 1}};
  MergeCounts(counts, &total);
  EXPECT_EQ(total, (std::map<std::string, int>{{"email", 3}, {"nhs_number", 1}}));
}

}  // namespace
}  // namespace locai::control::policy

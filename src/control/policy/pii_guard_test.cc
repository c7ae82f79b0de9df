#include "control/policy/pii_guard.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace locai::control::policy {
namespace {

class PiiGuardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto detector = PiiDetector::Create();
    ASSERT_TRUE(detector.has_value());
    detector_.emplace(std::move(*detector));
  }
  std::optional<PiiDetector> detector_;
};

const std::vector<std::string_view> kMessages = {
    "You are a clinical assistant.",
    "Draft a letter to Mrs Jane Patel (NHS 943 476 5919, jane@example.org).",
    "Also copy jane@example.org and the GP at LS1 4AP."};

TEST_F(PiiGuardTest, RedactAcrossMessagesAndRestoreTheAnswer) {
  auto guarded = GuardRequest(*detector_, PiiAction::kRedact, kMessages);
  ASSERT_TRUE(guarded.has_value());
  EXPECT_EQ(guarded->decision.action, PiiAction::kRedact);
  EXPECT_EQ(guarded->decision.detections,
            (std::map<std::string, int>{
                {"email", 2}, {"nhs_number", 1}, {"person_name", 1}, {"uk_postcode", 1}}));
  ASSERT_TRUE(guarded->redaction.has_value());
  const auto& texts = guarded->redaction->texts();
  ASSERT_EQ(texts.size(), 3u);
  EXPECT_EQ(texts[0], kMessages[0]);
  EXPECT_EQ(texts[1], "Draft a letter to Mrs [PERSON_NAME_1] (NHS [NHS_NUMBER_1], [EMAIL_1]).");
  EXPECT_EQ(texts[2], "Also copy [EMAIL_1] and the GP at [UK_POSTCODE_1].");
  StreamRestorer restorer(*guarded->redaction);
  std::string answer = restorer.Push("Dear Mrs [PERSON_");
  answer += restorer.Push("NAME_1], your NHS number [NHS_NUM");
  answer += restorer.Push("BER_1] is on file.");
  answer += restorer.Finish();
  EXPECT_EQ(answer, "Dear Mrs Jane Patel, your NHS number 943 476 5919 is on file.");
}

TEST_F(PiiGuardTest, BlockAndAllowKeepTheTexts) {
  auto blocked = GuardRequest(*detector_, PiiAction::kBlock, kMessages);
  ASSERT_TRUE(blocked.has_value());
  EXPECT_EQ(blocked->decision.action, PiiAction::kBlock);
  EXPECT_FALSE(blocked->redaction.has_value());
  EXPECT_EQ(PiiBlockedStatus(blocked->decision).code(), StatusCode::kPermissionDenied);
  auto allowed = GuardRequest(*detector_, PiiAction::kAllow, kMessages);
  ASSERT_TRUE(allowed.has_value());
  EXPECT_EQ(allowed->decision.action, PiiAction::kAllow);
  EXPECT_EQ(allowed->decision.detections.at("email"), 2);
}

TEST_F(PiiGuardTest, CleanRequestIsAllowedWhateverThePolicy) {
  auto guarded = GuardRequest(*detector_, PiiAction::kBlock, {"What is the capital of France?"});
  ASSERT_TRUE(guarded.has_value());
  EXPECT_EQ(guarded->decision.action, PiiAction::kAllow);
  EXPECT_FALSE(guarded->decision.found());
  EXPECT_FALSE(guarded->redaction.has_value());
}

}  // namespace
}  // namespace locai::control::policy

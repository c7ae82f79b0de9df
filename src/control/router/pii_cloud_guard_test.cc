#include "control/router/pii_cloud_guard.h"

#include <gtest/gtest.h>

#include "control/router/fake_upstream.h"

namespace locai::control::router {
namespace {

using testing::FakeUpstream;
using testing::UpstreamScript;

constexpr std::string_view kUserText = "Write to jane.doe@example.com about NHS 943 476 5919 today";

api::GenerationRequest RequestWithPii() {
  api::GenerationRequest request;
  request.api = api::ApiKind::kOpenAiChat;
  request.model = "llama3.2:1b";
  request.messages = {{api::Role::kSystem, "Patient NHS number 943 476 5919."},
                      {api::Role::kUser, std::string(kUserText)}};
  request.user = "jane.doe@example.com";
  request.stream = true;
  request.max_tokens = 100;
  return request;
}

class PiiCloudGuardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto detector = policy::PiiDetector::Create();
    ASSERT_TRUE(detector) << detector.error().ToString();
    detector_ = std::make_unique<policy::PiiDetector>(std::move(*detector));
  }
  std::unique_ptr<policy::PiiDetector> detector_;
};

TEST_F(PiiCloudGuardTest, RedactsEveryTextOfTheRequest) {
  Result<GuardedCloudRequest> guarded =
      GuardCloudRequest(*detector_, policy::PiiAction::kRedact, RequestWithPii());
  ASSERT_TRUE(guarded) << guarded.error().ToString();
  EXPECT_EQ(guarded->decision.action, policy::PiiAction::kRedact);
  EXPECT_EQ(guarded->decision.detections,
            (std::map<std::string, int>{{"email", 2}, {"nhs_number", 2}}));
  ASSERT_TRUE(guarded->redaction.has_value());
  EXPECT_EQ(guarded->request.messages[0].content, "Patient NHS number [NHS_NUMBER_1].");
  EXPECT_EQ(guarded->request.messages[1].content,
            "Write to [EMAIL_1] about NHS [NHS_NUMBER_1] today");
  EXPECT_EQ(guarded->request.user, "[EMAIL_1]");
  EXPECT_EQ(guarded->request.model, "llama3.2:1b");  // everything else as it was
  EXPECT_EQ(guarded->request.max_tokens, 100);
}

TEST_F(PiiCloudGuardTest, NothingFoundIsSentAsItIsWhateverTheAction) {
  api::GenerationRequest clean = RequestWithPii();
  clean.messages = {{api::Role::kUser, "What is the capital of France?"}};
  clean.user.clear();
  Result<GuardedCloudRequest> guarded =
      GuardCloudRequest(*detector_, policy::PiiAction::kBlock, clean);
  ASSERT_TRUE(guarded);
  EXPECT_EQ(guarded->decision.action, policy::PiiAction::kAllow);
  EXPECT_FALSE(guarded->decision.found());
  EXPECT_EQ(guarded->request, clean);
  EXPECT_FALSE(guarded->redaction.has_value());
}

TEST_F(PiiCloudGuardTest, RedactRoundTripThroughFakeUpstreams) {
  for (ProviderKind kind : {ProviderKind::kOpenAi, ProviderKind::kAnthropic}) {
    // The fake model repeats the user's message, 3 bytes per delta, so every placeholder it got
    // arrives split across deltas.
    FakeUpstream upstream(UpstreamScript{.echo_piece_bytes = 3});
    net::egress::Connector connector =
        std::move(*net::egress::Connector::FromRules({"allow 127.0.0.1:*"}));
    CloudClient client(ProviderConfig{"p", kind, upstream.base_url(), "k", {}}, connector);
    std::string answer;
    policy::PiiDecision decision;
    Result<CloudCompletion> done = GuardedCloudStream(
        *detector_, policy::PiiAction::kRedact, client, RequestWithPii(), "cloud-model",
        [&answer](std::string_view text) {
          answer.append(text);
          return true;
        },
        &decision);
    ASSERT_TRUE(done) << done.error().ToString();
    EXPECT_EQ(answer, kUserText) << ProviderKindName(kind);
    EXPECT_EQ(decision.detections, (std::map<std::string, int>{{"email", 2}, {"nhs_number", 2}}));

    // What left the process carried placeholders, never the values.
    ASSERT_EQ(upstream.Received().size(), 1u);
    const std::string sent = upstream.Received()[0].body;
    EXPECT_NE(sent.find("[EMAIL_1]"), std::string::npos) << sent;
    EXPECT_NE(sent.find("[NHS_NUMBER_1]"), std::string::npos) << sent;
    EXPECT_EQ(sent.find("jane.doe"), std::string::npos) << sent;
    EXPECT_EQ(sent.find("943 476 5919"), std::string::npos) << sent;
  }
}

TEST_F(PiiCloudGuardTest, BlockNeverCallsTheUpstream) {
  FakeUpstream upstream(UpstreamScript{});
  net::egress::Connector connector =
      std::move(*net::egress::Connector::FromRules({"allow 127.0.0.1:*"}));
  CloudClient client(ProviderConfig{"p", ProviderKind::kOpenAi, upstream.base_url(), "k", {}},
                     connector);
  bool delta_called = false;
  policy::PiiDecision decision;
  Result<CloudCompletion> done = GuardedCloudStream(
      *detector_, policy::PiiAction::kBlock, client, RequestWithPii(), "cloud-model",
      [&delta_called](std::string_view) {
        delta_called = true;
        return true;
      },
      &decision);
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(done.error().message().find("email x2"), std::string::npos) << done.error().message();
  EXPECT_EQ(done.error().message().find("jane.doe"), std::string::npos);
  EXPECT_EQ(decision.action, policy::PiiAction::kBlock);
  EXPECT_EQ(decision.detections, (std::map<std::string, int>{{"email", 2}, {"nhs_number", 2}}));
  EXPECT_FALSE(delta_called);
  EXPECT_TRUE(upstream.Received().empty());
  EXPECT_EQ(connector.total_attempts(), 0u);
}

TEST_F(PiiCloudGuardTest, AllowSendsTheValuesAndStillReportsThem) {
  FakeUpstream upstream(UpstreamScript{.echo_piece_bytes = 5});
  net::egress::Connector connector =
      std::move(*net::egress::Connector::FromRules({"allow 127.0.0.1:*"}));
  CloudClient client(ProviderConfig{"p", ProviderKind::kOpenAi, upstream.base_url(), "k", {}},
                     connector);
  std::string answer;
  policy::PiiDecision decision;
  Result<CloudCompletion> done = GuardedCloudStream(
      *detector_, policy::PiiAction::kAllow, client, RequestWithPii(), "cloud-model",
      [&answer](std::string_view text) {
        answer.append(text);
        return true;
      },
      &decision);
  ASSERT_TRUE(done) << done.error().ToString();
  EXPECT_EQ(answer, kUserText);
  EXPECT_EQ(decision.action, policy::PiiAction::kAllow);
  EXPECT_EQ(decision.detections.at("email"), 2);
  EXPECT_NE(upstream.Received().at(0).body.find("jane.doe@example.com"), std::string::npos);
}

}  // namespace
}  // namespace locai::control::router

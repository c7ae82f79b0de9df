#include "api/common/generation.h"

#include <gtest/gtest.h>

namespace locai::api {
namespace {

TEST(Generation, FinishReasonNames) {
  EXPECT_EQ(OpenAiFinishReason(FinishReason::kStop), "stop");
  EXPECT_EQ(OpenAiFinishReason(FinishReason::kStopSequence), "stop");
  EXPECT_EQ(OpenAiFinishReason(FinishReason::kLength), "length");
  EXPECT_EQ(AnthropicStopReason(FinishReason::kStop), "end_turn");
  EXPECT_EQ(AnthropicStopReason(FinishReason::kStopSequence), "stop_sequence");
  EXPECT_EQ(AnthropicStopReason(FinishReason::kLength), "max_tokens");
}

TEST(Generation, FinishReasonsParseBack) {
  for (FinishReason reason :
       {FinishReason::kStop, FinishReason::kStopSequence, FinishReason::kLength}) {
    EXPECT_EQ(FinishReasonFromAnthropic(AnthropicStopReason(reason)), reason);
  }
  EXPECT_EQ(FinishReasonFromOpenAi("length"), FinishReason::kLength);
  EXPECT_EQ(FinishReasonFromOpenAi("stop"), FinishReason::kStop);
  EXPECT_EQ(FinishReasonFromOpenAi("tool_calls"), FinishReason::kStop);
  EXPECT_FALSE(FinishReasonFromOpenAi("bogus").has_value());
  EXPECT_FALSE(FinishReasonFromAnthropic("").has_value());
}

TEST(Generation, RoleNames) {
  EXPECT_EQ(RoleName(Role::kSystem), "system");
  EXPECT_EQ(RoleName(Role::kUser), "user");
  EXPECT_EQ(RoleName(Role::kAssistant), "assistant");
}

TEST(Generation, ResponseIds) {
  std::string id = MakeResponseId("chatcmpl-", 1, 2);
  EXPECT_EQ(id.rfind("chatcmpl-", 0), 0u);
  EXPECT_EQ(id.size(), 9u + 24u);
  for (char c : id.substr(9)) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c))) << id;
  EXPECT_NE(MakeResponseId("msg_", 1, 2), MakeResponseId("msg_", 1, 3));
  EXPECT_NE(MakeResponseId("msg_", 1, 2), MakeResponseId("msg_", 2, 2));
  EXPECT_EQ(MakeResponseId("msg_", ~0ull, ~0ull).size(), 4u + 24u);
}

}  // namespace
}  // namespace locai::api

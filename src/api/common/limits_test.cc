#include "api/common/limits.h"

#include <gtest/gtest.h>

namespace locai::api {
namespace {

TEST(ClampMaxTokens, ClampsToRemainingContext) {
  EXPECT_EQ(ClampMaxTokens(1000000000, 100, 4096, "messages"), 3996);
  EXPECT_EQ(ClampMaxTokens(50, 100, 4096, "messages"), 50);
  EXPECT_EQ(ClampMaxTokens(std::nullopt, 100, 4096, "messages"), 3996);
  EXPECT_EQ(ClampMaxTokens(0, 10, 20, "prompt"), 0);
  EXPECT_EQ(ClampMaxTokens(5, 4095, 4096, "prompt"), 1);
}

TEST(ClampMaxTokens, PromptFillsContext) {
  ApiResult<int64_t> full = ClampMaxTokens(10, 4096, 4096, "messages");
  ASSERT_FALSE(full.has_value());
  EXPECT_EQ(full.error().http_status, 400);
  EXPECT_EQ(full.error().type, "invalid_request_error");
  EXPECT_EQ(full.error().param, "messages");
  EXPECT_EQ(full.error().code, "context_length_exceeded");
  EXPECT_NE(full.error().message.find("4096"), std::string::npos);
  EXPECT_FALSE(ClampMaxTokens(10, 5000, 4096, "prompt").has_value());
  EXPECT_EQ(ClampMaxTokens(10, 5000, 4096, "prompt").error().param, "prompt");
  EXPECT_FALSE(ClampMaxTokens(10, 0, 0, "prompt").has_value());
  EXPECT_FALSE(ClampMaxTokens(10, -1, 100, "prompt").has_value());
}

}  // namespace
}  // namespace locai::api

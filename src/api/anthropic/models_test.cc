#include "api/anthropic/models.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api/anthropic/messages_request.h"

namespace locai::api::anthropic {
namespace {

using nlohmann::json;

TEST(AnthropicModels, Rfc3339) {
  EXPECT_EQ(FormatRfc3339(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatRfc3339(951782400), "2000-02-29T00:00:00Z");  // leap day of a 400-year
  EXPECT_EQ(FormatRfc3339(1739923200), "2025-02-19T00:00:00Z");
  EXPECT_EQ(FormatRfc3339(1700000000), "2023-11-14T22:13:20Z");
  EXPECT_EQ(FormatRfc3339(-1), "1969-12-31T23:59:59Z");
  EXPECT_EQ(FormatRfc3339(4107542399), "2100-02-28T23:59:59Z");  // 2100 is not a leap year
  EXPECT_EQ(FormatRfc3339(4107542400), "2100-03-01T00:00:00Z");
}

TEST(AnthropicModels, Shapes) {
  EXPECT_EQ(json::parse(SerializeModel({"qwen", "Qwen 2.5", 0})),
            json::parse(R"({"type":"model","id":"qwen","display_name":"Qwen 2.5",
                            "created_at":"1970-01-01T00:00:00Z"})"));
  const ModelInfo models[] = {{"a", "A", 0}, {"b", "B", 0}};
  json list = json::parse(SerializeModelList(models));
  EXPECT_EQ(list["data"].size(), 2u);
  EXPECT_EQ(list["has_more"], false);
  EXPECT_EQ(list["first_id"], "a");
  EXPECT_EQ(list["last_id"], "b");
  json empty = json::parse(SerializeModelList({}));
  EXPECT_TRUE(empty["first_id"].is_null());
  EXPECT_EQ(empty["data"], json::array());
}

TEST(CountTokens, MaxTokensOptional) {
  auto request = ParseCountTokensRequest(
      R"({"model":"m","messages":[{"role":"user","content":"x"}]})", AnthropicVersion::k20230601);
  ASSERT_TRUE(request.has_value());
  EXPECT_FALSE(request->max_tokens.has_value());
  EXPECT_FALSE(
      ParseCountTokensRequest(R"({"model":"m","messages":[]})", AnthropicVersion::k20230601)
          .has_value());
  EXPECT_EQ(SerializeCountTokens(42), R"({"input_tokens":42})");
}

}  // namespace
}  // namespace locai::api::anthropic

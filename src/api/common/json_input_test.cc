#include "api/common/json_input.h"

#include <gtest/gtest.h>

#include <string>

#include "api/anthropic/messages_request.h"
#include "api/openai/chat_request.h"
#include "api/openai/completions.h"
#include "api/openai/embeddings.h"

namespace locai::api {
namespace {

std::string Nested(size_t depth, char open, char close) {
  return std::string(depth, open) + std::string(depth, close);
}

TEST(JsonDepth, CountsOnlyStructure) {
  EXPECT_TRUE(JsonDepthWithin("{}", 1));
  EXPECT_FALSE(JsonDepthWithin("[[]]", 1));
  EXPECT_TRUE(JsonDepthWithin(Nested(64, '[', ']'), 64));
  EXPECT_FALSE(JsonDepthWithin(Nested(65, '[', ']'), 64));
  EXPECT_TRUE(JsonDepthWithin(R"({"a":"[[[[[[[[","b":"\"[[[["})", 1));
  EXPECT_TRUE(JsonDepthWithin("[][][][]", 1));
  EXPECT_TRUE(JsonDepthWithin("]]]][", 1));  // unbalanced: left to the parser
}

TEST(JsonDepth, HundredThousandDeepIsRefusedOnEveryEndpoint) {
  std::string deep = Nested(100000, '[', ']');
  std::string body = R"({"model":"m","messages":)" + deep + "}";
  auto chat = openai::ParseChatRequest(body);
  ASSERT_FALSE(chat.has_value());
  EXPECT_EQ(chat.error().http_status, 400);
  EXPECT_NE(chat.error().message.find("deeper"), std::string::npos);
  EXPECT_FALSE(openai::ParseCompletionRequest(body).has_value());
  EXPECT_FALSE(openai::ParseEmbeddingsRequest(body).has_value());
  EXPECT_FALSE(anthropic::ParseMessagesRequest(Nested(100000, '{', '}'),
                                               anthropic::AnthropicVersion::k20230601)
                   .has_value());
  // Deep but unterminated, and deep objects.
  EXPECT_FALSE(ParseJsonObject(std::string(100000, '[')).has_value());
  std::string objects;
  for (int i = 0; i < 100000; ++i) objects += "{\"a\":";
  EXPECT_FALSE(ParseJsonObject(objects).has_value());
}

TEST(ParseJsonObject, AcceptsObjectsOnly) {
  EXPECT_TRUE(ParseJsonObject(R"({"a":1})").has_value());
  EXPECT_TRUE(ParseJsonObject(" { } ").has_value());
  for (std::string_view bad : {"", "null", "1", "\"s\"", "[]", "{", "{}{}", "{\"a\":}", "\xff"}) {
    auto parsed = ParseJsonObject(bad);
    ASSERT_FALSE(parsed.has_value()) << bad;
    EXPECT_EQ(parsed.error().http_status, 400);
    EXPECT_EQ(parsed.error().type, "invalid_request_error");
    EXPECT_TRUE(parsed.error().param.empty());
  }
}

TEST(ObjectReader, TypesAndRanges) {
  Json object = Json::parse(
      R"({"s":"x","b":true,"n":1.5,"i":7,"f":3.0,"big":18446744073709551615,"neg":-3,"nul":null,
          "o":{},"a":[]})");
  ParseErrors errors(PathStyle::kOpenAi);
  ObjectReader reader(object, "root", errors);
  EXPECT_EQ(reader.String("s"), "x");
  EXPECT_EQ(reader.Bool("b"), true);
  EXPECT_EQ(reader.Number("n", 0, 2), 1.5);
  EXPECT_EQ(reader.Integer("i", 0, 10), 7);
  EXPECT_EQ(reader.Integer("f", 0, 10), 3);
  EXPECT_EQ(reader.Integer("neg", -5, 0), -3);
  EXPECT_NE(reader.Object("o"), nullptr);
  EXPECT_NE(reader.Array("a"), nullptr);
  EXPECT_FALSE(reader.String("nul").has_value());
  EXPECT_FALSE(reader.String("absent").has_value());
  EXPECT_TRUE(reader.Has("nul"));
  EXPECT_FALSE(reader.Has("absent"));
  EXPECT_TRUE(errors.ok());

  EXPECT_FALSE(reader.Integer("big", 0, INT64_MAX).has_value());
  ASSERT_FALSE(errors.ok());
  EXPECT_EQ(errors.error().param, "root.big");
  // Later failures do not replace the first.
  EXPECT_FALSE(reader.String("i").has_value());
  EXPECT_EQ(errors.error().param, "root.big");
}

TEST(ObjectReader, WrongTypesRecordParam) {
  Json object = Json::parse(R"({"s":1,"b":"no","n":"1","i":1.25,"o":[],"a":{}})");
  for (const char* key : {"s", "b", "n", "i", "o", "a"}) {
    ParseErrors errors(PathStyle::kAnthropic);
    ObjectReader reader(object, "", errors);
    std::string k = key;
    if (k == "s") (void)reader.String(key);
    if (k == "b") (void)reader.Bool(key);
    if (k == "n") (void)reader.Number(key, 0, 1);
    if (k == "i") (void)reader.Integer(key, 0, 1);
    if (k == "o") (void)reader.Object(key);
    if (k == "a") (void)reader.Array(key);
    ASSERT_FALSE(errors.ok()) << key;
    EXPECT_EQ(errors.error().param, k);
    EXPECT_NE(errors.error().message.find("Invalid type"), std::string::npos);
  }
}

TEST(ParseErrors, PathStyles) {
  ParseErrors openai(PathStyle::kOpenAi);
  EXPECT_EQ(openai.Index("messages", 2), "messages[2]");
  EXPECT_EQ(openai.Join(openai.Index("messages", 2), "content"), "messages[2].content");
  ParseErrors anthropic(PathStyle::kAnthropic);
  EXPECT_EQ(anthropic.Join(anthropic.Index("messages", 2), "content"), "messages.2.content");
  EXPECT_EQ(anthropic.Join("", "model"), "model");
}

TEST(IntegerValue, Bounds) {
  EXPECT_EQ(IntegerValue(Json(5), 0, 10), 5);
  EXPECT_FALSE(IntegerValue(Json(11), 0, 10).has_value());
  EXPECT_FALSE(IntegerValue(Json(1e300), 0, INT64_MAX).has_value());
  EXPECT_FALSE(IntegerValue(Json(-1e300), INT64_MIN, 0).has_value());
  EXPECT_FALSE(IntegerValue(Json("5"), 0, 10).has_value());
  EXPECT_FALSE(IntegerValue(Json(true), 0, 10).has_value());
  EXPECT_EQ(IntegerValue(Json(uint64_t{9}), 0, 10), 9);
}

}  // namespace
}  // namespace locai::api

#include "api/common/headers.h"

#include <gtest/gtest.h>

namespace locai::api {
namespace {

TEST(Headers, FindIsCaseInsensitive) {
  HeaderList headers = {{"Content-Type", "application/json"}, {"X-Api-Key", "k1"}};
  EXPECT_EQ(FindHeader(headers, "content-type"), "application/json");
  EXPECT_EQ(FindHeader(headers, "X-API-KEY"), "k1");
  EXPECT_FALSE(FindHeader(headers, "authorization").has_value());
}

TEST(Headers, ApiKeyFromXApiKey) {
  EXPECT_EQ(ExtractApiKey({{"x-api-key", "sk-ant-1"}}), "sk-ant-1");
  EXPECT_EQ(ExtractApiKey({{"x-api-key", "  padded  "}}), "padded");
}

TEST(Headers, ApiKeyFromBearer) {
  EXPECT_EQ(ExtractApiKey({{"Authorization", "Bearer sk-1"}}), "sk-1");
  EXPECT_EQ(ExtractApiKey({{"authorization", "bearer   sk-2  "}}), "sk-2");
  EXPECT_EQ(ExtractApiKey({{"authorization", "BEARER\tsk-3"}}), "sk-3");
}

TEST(Headers, XApiKeyWinsOverBearer) {
  EXPECT_EQ(ExtractApiKey({{"authorization", "Bearer b"}, {"x-api-key", "a"}}), "a");
  // An empty x-api-key does not hide a bearer token.
  EXPECT_EQ(ExtractApiKey({{"x-api-key", ""}, {"authorization", "Bearer b"}}), "b");
}

TEST(Headers, NoKey) {
  EXPECT_FALSE(ExtractApiKey({}).has_value());
  EXPECT_FALSE(ExtractApiKey({{"authorization", "Basic dXNlcjpwYXNz"}}).has_value());
  EXPECT_FALSE(ExtractApiKey({{"authorization", "Bearer"}}).has_value());
  EXPECT_FALSE(ExtractApiKey({{"authorization", "Bearer    "}}).has_value());
  EXPECT_FALSE(ExtractApiKey({{"authorization", "Bearersk-1"}}).has_value());
  EXPECT_FALSE(ExtractApiKey({{"x-api-key", "   "}}).has_value());
}

}  // namespace
}  // namespace locai::api

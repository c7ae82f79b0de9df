#include "api/openai/embeddings.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api/common/base64.h"

namespace locai::api::openai {
namespace {

using nlohmann::json;

TEST(Embeddings, FloatShape) {
  EmbeddingsResult result{{{0.5f, -1.0f}, {0.25f, 2.0f}}, 6};
  json body = json::parse(SerializeEmbeddings("e5", result, false));
  EXPECT_EQ(body, json::parse(R"({"object":"list","data":[
      {"object":"embedding","index":0,"embedding":[0.5,-1.0]},
      {"object":"embedding","index":1,"embedding":[0.25,2.0]}],
      "model":"e5","usage":{"prompt_tokens":6,"total_tokens":6}})"));
}

TEST(Embeddings, Base64IsLittleEndianFloat32) {
  EmbeddingsResult result{{{1.0f}, {-2.0f, 0.5f}}, 2};
  json body = json::parse(SerializeEmbeddings("e5", result, true));
  EXPECT_EQ(body["data"][0]["embedding"], "AACAPw==");
  EXPECT_EQ(body["data"][1]["embedding"], "AAAAwAAAAD8=");
  auto decoded = DecodeFloat32Base64(body["data"][1]["embedding"].get<std::string>());
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(*decoded, (std::vector<float>{-2.0f, 0.5f}));
}

TEST(Embeddings, FloatValuesRoundTripThroughText) {
  EmbeddingsResult result{{{0.1f, 1e-7f, 123.456f}}, 1};
  json body = json::parse(SerializeEmbeddings("e5", result, false));
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(body["data"][0]["embedding"][i].get<float>(), result.embeddings[0][i]);
  }
}

TEST(Embeddings, Empty) {
  json body = json::parse(SerializeEmbeddings("e5", EmbeddingsResult{}, true));
  EXPECT_EQ(body["data"], json::array());
}

}  // namespace
}  // namespace locai::api::openai

#include "api/openai/completions.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api/common/sse.h"

namespace locai::api::openai {
namespace {

using nlohmann::json;

ResponseMeta Meta() { return {"cmpl-1", "m", 1, ""}; }

TEST(Completion, ExactShape) {
  GenerationResult result;
  result.text = " there";
  result.usage = {3, 1};
  json body = json::parse(SerializeCompletion(Meta(), result, false));
  EXPECT_EQ(body, json::parse(R"({"id":"cmpl-1","object":"text_completion","created":1,"model":"m",
      "system_fingerprint":null,"choices":[{"text":" there","index":0,"logprobs":null,
      "finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}})"));
}

TEST(Completion, LegacyLogprobs) {
  GenerationResult result;
  result.text = "ab";
  result.finish_reason = FinishReason::kLength;
  result.logprobs = {{"a", -0.1, {{"a", -0.1}, {"b", -2.0}}}, {"b", -0.2, {}}};
  json body = json::parse(SerializeCompletion(Meta(), result, true));
  EXPECT_EQ(body["choices"][0]["logprobs"], json::parse(R"({"tokens":["a","b"],
      "token_logprobs":[-0.1,-0.2],"top_logprobs":[{"a":-0.1,"b":-2.0},{}],"text_offset":[0,1]})"));
  EXPECT_EQ(body["choices"][0]["finish_reason"], "length");
}

TEST(CompletionStream, Sequence) {
  CompletionStreamWriter writer(Meta(), true, true);
  const TokenLogprob first{"He", -0.1, {}};
  const TokenLogprob second{"y", -0.3, {}};
  // Delta() is stateful (text offsets), so sequence the calls explicitly.
  std::string stream = writer.Delta("He", std::span(&first, 1));
  stream += writer.Delta("y", std::span(&second, 1));
  stream += writer.Finish(FinishReason::kStop, Usage{2, 2});
  SseParser parser;
  auto events = parser.Feed(stream);
  ASSERT_EQ(events.size(), 5u);
  EXPECT_EQ(events[4].data, "[DONE]");
  json c0 = json::parse(events[0].data), c1 = json::parse(events[1].data);
  json c2 = json::parse(events[2].data), c3 = json::parse(events[3].data);
  EXPECT_EQ(c0["object"], "text_completion");
  EXPECT_EQ(c0["choices"][0]["text"], "He");
  EXPECT_TRUE(c0["choices"][0]["finish_reason"].is_null());
  EXPECT_EQ(c1["choices"][0]["logprobs"]["text_offset"], json::parse("[2]"));
  EXPECT_EQ(c2["choices"][0]["text"], "");
  EXPECT_EQ(c2["choices"][0]["finish_reason"], "stop");
  EXPECT_TRUE(c2["usage"].is_null());
  EXPECT_EQ(c3["choices"], json::array());
  EXPECT_EQ(c3["usage"]["total_tokens"], 4);
}

TEST(CompletionStream, NoUsageChunkByDefault) {
  CompletionStreamWriter writer(Meta(), false, false);
  SseParser parser;
  auto events = parser.Feed(writer.Delta("x") + writer.Finish(FinishReason::kLength, {}));
  ASSERT_EQ(events.size(), 3u);
  EXPECT_FALSE(json::parse(events[0].data).contains("usage"));
  EXPECT_TRUE(json::parse(events[0].data)["choices"][0]["logprobs"].is_null());
  EXPECT_EQ(json::parse(events[1].data)["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(writer.Error(InvalidRequest("x")).rfind("data: {\"error\"", 0), 0u);
}

}  // namespace
}  // namespace locai::api::openai

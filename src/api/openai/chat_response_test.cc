#include "api/openai/chat_response.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "api/common/sse.h"

namespace locai::api::openai {
namespace {

using nlohmann::json;

std::set<std::string> Keys(const json& object) {
  std::set<std::string> keys;
  for (const auto& [key, value] : object.items()) keys.insert(key);
  return keys;
}

ResponseMeta Meta() { return {"chatcmpl-abc", "qwen2.5-0.5b", 1700000000, "fp_locai"}; }

// The JSON payloads of an OpenAI-style stream; the last must be [DONE].
std::vector<json> Payloads(const std::string& stream) {
  SseParser parser;
  std::vector<json> out;
  auto events = parser.Feed(stream);
  EXPECT_EQ(parser.buffered_bytes(), 0u);
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].event, "");
    if (events[i].data == "[DONE]") {
      EXPECT_EQ(i + 1, events.size()) << "[DONE] must be last";
      continue;
    }
    out.push_back(json::parse(events[i].data));
  }
  return out;
}

TEST(ChatCompletion, ExactShape) {
  GenerationResult result;
  result.text = "Hello!";
  result.finish_reason = FinishReason::kLength;
  result.usage = {12, 5};
  json body = json::parse(SerializeChatCompletion(Meta(), result, false));
  EXPECT_EQ(Keys(body), (std::set<std::string>{"id", "object", "created", "model",
                                               "system_fingerprint", "choices", "usage"}));
  EXPECT_EQ(body["id"], "chatcmpl-abc");
  EXPECT_EQ(body["object"], "chat.completion");
  EXPECT_EQ(body["created"], 1700000000);
  EXPECT_EQ(body["model"], "qwen2.5-0.5b");
  EXPECT_EQ(body["system_fingerprint"], "fp_locai");
  ASSERT_EQ(body["choices"].size(), 1u);
  const json& choice = body["choices"][0];
  EXPECT_EQ(Keys(choice), (std::set<std::string>{"index", "message", "logprobs", "finish_reason"}));
  EXPECT_EQ(choice["index"], 0);
  EXPECT_EQ(choice["message"],
            json::parse(R"({"role":"assistant","content":"Hello!","refusal":null})"));
  EXPECT_TRUE(choice["logprobs"].is_null());
  EXPECT_EQ(choice["finish_reason"], "length");
  EXPECT_EQ(body["usage"],
            json::parse(R"({"prompt_tokens":12,"completion_tokens":5,"total_tokens":17})"));
}

TEST(ChatCompletion, KeysInOpenAiOrder) {
  std::string text = SerializeChatCompletion(Meta(), GenerationResult{}, false);
  EXPECT_EQ(text.rfind(R"({"id":"chatcmpl-abc","object":"chat.completion","created":)", 0), 0u)
      << text;
}

TEST(ChatCompletion, EmptyFingerprintIsNull) {
  ResponseMeta meta = Meta();
  meta.system_fingerprint.clear();
  json body = json::parse(SerializeChatCompletion(meta, GenerationResult{}, false));
  EXPECT_TRUE(body["system_fingerprint"].is_null());
  EXPECT_EQ(body["choices"][0]["finish_reason"], "stop");
}

TEST(ChatCompletion, Logprobs) {
  GenerationResult result;
  result.text = "Hi";
  result.logprobs = {{"Hi", -0.25, {{"Hi", -0.25}, {"Hey", -1.5}}}};
  json body = json::parse(SerializeChatCompletion(Meta(), result, true));
  const json& logprobs = body["choices"][0]["logprobs"];
  EXPECT_EQ(Keys(logprobs), (std::set<std::string>{"content", "refusal"}));
  ASSERT_EQ(logprobs["content"].size(), 1u);
  const json& token = logprobs["content"][0];
  EXPECT_EQ(Keys(token), (std::set<std::string>{"token", "logprob", "bytes", "top_logprobs"}));
  EXPECT_EQ(token["token"], "Hi");
  EXPECT_EQ(token["logprob"], -0.25);
  EXPECT_EQ(token["bytes"], json::parse("[72,105]"));
  ASSERT_EQ(token["top_logprobs"].size(), 2u);
  EXPECT_EQ(token["top_logprobs"][1],
            json::parse(R"({"token":"Hey","logprob":-1.5,"bytes":[72,101,121]})"));
}

TEST(ChatCompletion, PartialUtf8TokenDoesNotThrow) {
  GenerationResult result;
  result.text = "caf\xc3";  // a token boundary inside "é"
  result.logprobs = {{"\xc3", -0.1, {}}};
  std::string text = SerializeChatCompletion(Meta(), result, true);
  json body = json::parse(text);
  EXPECT_EQ(body["choices"][0]["message"]["content"], "caf\xef\xbf\xbd");
  // The raw byte survives in `bytes`.
  EXPECT_EQ(body["choices"][0]["logprobs"]["content"][0]["bytes"], json::parse("[195]"));
}

TEST(ChatStream, SequenceWithUsage) {
  ChatStreamWriter writer(Meta(), /*include_usage=*/true, /*include_logprobs=*/false);
  std::string stream = writer.Start() + writer.Delta("Hel") + writer.Delta("lo") +
                       writer.Finish(FinishReason::kStop, Usage{7, 2});
  EXPECT_EQ(stream.substr(stream.size() - 14), "data: [DONE]\n\n");
  std::vector<json> chunks = Payloads(stream);
  ASSERT_EQ(chunks.size(), 5u);
  for (const json& chunk : chunks) {
    EXPECT_EQ(chunk["object"], "chat.completion.chunk");
    EXPECT_EQ(chunk["id"], "chatcmpl-abc");
    EXPECT_EQ(chunk["created"], 1700000000);
    EXPECT_EQ(chunk["model"], "qwen2.5-0.5b");
    EXPECT_EQ(Keys(chunk), (std::set<std::string>{"id", "object", "created", "model",
                                                  "system_fingerprint", "choices", "usage"}));
  }
  EXPECT_EQ(chunks[0]["choices"][0]["delta"],
            json::parse(R"({"role":"assistant","content":"","refusal":null})"));
  EXPECT_EQ(Keys(chunks[0]["choices"][0]),
            (std::set<std::string>{"index", "delta", "logprobs", "finish_reason"}));
  EXPECT_TRUE(chunks[0]["choices"][0]["finish_reason"].is_null());
  EXPECT_EQ(chunks[1]["choices"][0]["delta"], json::parse(R"({"content":"Hel"})"));
  EXPECT_EQ(chunks[2]["choices"][0]["delta"], json::parse(R"({"content":"lo"})"));
  EXPECT_TRUE(chunks[2]["usage"].is_null());
  EXPECT_EQ(chunks[3]["choices"][0]["delta"], json::object());
  EXPECT_EQ(chunks[3]["choices"][0]["finish_reason"], "stop");
  EXPECT_TRUE(chunks[3]["usage"].is_null());
  EXPECT_EQ(chunks[4]["choices"], json::array());
  EXPECT_EQ(chunks[4]["usage"],
            json::parse(R"({"prompt_tokens":7,"completion_tokens":2,"total_tokens":9})"));
}

TEST(ChatStream, WithoutUsageHasNoUsageKey) {
  ChatStreamWriter writer(Meta(), false, false);
  std::vector<json> chunks =
      Payloads(writer.Start() + writer.Delta("x") + writer.Finish(FinishReason::kLength, {}));
  ASSERT_EQ(chunks.size(), 3u);
  for (const json& chunk : chunks) EXPECT_FALSE(chunk.contains("usage"));
  EXPECT_EQ(chunks[2]["choices"][0]["finish_reason"], "length");
}

TEST(ChatStream, DeltaLogprobs) {
  ChatStreamWriter writer(Meta(), false, true);
  const TokenLogprob token{"x", -0.5, {}};
  json chunk = Payloads(writer.Delta("x", std::span(&token, 1)))[0];
  EXPECT_EQ(chunk["choices"][0]["logprobs"]["content"][0]["token"], "x");
  EXPECT_EQ(chunk["choices"][0]["logprobs"]["content"][0]["top_logprobs"], json::array());
}

TEST(ChatStream, ErrorEvent) {
  ChatStreamWriter writer(Meta(), false, false);
  std::string event = writer.Error(InvalidRequest("boom"));
  EXPECT_EQ(event.rfind("data: {\"error\":", 0), 0u);
  EXPECT_EQ(event.substr(event.size() - 2), "\n\n");
}

}  // namespace
}  // namespace locai::api::openai

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api/anthropic/messages_request.h"
#include "api/anthropic/messages_response.h"
#include "api/common/sse.h"
#include "api/openai/chat_request.h"
#include "api/openai/chat_response.h"
#include "api/translate/request_translate.h"
#include "api/translate/response_translate.h"

namespace locai::api::translate {
namespace {

using anthropic::AnthropicVersion;
using nlohmann::json;

GenerationRequest ParseChat(std::string_view body) {
  auto parsed = openai::ParseChatRequest(body);
  EXPECT_TRUE(parsed.has_value()) << (parsed ? "" : parsed.error().message);
  return parsed.value_or(GenerationRequest{});
}

TEST(RequestTranslate, OpenAiChatToAnthropicAndBack) {
  GenerationRequest chat = ParseChat(R"({"model":"gpt","messages":[
      {"role":"system","content":"Be terse."},{"role":"user","content":"Hi"},
      {"role":"assistant","content":"Hello"},{"role":"user","content":"Bye"}],
      "max_tokens":50,"temperature":1.6,"top_p":0.9,"stop":["END"],"user":"u","stream":true})");
  auto body = ToAnthropicMessagesBody(chat, "claude-up", AnthropicVersion::k20230601, 1024);
  ASSERT_TRUE(body.has_value());
  json sent = json::parse(*body);
  EXPECT_EQ(sent["model"], "claude-up");
  EXPECT_EQ(sent["max_tokens"], 50);
  EXPECT_EQ(sent["system"], "Be terse.");
  EXPECT_EQ(sent["temperature"], 1.0);  // clamped into Anthropic's range
  EXPECT_EQ(sent["stop_sequences"], json::parse(R"(["END"])"));
  EXPECT_EQ(sent["metadata"]["user_id"], "u");
  EXPECT_EQ(sent["stream"], true);

  auto back = anthropic::ParseMessagesRequest(*body, AnthropicVersion::k20230601);
  ASSERT_TRUE(back.has_value()) << back.error().message;
  EXPECT_EQ(back->messages, chat.messages);
  EXPECT_EQ(back->max_tokens, 50);
  EXPECT_EQ(back->stop, chat.stop);
  EXPECT_EQ(back->sampling.top_p, 0.9);
  EXPECT_EQ(back->user, "u");
}

TEST(RequestTranslate, AnthropicUnder2026LeavesOutSampling) {
  GenerationRequest chat =
      ParseChat(R"({"model":"gpt","messages":[{"role":"user","content":"Hi"}],"temperature":0.2})");
  auto body = ToAnthropicMessagesBody(chat, "c", AnthropicVersion::k20261021, 1024);
  ASSERT_TRUE(body.has_value());
  json sent = json::parse(*body);
  EXPECT_FALSE(sent.contains("temperature"));
  EXPECT_EQ(sent["max_tokens"], 1024);  // the default when the client gave none
  EXPECT_TRUE(anthropic::ParseMessagesRequest(*body, AnthropicVersion::k20261021).has_value());
}

TEST(RequestTranslate, AnthropicNeedsAUserTurnFirst) {
  GenerationRequest chat = ParseChat(
      R"({"model":"gpt","messages":[{"role":"system","content":"s"},{"role":"assistant","content":"a"}]})");
  auto body = ToAnthropicMessagesBody(chat, "c", AnthropicVersion::k20230601, 16);
  ASSERT_FALSE(body.has_value());
  EXPECT_EQ(body.error().param, "messages");
  GenerationRequest only_system =
      ParseChat(R"({"model":"gpt","messages":[{"role":"system","content":"s"}]})");
  EXPECT_FALSE(ToAnthropicMessagesBody(only_system, "c", AnthropicVersion::k20230601, 16));
}

TEST(RequestTranslate, AnthropicToOpenAiChatAndBack) {
  auto messages = anthropic::ParseMessagesRequest(
      R"({"model":"claude","max_tokens":99,"system":"sys","messages":[{"role":"user","content":"q"}],
          "temperature":0.5,"top_k":5,"stop_sequences":["x"],"stream":true})",
      AnthropicVersion::k20230601);
  ASSERT_TRUE(messages.has_value());
  std::string body = ToOpenAiChatBody(*messages, "gpt-up");
  json sent = json::parse(body);
  EXPECT_EQ(sent["model"], "gpt-up");
  EXPECT_EQ(sent["max_completion_tokens"], 99);
  EXPECT_EQ(sent["stream_options"]["include_usage"], true);
  EXPECT_FALSE(sent.contains("top_k"));
  auto back = openai::ParseChatRequest(body);
  ASSERT_TRUE(back.has_value()) << back.error().message;
  EXPECT_EQ(back->messages, messages->messages);
  EXPECT_EQ(back->sampling.temperature, 0.5);
  EXPECT_EQ(back->stop, messages->stop);
  EXPECT_TRUE(back->stream);
}

TEST(RequestTranslate, OpenAiChatRoundTripKeepsEveryField) {
  GenerationRequest chat = ParseChat(R"({"model":"m","messages":[{"role":"user","content":"x"}],
      "max_completion_tokens":7,"temperature":0.3,"top_p":0.8,"seed":9,"presence_penalty":0.5,
      "frequency_penalty":-0.5,"logit_bias":{"12":-100},"stop":["a","b"],"logprobs":true,
      "top_logprobs":3,"response_format":{"type":"json_object"},"user":"z"})");
  GenerationRequest back = ParseChat(ToOpenAiChatBody(chat, "m"));
  EXPECT_EQ(back, chat);
}

TEST(ResponseTranslate, ChatCompletionToAnthropicMessage) {
  GenerationResult result{"Hi", FinishReason::kLength, "", {4, 2}, {}};
  std::string upstream =
      openai::SerializeChatCompletion({"chatcmpl-1", "gpt", 1, ""}, result, false);
  auto parsed = ParseChatCompletion(upstream);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(*parsed, result);
  json message = json::parse(anthropic::SerializeMessage({"msg_1", "claude", 0, ""}, *parsed));
  EXPECT_EQ(message["stop_reason"], "max_tokens");
  EXPECT_EQ(message["usage"]["input_tokens"], 4);
}

TEST(ResponseTranslate, AnthropicMessageToChatCompletion) {
  GenerationResult result{"Yo", FinishReason::kStopSequence, "##", {8, 1}, {}};
  auto parsed = ParseAnthropicMessage(anthropic::SerializeMessage({"msg_1", "c", 0, ""}, result));
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(*parsed, result);
}

TEST(ResponseTranslate, LogprobsSurvive) {
  GenerationResult result{"a", FinishReason::kStop, "", {1, 1}, {{"a", -0.5, {{"b", -1.0}}}}};
  auto parsed =
      ParseChatCompletion(openai::SerializeChatCompletion({"x", "m", 1, ""}, result, true));
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->logprobs, result.logprobs);
}

TEST(ResponseTranslate, MalformedUpstreamIsAnError) {
  for (std::string_view body : {"", "[]", "{\"choices\":[]}", "{\"choices\":[1]}", "nope",
                                "{\"choices\":[{\"message\":5}]}"}) {
    auto parsed = ParseChatCompletion(body);
    ASSERT_FALSE(parsed.has_value()) << body;
    EXPECT_EQ(parsed.error().http_status, 500);
    EXPECT_EQ(parsed.error().type, "server_error");
  }
  for (std::string_view body : {"", "{}", "{\"type\":\"message\",\"content\":{}}"}) {
    auto parsed = ParseAnthropicMessage(body);
    ASSERT_FALSE(parsed.has_value()) << body;
    EXPECT_EQ(parsed.error().type, "api_error");
  }
  EXPECT_FALSE(ParseChatCompletion(std::string(100000, '[')).has_value());
}

TEST(ResponseTranslate, UpstreamErrors) {
  ApiError openai = ParseUpstreamError(
      429, SerializeOpenAiError(ApiError{429, "rate_limit_error", "slow down", "", "rate"}));
  EXPECT_EQ(openai, (ApiError{429, "rate_limit_error", "slow down", "", "rate"}));
  ApiError anthropic = ParseUpstreamError(
      529, SerializeAnthropicError(ApiError{529, "overloaded_error", "busy", "", ""}));
  EXPECT_EQ(anthropic.type, "overloaded_error");
  EXPECT_EQ(ToOpenAiError(anthropic).http_status, 503);
  ApiError garbage = ParseUpstreamError(502, "<html>bad gateway</html>");
  EXPECT_EQ(garbage.http_status, 502);
  EXPECT_FALSE(garbage.message.empty());
}

std::vector<SseMessage> Events(const std::string& stream) {
  SseParser parser;
  return parser.Feed(stream);
}

TEST(StreamTranslate, AnthropicStreamToOpenAiChunks) {
  anthropic::MessageStreamWriter upstream({"msg_1", "claude", 0, ""});
  std::string upstream_bytes = upstream.Start(11) + upstream.Delta("Hel") + upstream.Delta("lo") +
                               upstream.Finish(FinishReason::kLength, "", Usage{11, 2});
  AnthropicToOpenAiStream translator({"chatcmpl-9", "gpt", 5, ""}, /*include_usage=*/true);
  std::string client;
  for (const SseMessage& event : Events(upstream_bytes)) {
    auto out = translator.OnEvent(event);
    ASSERT_TRUE(out.has_value()) << out.error().message;
    client += *out;
  }
  EXPECT_TRUE(translator.done());
  EXPECT_EQ(translator.usage(), (Usage{11, 2}));
  openai::ChatStreamWriter expected({"chatcmpl-9", "gpt", 5, ""}, true, false);
  EXPECT_EQ(client, expected.Start() + expected.Delta("Hel") + expected.Delta("lo") +
                        expected.Finish(FinishReason::kLength, Usage{11, 2}));
}

TEST(StreamTranslate, OpenAiChunksToAnthropicStream) {
  openai::ChatStreamWriter upstream({"chatcmpl-1", "gpt", 1, ""}, true, false);
  std::string upstream_bytes = upstream.Start() + upstream.Delta("A") + upstream.Delta("B") +
                               upstream.Finish(FinishReason::kStop, Usage{6, 2});
  OpenAiToAnthropicStream translator({"msg_9", "claude", 0, ""});
  std::string client;
  for (const SseMessage& event : Events(upstream_bytes)) {
    auto out = translator.OnEvent(event);
    ASSERT_TRUE(out.has_value()) << out.error().message;
    client += *out;
  }
  EXPECT_TRUE(translator.done());
  EXPECT_EQ(translator.usage(), (Usage{6, 2}));
  anthropic::MessageStreamWriter expected({"msg_9", "claude", 0, ""});
  EXPECT_EQ(client, expected.Start(0) + expected.Delta("A") + expected.Delta("B") +
                        expected.Finish(FinishReason::kStop, "", Usage{6, 2}));
}

TEST(StreamTranslate, ErrorsCrossFormats) {
  AnthropicToOpenAiStream to_openai({"c", "m", 0, ""}, false);
  auto out = to_openai.OnEvent(
      {"error", R"({"type":"error","error":{"type":"overloaded_error","message":"busy"}})"});
  ASSERT_TRUE(out.has_value());
  json error = json::parse(Events(*out).at(0).data);
  EXPECT_EQ(error["error"]["type"], "server_error");
  EXPECT_EQ(error["error"]["message"], "busy");
  EXPECT_TRUE(to_openai.done());

  OpenAiToAnthropicStream to_anthropic({"m", "c", 0, ""});
  out = to_anthropic.OnEvent({"", R"({"error":{"message":"bad","type":"invalid_request_error"}})"});
  ASSERT_TRUE(out.has_value());
  auto events = Events(*out);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].event, "error");

  OpenAiToAnthropicStream malformed({"m", "c", 0, ""});
  EXPECT_FALSE(malformed.OnEvent({"", "{not json"}).has_value());
  EXPECT_FALSE(malformed.OnEvent({"", R"({"choices":5})"}).has_value());
  AnthropicToOpenAiStream malformed2({"c", "m", 0, ""}, false);
  EXPECT_FALSE(malformed2.OnEvent({"content_block_delta", "[[["}).has_value());
}

}  // namespace
}  // namespace locai::api::translate

#include "control/router/upstream_stream.h"

#include <gtest/gtest.h>

namespace locai::control::router {
namespace {

api::SseMessage Data(std::string data) { return {"", std::move(data)}; }
api::SseMessage Event(std::string name, std::string data) {
  return {std::move(name), std::move(data)};
}

TEST(UpstreamStream, ReadsOpenAiChunks) {
  UpstreamStreamReader reader("openai", ProviderKind::kOpenAi);
  std::string text;
  for (
      const char* event : {
          R"({"id":"chatcmpl-1","model":"gpt-4o","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]})",
          R"({"id":"chatcmpl-1","choices":[{"index":0,"delta":{"content":"Hel"},"finish_reason":null}]})",
          R"({"id":"chatcmpl-1","choices":[{"index":0,"delta":{"content":"lo"},"finish_reason":null}]})",
          R"({"id":"chatcmpl-1","choices":[{"index":0,"delta":{},"finish_reason":"length"}]})",
          R"({"id":"chatcmpl-1","choices":[],"usage":{"prompt_tokens":11,"completion_tokens":2,"total_tokens":13}})",
      }) {
    Result<std::string> piece = reader.OnEvent(Data(event));
    ASSERT_TRUE(piece) << piece.error().ToString();
    text += *piece;
    EXPECT_FALSE(reader.done());
  }
  ASSERT_TRUE(reader.OnEvent(Data("[DONE]")));
  EXPECT_TRUE(reader.done());
  EXPECT_EQ(text, "Hello");
  EXPECT_EQ(reader.completion().finish_reason, api::FinishReason::kLength);
  EXPECT_EQ(reader.completion().usage, (api::Usage{11, 2}));
  EXPECT_EQ(reader.completion().upstream_id, "chatcmpl-1");
  EXPECT_EQ(reader.completion().upstream_model, "gpt-4o");
  // After the end, events are ignored.
  EXPECT_EQ(*reader.OnEvent(Data("not json")), "");
}

TEST(UpstreamStream, ReadsAnthropicEvents) {
  UpstreamStreamReader reader("claude", ProviderKind::kAnthropic);
  std::string text;
  std::vector<api::SseMessage> events = {
      Event(
          "message_start",
          R"({"type":"message_start","message":{"id":"msg_1","type":"message","model":"claude-x","content":[],"usage":{"input_tokens":21,"output_tokens":1}}})"),
      Event(
          "content_block_start",
          R"({"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}})"),
      Event("ping", R"({"type":"ping"})"),
      Event(
          "content_block_delta",
          R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Bon"}})"),
      Event(
          "content_block_delta",
          R"({"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{"}})"),
      Event(
          "content_block_delta",
          R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"jour"}})"),
      Event("content_block_stop", R"({"type":"content_block_stop","index":0})"),
      Event(
          "message_delta",
          R"({"type":"message_delta","delta":{"stop_reason":"stop_sequence","stop_sequence":"END"},"usage":{"output_tokens":5}})"),
  };
  for (const auto& event : events) {
    Result<std::string> piece = reader.OnEvent(event);
    ASSERT_TRUE(piece) << piece.error().ToString();
    text += *piece;
  }
  EXPECT_FALSE(reader.done());
  ASSERT_TRUE(reader.OnEvent(Event("message_stop", R"({"type":"message_stop"})")));
  EXPECT_TRUE(reader.done());
  EXPECT_EQ(text, "Bonjour");
  EXPECT_EQ(reader.completion().finish_reason, api::FinishReason::kStopSequence);
  EXPECT_EQ(reader.completion().stop_sequence, "END");
  EXPECT_EQ(reader.completion().usage, (api::Usage{21, 5}));
  EXPECT_EQ(reader.completion().upstream_id, "msg_1");
}

TEST(UpstreamStream, StreamedErrorsBecomeStatuses) {
  UpstreamStreamReader anthropic("claude", ProviderKind::kAnthropic);
  Result<std::string> overloaded = anthropic.OnEvent(Event(
      "error", R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})"));
  ASSERT_FALSE(overloaded);
  EXPECT_EQ(overloaded.error().code(), StatusCode::kUnavailable);
  EXPECT_EQ(overloaded.error().message(), "cloud provider 'claude' (overloaded_error): Overloaded");

  UpstreamStreamReader openai("openai", ProviderKind::kOpenAi);
  Result<std::string> limited = openai.OnEvent(
      Data(R"({"error":{"type":"rate_limit_error","message":"slow down","code":null}})"));
  ASSERT_FALSE(limited);
  EXPECT_EQ(limited.error().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(limited.error().message().find("slow down"), std::string::npos);
}

TEST(UpstreamStream, MalformedEventsAreDataLoss) {
  UpstreamStreamReader openai("openai", ProviderKind::kOpenAi);
  EXPECT_EQ(openai.OnEvent(Data("{not json")).error().code(), StatusCode::kDataLoss);
  EXPECT_EQ(openai.OnEvent(Data(R"({"id":"x"})")).error().code(), StatusCode::kDataLoss);
  EXPECT_EQ(openai.OnEvent(Data(std::string(100, '[') + std::string(100, ']'))).error().code(),
            StatusCode::kDataLoss);
  UpstreamStreamReader anthropic("claude", ProviderKind::kAnthropic);
  EXPECT_EQ(anthropic.OnEvent(Event("content_block_delta", R"({"type":"content_block_delta"})"))
                .error()
                .code(),
            StatusCode::kDataLoss);
  EXPECT_EQ(anthropic.OnEvent(Event("message_start", "[]")).error().code(), StatusCode::kDataLoss);
}

TEST(UpstreamStream, ErrorResponsesMapByHttpStatus) {
  struct Case {
    int status;
    StatusCode code;
  };
  for (Case c : {Case{400, StatusCode::kInvalidArgument}, Case{401, StatusCode::kPermissionDenied},
                 Case{403, StatusCode::kPermissionDenied}, Case{404, StatusCode::kNotFound},
                 Case{429, StatusCode::kResourceExhausted}, Case{500, StatusCode::kUnavailable},
                 Case{529, StatusCode::kUnavailable}, Case{504, StatusCode::kDeadlineExceeded}}) {
    Status status = ProviderErrorStatus(
        "p", c.status, R"({"error":{"type":"some_error","message":"provider says no"}})");
    EXPECT_EQ(status.code(), c.code) << c.status;
    EXPECT_EQ(status.message(), "cloud provider 'p' (HTTP " + std::to_string(c.status) +
                                    " some_error): " + "provider says no");
  }
  Status anthropic_shape = ProviderErrorStatus(
      "claude", 400,
      R"({"type":"error","error":{"type":"invalid_request_error","message":"max_tokens: required"}})");
  EXPECT_EQ(anthropic_shape.message(),
            "cloud provider 'claude' (HTTP 400 invalid_request_error): max_tokens: required");
  Status html = ProviderErrorStatus("p", 502, "<html>Bad gateway</html>");
  EXPECT_EQ(html.code(), StatusCode::kUnavailable);
  EXPECT_EQ(html.message(), "cloud provider 'p' (HTTP 502): no error message");
}

}  // namespace
}  // namespace locai::control::router

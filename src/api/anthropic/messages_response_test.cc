#include "api/anthropic/messages_response.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api/common/sse.h"

namespace locai::api::anthropic {
namespace {

using nlohmann::json;

ResponseMeta Meta() { return {"msg_01", "claude-local", 0, ""}; }

TEST(Message, ExactShape) {
  GenerationResult result;
  result.text = "Hi there";
  result.usage = {10, 3};
  json body = json::parse(SerializeMessage(Meta(), result));
  EXPECT_EQ(body, json::parse(R"({"id":"msg_01","type":"message","role":"assistant",
      "model":"claude-local","content":[{"type":"text","text":"Hi there"}],
      "stop_reason":"end_turn","stop_sequence":null,
      "usage":{"input_tokens":10,"output_tokens":3}})"));
}

TEST(Message, StopSequenceAndMaxTokens) {
  GenerationResult result;
  result.finish_reason = FinishReason::kStopSequence;
  result.stop_sequence = "END";
  json body = json::parse(SerializeMessage(Meta(), result));
  EXPECT_EQ(body["stop_reason"], "stop_sequence");
  EXPECT_EQ(body["stop_sequence"], "END");
  result.finish_reason = FinishReason::kLength;
  body = json::parse(SerializeMessage(Meta(), result));
  EXPECT_EQ(body["stop_reason"], "max_tokens");
  EXPECT_TRUE(body["stop_sequence"].is_null());
}

TEST(MessageStream, EventSequence) {
  MessageStreamWriter writer(Meta());
  std::string stream = writer.Start(25) + writer.Delta("Hel") + writer.Delta("lo") +
                       writer.Finish(FinishReason::kStopSequence, "\n\nHuman:", Usage{25, 4});
  SseParser parser;
  auto events = parser.Feed(stream);
  EXPECT_EQ(parser.buffered_bytes(), 0u);
  std::vector<std::string> names;
  for (const SseMessage& event : events) {
    names.push_back(event.event);
    // Each event's data names the same type as its event line.
    EXPECT_EQ(json::parse(event.data)["type"], event.event);
  }
  EXPECT_EQ(names,
            (std::vector<std::string>{"message_start", "content_block_start", "ping",
                                      "content_block_delta", "content_block_delta",
                                      "content_block_stop", "message_delta", "message_stop"}));
  EXPECT_EQ(json::parse(events[0].data), json::parse(R"({"type":"message_start","message":{
      "id":"msg_01","type":"message","role":"assistant","model":"claude-local","content":[],
      "stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":25,"output_tokens":0}}})"));
  EXPECT_EQ(json::parse(events[1].data), json::parse(R"({"type":"content_block_start","index":0,
      "content_block":{"type":"text","text":""}})"));
  EXPECT_EQ(json::parse(events[3].data), json::parse(R"({"type":"content_block_delta","index":0,
      "delta":{"type":"text_delta","text":"Hel"}})"));
  EXPECT_EQ(json::parse(events[5].data), json::parse(R"({"type":"content_block_stop","index":0})"));
  EXPECT_EQ(json::parse(events[6].data), json::parse(R"({"type":"message_delta",
      "delta":{"stop_reason":"stop_sequence","stop_sequence":"\n\nHuman:"},
      "usage":{"output_tokens":4}})"));
  EXPECT_EQ(json::parse(events[7].data), json::parse(R"({"type":"message_stop"})"));
}

TEST(MessageStream, ErrorAndPing) {
  MessageStreamWriter writer(Meta());
  EXPECT_EQ(writer.Ping(), "event: ping\ndata: {\"type\":\"ping\"}\n\n");
  SseParser parser;
  auto events = parser.Feed(writer.Error(AnthropicErrorFromStatus(Status::Unavailable("busy"))));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].event, "error");
  EXPECT_EQ(
      json::parse(events[0].data),
      json::parse(R"({"type":"error","error":{"type":"overloaded_error","message":"busy"}})"));
}

}  // namespace
}  // namespace locai::api::anthropic

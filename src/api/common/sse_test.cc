#include "api/common/sse.h"

#include <gtest/gtest.h>

namespace locai::api {
namespace {

TEST(Sse, Framing) {
  EXPECT_EQ(SseData(R"({"a":1})"), "data: {\"a\":1}\n\n");
  EXPECT_EQ(SseEvent("ping", R"({"type":"ping"})"), "event: ping\ndata: {\"type\":\"ping\"}\n\n");
  EXPECT_EQ(SseDone(), "data: [DONE]\n\n");
}

TEST(SseParser, ParsesWhatTheWritersProduce) {
  SseParser parser;
  auto events = parser.Feed(SseEvent("message_start", "{}") + SseData("[1]") + SseDone());
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0], (SseMessage{"message_start", "{}"}));
  EXPECT_EQ(events[1], (SseMessage{"", "[1]"}));
  EXPECT_EQ(events[2], (SseMessage{"", "[DONE]"}));
  EXPECT_EQ(parser.buffered_bytes(), 0u);
}

TEST(SseParser, AnySplitGivesTheSameEvents) {
  const std::string stream =
      ": comment\r\nevent: a\r\ndata: x\r\ndata: y\r\n\r\ndata:z\n\nid: 7\nretry: 5\ndata: w\r\r";
  const std::vector<SseMessage> expected = {{"a", "x\ny"}, {"", "z"}, {"", "w"}};
  for (size_t split = 0; split <= stream.size(); ++split) {
    SseParser parser;
    auto events = parser.Feed(std::string_view(stream).substr(0, split));
    auto rest = parser.Feed(std::string_view(stream).substr(split));
    events.insert(events.end(), rest.begin(), rest.end());
    EXPECT_EQ(events, expected) << "split at " << split;
  }
  // Byte by byte.
  SseParser parser;
  std::vector<SseMessage> events;
  for (char c : stream) {
    auto out = parser.Feed(std::string_view(&c, 1));
    events.insert(events.end(), out.begin(), out.end());
  }
  EXPECT_EQ(events, expected);
}

TEST(SseParser, EventWithoutDataIsNotDispatched) {
  SseParser parser;
  EXPECT_TRUE(parser.Feed("event: lonely\n\n").empty());
  auto events = parser.Feed("data: after\n\n");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].event, "");
}

TEST(SseParser, BuffersPartialEvent) {
  SseParser parser;
  EXPECT_TRUE(parser.Feed("data: partial").empty());
  EXPECT_EQ(parser.buffered_bytes(), 13u);
  auto events = parser.Feed("\n\n");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "partial");
}

}  // namespace
}  // namespace locai::api

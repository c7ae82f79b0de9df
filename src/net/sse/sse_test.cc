#include "net/sse/sse.h"

#include <gtest/gtest.h>

namespace locai::net::sse {
namespace {

TEST(SseFormatTest, FormatsEventsAndComments) {
  EXPECT_EQ(FormatEvent("hello"), "data: hello\n\n");
  EXPECT_EQ(FormatEvent("a\nb\r\nc\rd", "delta"),
            "event: delta\ndata: a\ndata: b\ndata: c\ndata: d\n\n");
  EXPECT_EQ(FormatEvent(""), "data: \n\n");
  EXPECT_EQ(FormatEvent("x\n"), "data: x\ndata: \n\n");
  SseEvent event{.event = "message_start", .data = "{}", .id = "7", .retry_ms = 1500};
  EXPECT_EQ(FormatEvent(event), "event: message_start\nid: 7\nretry: 1500\ndata: {}\n\n");
  EXPECT_EQ(FormatComment("keep\nalive"), ": keep alive\n\n");
  EXPECT_EQ(FormatEvent("d", "bad\nname"), "event: bad name\ndata: d\n\n");
}

TEST(SseParserTest, ParsesFieldsCommentsAndDefaults) {
  SseParser parser;
  std::vector<SseEvent> events = parser.Feed(
      ": comment\n"
      "data: first\n\n"
      "event: delta\ndata:no-space\ndata:  two spaces\n\n"
      "id: 42\nretry: 3000\ndata: {\"x\":1}\n\n"
      "event: ignored-no-data\n\n"
      "unknown: field\ndata\n\n");
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0].data, "first");
  EXPECT_EQ(events[0].event, "");
  EXPECT_EQ(events[1].event, "delta");
  EXPECT_EQ(events[1].data, "no-space\n two spaces");
  EXPECT_EQ(events[2].id, "42");
  EXPECT_EQ(events[2].retry_ms, 3000u);
  EXPECT_EQ(events[2].data, "{\"x\":1}");
  EXPECT_EQ(events[3].data, "");  // "data" with no colon is an empty data line
  EXPECT_EQ(events[3].id, "42");  // the last event id persists
  EXPECT_EQ(parser.last_event_id(), "42");
}

TEST(SseParserTest, HandlesCrLfAndCrLineEnds) {
  SseParser parser;
  std::vector<SseEvent> events = parser.Feed("data: a\r\n\r\ndata: b\r\rdata: c\n\n");
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].data, "a");
  EXPECT_EQ(events[1].data, "b");
  EXPECT_EQ(events[2].data, "c");
}

TEST(SseParserTest, StripsLeadingBom) {
  SseParser parser;
  std::vector<SseEvent> events = parser.Feed(
      "\xEF\xBB\xBF"
      "data: x\n\n");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "x");
}

TEST(SseParserTest, RoundTripSurvivesEverySplit) {
  std::vector<SseEvent> sent = {
      {.event = "", .data = "hello"},
      {.event = "content_block_delta", .data = "{\"text\":\"a\\nb\"}"},
      {.event = "multi", .data = "line1\nline2\n\nline4"},
      {.event = "", .data = "[DONE]"},
  };
  std::string wire;
  for (const SseEvent& e : sent) wire += FormatEvent(e.data, e.event);
  std::string crlf_wire;
  for (char c : wire) {
    if (c == '\n')
      crlf_wire += "\r\n";
    else
      crlf_wire.push_back(c);
  }
  for (const std::string& stream : {wire, crlf_wire}) {
    // Every single split point, then every byte on its own.
    for (size_t split = 0; split <= stream.size(); ++split) {
      SseParser parser;
      std::vector<SseEvent> got = parser.Feed(std::string_view(stream).substr(0, split));
      for (SseEvent& e : parser.Feed(std::string_view(stream).substr(split))) {
        got.push_back(std::move(e));
      }
      ASSERT_EQ(got, sent) << "split at " << split;
    }
    SseParser parser;
    std::vector<SseEvent> got;
    for (char c : stream) {
      for (SseEvent& e : parser.Feed(std::string_view(&c, 1))) got.push_back(std::move(e));
    }
    EXPECT_EQ(got, sent);
  }
}

}  // namespace
}  // namespace locai::net::sse

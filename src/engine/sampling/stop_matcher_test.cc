#include "engine/sampling/stop_matcher.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace locai::engine {
namespace {

struct StopCase {
  std::string name;
  std::vector<std::string> stops;
  std::vector<std::string> pieces;
  std::vector<std::string> emitted;  // Push() text per piece
  bool stopped;
  std::string flushed;  // Flush() at the end
  int matched_index = -1;
};

std::vector<StopCase> Cases() {
  return {
      {"no_stops_pass_through", {}, {"Hello", " world"}, {"Hello", " world"}, false, ""},
      {"empty_stop_ignored", {""}, {"ab", "c"}, {"ab", "c"}, false, ""},
      {"stop_inside_one_piece", {"END"}, {"Hello END more"}, {"Hello "}, true, "", 0},
      {"stop_split_over_pieces",
       {"END"},
       {"Hel", "lo E", "N", "D tail"},
       {"Hel", "lo ", "", ""},
       true,
       "",
       0},
      {"stop_one_byte_at_a_time",
       {"</answer>"},
       {"x", "<", "/", "a", "n", "s", "w", "e", "r", ">", "y"},
       {"x", "", "", "", "", "", "", "", "", "", ""},
       true,
       "",
       0},
      {"false_start_is_released", {"END"}, {"EN", "X"}, {"", "ENX"}, false, ""},
      {"held_text_flushed_at_end", {"END"}, {"abcE"}, {"abc"}, false, "E"},
      {"stop_longer_than_text", {"longstop"}, {"lon"}, {""}, false, "lon"},
      {"earliest_of_several_wins", {"world", "lo"}, {"Hello world"}, {"Hel"}, true, "", 1},
      {"overlapping_prefixes", {"abcd", "bcx"}, {"ab", "c", "x"}, {"", "", "a"}, true, "", 1},
      {"repeated_prefix_chars", {"aab"}, {"a", "a", "a", "b"}, {"", "", "a", ""}, true, "", 0},
      {"stop_at_very_start", {"###"}, {"##", "#", "more"}, {"", "", ""}, true, "", 0},
      {"pieces_after_stop_are_dropped", {"."}, {"a.b", "cd"}, {"a", ""}, true, "", 0},
      {"partial_then_other_stop", {"STOP", "xyz"}, {"ST", "xyz"}, {"", "ST"}, true, "", 1},
      {"utf8_stop_string", {"\xC3\xA9"}, {"caf\xC3\xA9 au lait"}, {"caf"}, true, "", 0},
      {"utf8_stop_split_mid_character",
       {"\xE6\x97\xA5\xE6\x9C\xAC"},  // 日本
       {"\xE4\xBB\x8A", "\xE6\x97", "\xA5", "\xE6\x9C\xAC!"},
       {"\xE4\xBB\x8A", "", "", ""},
       true,
       "",
       0},
      {"incomplete_utf8_is_held_back",
       {},
       {"caf\xC3", "\xA9!", "\xF0\x9F", "\x98", "\x80"},
       {"caf", "\xC3\xA9!", "", "", "\xF0\x9F\x98\x80"},
       false,
       ""},
      {"invalid_utf8_is_not_held", {}, {"a\xFF", "\x80z"}, {"a\xFF", "\x80z"}, false, ""},
      {"dangling_lead_byte_flushed", {}, {"ok\xE6\x97"}, {"ok"}, false, "\xE6\x97"},
      {"stop_prefix_then_utf8",
       {"\xC3\xA9t\xC3\xA9"},
       {"\xC3\xA9", "t", "e"},
       {"", "", "\xC3\xA9te"},
       false,
       ""},
  };
}

TEST(StopMatcherTest, TableDriven) {
  for (const StopCase& c : Cases()) {
    SCOPED_TRACE(c.name);
    ASSERT_EQ(c.pieces.size(), c.emitted.size());
    StopMatcher matcher(c.stops);
    bool stopped = false;
    for (size_t i = 0; i < c.pieces.size(); ++i) {
      const StopMatcher::Output out = matcher.Push(c.pieces[i]);
      EXPECT_EQ(out.text, c.emitted[i]) << "piece " << i;
      stopped = out.stopped;
    }
    EXPECT_EQ(stopped, c.stopped);
    EXPECT_EQ(matcher.stopped(), c.stopped);
    EXPECT_EQ(matcher.matched_index(), c.matched_index);
    EXPECT_EQ(matcher.Flush(), c.flushed);
    EXPECT_EQ(matcher.Flush(), "");
  }
}

// Whatever way a text is cut into pieces, the emitted text is the same: everything before the
// first stop string, or the whole text when there is none.
TEST(StopMatcherTest, SplittingDoesNotChangeTheResult) {
  const std::string text = "The answer: \xE6\x97\xA5\xE6\x9C\xAC is 42.\n\nUser: next";
  const std::vector<std::string> stops = {"\n\nUser:", "Assistant:", "42!"};
  const std::string expected = text.substr(0, text.find("\n\nUser:"));
  for (size_t piece_len = 1; piece_len <= 7; ++piece_len) {
    for (size_t offset = 0; offset < piece_len; ++offset) {
      StopMatcher matcher(stops);
      std::string emitted;
      bool stopped = false;
      size_t pos = 0;
      size_t len = offset == 0 ? piece_len : offset;
      while (pos < text.size() && !stopped) {
        const StopMatcher::Output out = matcher.Push(std::string_view(text).substr(pos, len));
        emitted += out.text;
        stopped = out.stopped;
        pos += len;
        len = piece_len;
      }
      EXPECT_TRUE(stopped);
      EXPECT_EQ(emitted, expected) << "piece_len " << piece_len << " offset " << offset;
      EXPECT_EQ(matcher.matched_index(), 0);
    }
  }
}

}  // namespace
}  // namespace locai::engine

#include "engine/tokenizer/unicode.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace locai::engine::unicode {
namespace {

TEST(UnicodeTest, DecodesValidSequences) {
  const std::string text = "a\xC3\xA9\xE6\x97\xA5\xF0\x9F\x99\x82";  // a é 日 🙂
  const uint32_t want_cp[] = {'a', 0xE9, 0x65E5, 0x1F642};
  const uint32_t want_len[] = {1, 2, 3, 4};
  size_t pos = 0;
  for (int i = 0; i < 4; ++i) {
    const Decoded d = DecodeUtf8(text, pos);
    EXPECT_TRUE(d.valid);
    EXPECT_EQ(d.cp, want_cp[i]);
    EXPECT_EQ(d.len, want_len[i]);
    pos += d.len;
  }
  EXPECT_EQ(pos, text.size());
  EXPECT_TRUE(IsValidUtf8(text));
}

TEST(UnicodeTest, InvalidBytesAreSingleInvalidUnits) {
  const std::string cases[] = {
      "\x80",              // lone continuation
      "\xC0\xAF",          // overlong
      "\xE0\x80\xAF",      // overlong 3-byte
      "\xED\xA0\x80",      // surrogate
      "\xF4\x90\x80\x80",  // > U+10FFFF
      "\xFF",              // never valid
      "\xE6\x97",          // truncated
      "\xE6\x41\x42",      // lead followed by ASCII
  };
  for (const std::string& text : cases) {
    const Decoded d = DecodeUtf8(text, 0);
    EXPECT_FALSE(d.valid) << testing::PrintToString(text);
    EXPECT_EQ(d.len, 1u);
    EXPECT_EQ(d.cp, kInvalidCodepoint);
    EXPECT_FALSE(IsValidUtf8(text));
  }
}

TEST(UnicodeTest, ReplaceInvalidUtf8) {
  std::string text = "a\xFF\xC3\xA9\xE6\x97";
  ReplaceInvalidUtf8(&text);
  EXPECT_EQ(text, "a\xEF\xBF\xBD\xC3\xA9\xEF\xBF\xBD\xEF\xBF\xBD");
  std::string valid = "ok \xF0\x9F\x99\x82";
  ReplaceInvalidUtf8(&valid);
  EXPECT_EQ(valid, "ok \xF0\x9F\x99\x82");
}

TEST(UnicodeTest, AppendUtf8RoundTrips) {
  for (uint32_t cp : {0x0u, 0x7Fu, 0x80u, 0x7FFu, 0x800u, 0xFFFFu, 0x10000u, 0x10FFFFu}) {
    std::string s;
    AppendUtf8(cp, &s);
    const Decoded d = DecodeUtf8(s, 0);
    EXPECT_TRUE(d.valid);
    EXPECT_EQ(d.cp, cp);
    EXPECT_EQ(d.len, s.size());
  }
}

TEST(UnicodeTest, CompleteUtf8PrefixHoldsBackOnlyIncompleteCharacters) {
  EXPECT_EQ(CompleteUtf8Prefix(""), 0u);
  EXPECT_EQ(CompleteUtf8Prefix("abc"), 3u);
  EXPECT_EQ(CompleteUtf8Prefix("ab\xC3"), 2u);
  EXPECT_EQ(CompleteUtf8Prefix("ab\xC3\xA9"), 4u);
  EXPECT_EQ(CompleteUtf8Prefix("a\xF0\x9F\x99"), 1u);
  EXPECT_EQ(CompleteUtf8Prefix("a\xF0\x9F\x99\x82"), 5u);
  EXPECT_EQ(CompleteUtf8Prefix("a\xE6\x97"), 1u);
  // Bytes that can never complete a character are not held.
  EXPECT_EQ(CompleteUtf8Prefix("a\xFF"), 2u);
  EXPECT_EQ(CompleteUtf8Prefix("a\x80"), 2u);
  EXPECT_EQ(CompleteUtf8Prefix("a\xE0\x80"), 3u);  // overlong in the making
  EXPECT_EQ(CompleteUtf8Prefix("a\xED\xA0"), 3u);  // surrogate in the making
  EXPECT_EQ(CompleteUtf8Prefix("a\xF4\x90"), 3u);  // past U+10FFFF
  EXPECT_EQ(CompleteUtf8Prefix("a\xE6\x41"), 3u);
}

TEST(UnicodeTest, Classes) {
  for (uint32_t cp : {uint32_t{'a'}, uint32_t{'Z'}, 0xE9u, 0x416u, 0x65E5u, 0x3042u, 0x5D0u}) {
    EXPECT_EQ(Classify(cp), CharClass::kLetter) << cp;
  }
  for (uint32_t cp : {uint32_t{'0'}, uint32_t{'9'}, 0x663u, 0xBDu, 0x2163u, 0xFF11u}) {
    EXPECT_EQ(Classify(cp), CharClass::kNumber) << cp;
  }
  for (uint32_t cp : {0x20u, 0x09u, 0x0Au, 0x0Du, 0x0Bu, 0x85u, 0xA0u, 0x2003u, 0x3000u}) {
    EXPECT_EQ(Classify(cp), CharClass::kWhitespace) << cp;
  }
  // Punctuation, symbols, marks, emoji and invalid bytes are "other".
  for (uint32_t cp :
       {uint32_t{'!'}, uint32_t{'\''}, 0x301u, 0x1F642u, 0x200Du, 0x2211u, kInvalidCodepoint}) {
    EXPECT_EQ(Classify(cp), CharClass::kOther) << cp;
  }
}

TEST(UnicodeTest, ByteMappingIsABijectionOntoPrintableCodepoints) {
  std::set<uint32_t> seen;
  for (int b = 0; b < 256; ++b) {
    const uint32_t cp = ByteToCodepoint(static_cast<uint8_t>(b));
    EXPECT_TRUE(seen.insert(cp).second) << b;
    EXPECT_FALSE(IsWhitespace(cp)) << b;
    EXPECT_EQ(CodepointToByte(cp), static_cast<uint8_t>(b));
  }
  EXPECT_EQ(ByteToCodepoint(' '), 0x120u);   // 'Ġ'
  EXPECT_EQ(ByteToCodepoint('\n'), 0x10Au);  // 'Ċ'
  EXPECT_EQ(ByteToCodepoint('a'), uint32_t{'a'});
  EXPECT_FALSE(CodepointToByte(0x144).has_value());
  EXPECT_FALSE(CodepointToByte(0x20).has_value());
}

}  // namespace
}  // namespace locai::engine::unicode

// Tokenizer behaviour on small hand-made vocabularies, where every expected id can be worked out
// by hand: SPM merge order by score, byte fallback, the space prefix, special-token matching,
// BPE merge ranks, decoding and the streaming detokenizer.
#include "engine/tokenizer/tokenizer.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "engine/tokenizer/streaming_detokenizer.h"
#include "engine/tokenizer/unicode.h"

namespace locai::engine {
namespace {

using Ids = std::vector<int32_t>;

// <unk> <s> </s> <0x00>..<0xFF> then the given pieces with their scores.
VocabSpec SpmSpec(const std::vector<std::pair<std::string, float>>& pieces) {
  VocabSpec spec;
  spec.model = TokenizerModel::kSpm;
  spec.tokens = {"<unk>", "<s>", "</s>"};
  spec.types = {TokenType::kUnknown, TokenType::kControl, TokenType::kControl};
  spec.scores = {0, 0, 0};
  for (int b = 0; b < 256; ++b) {
    char hex[8];
    std::snprintf(hex, sizeof(hex), "<0x%02X>", b);
    spec.tokens.push_back(hex);
    spec.types.push_back(TokenType::kByte);
    spec.scores.push_back(0);
  }
  for (const auto& [text, score] : pieces) {
    spec.tokens.push_back(text);
    spec.types.push_back(TokenType::kNormal);
    spec.scores.push_back(score);
  }
  spec.unk_id = 0;
  spec.bos_id = 1;
  spec.eos_id = 2;
  spec.add_bos = true;
  return spec;
}

constexpr int32_t kFirstPiece = 3 + 256;
int32_t ByteId(uint8_t byte) { return 3 + byte; }

std::unique_ptr<Tokenizer> Make(VocabSpec spec) {
  auto tokenizer = Tokenizer::FromSpec(std::move(spec), "test-vocab");
  EXPECT_TRUE(tokenizer.has_value()) << tokenizer.error().ToString();
  return tokenizer ? std::move(*tokenizer) : nullptr;
}

Ids Encode(const Tokenizer& t, std::string_view text, bool parse_special = false) {
  auto ids = t.Encode(text, /*add_bos=*/false, parse_special);
  EXPECT_TRUE(ids.has_value());
  return ids ? *ids : Ids{};
}

TEST(SpmTest, MergesHighestScoreFirst) {
  // "▁" a b c ab bc: for "abc" the pair with the higher score wins.
  auto bc_first =
      Make(SpmSpec({{"▁", -5}, {"a", -5}, {"b", -5}, {"c", -5}, {"ab", -2}, {"bc", -1}}));
  auto ab_first =
      Make(SpmSpec({{"▁", -5}, {"a", -5}, {"b", -5}, {"c", -5}, {"ab", -1}, {"bc", -2}}));
  const int32_t space = kFirstPiece, a = kFirstPiece + 1, c = kFirstPiece + 3;
  const int32_t ab = kFirstPiece + 4, bc = kFirstPiece + 5;
  EXPECT_EQ(Encode(*bc_first, "abc"), (Ids{space, a, bc}));
  EXPECT_EQ(Encode(*ab_first, "abc"), (Ids{space, ab, c}));
}

TEST(SpmTest, EqualScoresMergeLeftmostFirst) {
  auto t = Make(SpmSpec({{"▁", -5}, {"a", -5}, {"aa", -1}}));
  const int32_t space = kFirstPiece, a = kFirstPiece + 1, aa = kFirstPiece + 2;
  EXPECT_EQ(Encode(*t, "aaa"), (Ids{space, aa, a}));
}

TEST(SpmTest, SpacePrefixAndEscaping) {
  auto t = Make(SpmSpec({{"▁", -5}, {"a", -5}, {"▁a", -1}}));
  const int32_t space = kFirstPiece, a = kFirstPiece + 1, space_a = kFirstPiece + 2;
  EXPECT_EQ(Encode(*t, "a"), (Ids{space_a}));
  EXPECT_EQ(Encode(*t, "a a"), (Ids{space_a, space_a}));
  EXPECT_EQ(Encode(*t, " a"), (Ids{space, space_a}));
  auto ids = t->Encode("a", /*add_bos=*/true, false);
  ASSERT_TRUE(ids.has_value());
  EXPECT_EQ(*ids, (Ids{1, space_a}));
  EXPECT_EQ(t->Decode(Ids{1, space_a, space_a}), "a a");
  EXPECT_EQ(t->Decode(Ids{space, space_a}), " a");

  VocabSpec no_prefix = SpmSpec({{"▁", -5}, {"a", -5}, {"▁a", -1}});
  no_prefix.add_space_prefix = false;
  auto t2 = Make(std::move(no_prefix));
  EXPECT_EQ(Encode(*t2, "a"), (Ids{a}));
  EXPECT_EQ(t2->Decode(Ids{space_a}), " a");
}

TEST(SpmTest, ByteFallbackForUnknownCharacters) {
  auto t = Make(SpmSpec({{"▁", -5}, {"a", -5}}));
  const int32_t space = kFirstPiece, a = kFirstPiece + 1;
  // é is not in the vocabulary: its two UTF-8 bytes come out as byte tokens.
  EXPECT_EQ(Encode(*t, "a\xC3\xA9"), (Ids{space, a, ByteId(0xC3), ByteId(0xA9)}));
  EXPECT_EQ(t->Decode(Encode(*t, "a\xC3\xA9")), "a\xC3\xA9");
  // Invalid UTF-8 passes through the same way.
  EXPECT_EQ(Encode(*t,
                   "\xFF"
                   "a"),
            (Ids{space, ByteId(0xFF), a}));
  EXPECT_EQ(t->Decode(Encode(*t,
                             "\xFF"
                             "a\xE6")),
            "\xFF"
            "a\xE6");
}

TEST(SpmTest, ByteSpelledSpaceMarkerDecodesAsSpace) {
  // No "▁" token: the escaped spaces come out as the bytes of U+2581.
  auto t = Make(SpmSpec({{"a", -1}}));
  const int32_t a = kFirstPiece;
  const Ids ids = Encode(*t, "a a");
  EXPECT_EQ(ids, (Ids{ByteId(0xE2), ByteId(0x96), ByteId(0x81), a, ByteId(0xE2), ByteId(0x96),
                      ByteId(0x81), a}));
  EXPECT_EQ(t->Decode(ids), "a a");
  StreamingDetokenizer stream(*t, /*starts_text=*/true);
  std::string streamed;
  for (int32_t id : ids) streamed += stream.Push(id);
  EXPECT_EQ(streamed + stream.Flush(), "a a");
}

TEST(SpmTest, SpecialTokensOnlyWhenParsed) {
  auto t = Make(SpmSpec({{"▁", -5}, {"<", -5}, {"s", -5}, {">", -5}}));
  const int32_t space = kFirstPiece, lt = kFirstPiece + 1, s = kFirstPiece + 2,
                gt = kFirstPiece + 3;
  EXPECT_EQ(Encode(*t, "<s>", /*parse_special=*/true), (Ids{1}));
  EXPECT_EQ(Encode(*t, "<s>", /*parse_special=*/false), (Ids{space, lt, s, gt}));
  // Text after a special token gets the space prefix again.
  EXPECT_EQ(Encode(*t, "</s>s", true), (Ids{2, space, s}));
  // Longest match: "</s>" is not read as "<" + "/s>".
  EXPECT_EQ(Encode(*t, "<s></s>", true), (Ids{1, 2}));
  EXPECT_EQ(t->Decode(Ids{1, s, 2}), "s");
  EXPECT_EQ(t->TokenToPiece(2, /*render_special=*/true), "</s>");
}

TEST(SpmTest, UserDefinedTokensAlwaysMatch) {
  VocabSpec spec = SpmSpec({{"▁", -5}, {"x", -5}});
  spec.tokens.push_back("<tool>");
  spec.types.push_back(TokenType::kUserDefined);
  spec.scores.push_back(0);
  auto t = Make(std::move(spec));
  const int32_t tool = kFirstPiece + 2;
  EXPECT_EQ(Encode(*t, "<tool>", /*parse_special=*/false), (Ids{tool}));
  EXPECT_EQ(t->TokenToPiece(tool), "<tool>");
}

// Byte-level BPE vocabulary: the 256 mapped bytes as ids 0..255, then merged tokens.
VocabSpec BpeSpec(const std::vector<std::string>& merges, PreTokenizerKind pre) {
  VocabSpec spec;
  spec.model = TokenizerModel::kBpe;
  spec.pre = pre;
  for (int b = 0; b < 256; ++b) {
    std::string text;
    unicode::AppendUtf8(unicode::ByteToCodepoint(static_cast<uint8_t>(b)), &text);
    spec.tokens.push_back(text);
  }
  for (const std::string& merge : merges) {
    std::string joined = merge;
    joined.erase(merge.find(' '), 1);
    spec.tokens.push_back(joined);
  }
  spec.merges = merges;
  spec.tokens.push_back("<|eot_id|>");
  spec.types.assign(spec.tokens.size(), TokenType::kNormal);
  spec.types.back() = TokenType::kControl;
  spec.eos_id = static_cast<int32_t>(spec.tokens.size()) - 1;
  return spec;
}

TEST(BpeTest, MergesLowestRankFirst) {
  // Ranks: "a b" 0, "ab c" 1, "Ġ a" 2.
  auto t = Make(BpeSpec({"a b", "ab c", "Ġ a"}, PreTokenizerKind::kGpt2));
  const int32_t ab = 256, abc = 257, space_a = 258;
  EXPECT_EQ(Encode(*t, "abc"), (Ids{abc}));
  EXPECT_EQ(Encode(*t, " ab"), (Ids{' ', ab}));  // "a b" outranks "Ġ a"
  EXPECT_EQ(Encode(*t, " ac"), (Ids{space_a, 'c'}));
  EXPECT_EQ(Encode(*t, "ab ab"), (Ids{ab, ' ', ab}));
  EXPECT_EQ(t->Decode(Encode(*t, " ac ab\n")), " ac ab\n");
  EXPECT_EQ(t->TokenText(' '), "\xC4\xA0");  // id 32 is byte 0x20, stored as 'Ġ'
  EXPECT_EQ(t->TokenToPiece(' '), " ");
}

TEST(BpeTest, EveryByteRoundTrips) {
  auto t = Make(BpeSpec({"a b"}, PreTokenizerKind::kLlama3));
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  const Ids ids = Encode(*t, all);
  EXPECT_EQ(t->Decode(ids), all);
  for (int32_t id : ids) EXPECT_LT(id, t->n_vocab());
}

TEST(BpeTest, SpecialTokensAndEndOfGeneration) {
  auto t = Make(BpeSpec({"a b"}, PreTokenizerKind::kLlama3));
  const int32_t eot = t->n_vocab() - 1;
  EXPECT_EQ(Encode(*t, "ab<|eot_id|>", true), (Ids{256, eot}));
  EXPECT_EQ(t->eot_id(), eot);  // found by its text
  EXPECT_TRUE(t->IsEndOfGeneration(eot));
  EXPECT_FALSE(t->IsEndOfGeneration(256));
  EXPECT_FALSE(t->IsEndOfGeneration(-1));
  EXPECT_FALSE(t->IsEndOfGeneration(1 << 30));
  EXPECT_FALSE(t->add_bos_default());  // no BOS token
}

TEST(DecodeTest, OutOfRangeIds) {
  auto t = Make(BpeSpec({"a b"}, PreTokenizerKind::kGpt2));
  const Ids ids = {'a', -1, 1 << 30, t->n_vocab(), 'b'};
  EXPECT_EQ(t->Decode(ids), "ab");
  auto checked = t->DecodeChecked(ids);
  ASSERT_FALSE(checked.has_value());
  EXPECT_EQ(checked.error().code(), StatusCode::kOutOfRange);
  EXPECT_NE(checked.error().message().find("-1"), std::string::npos);
  EXPECT_EQ(t->TokenText(-5), "");
  EXPECT_EQ(t->TokenToPiece(t->n_vocab()), "");
  EXPECT_EQ(t->FindToken("ab"), 256);
  EXPECT_EQ(t->FindToken("zz"), std::nullopt);
}

TEST(StreamingDetokenizerTest, HoldsBackPartialCharacters) {
  auto t = Make(SpmSpec({{"▁", -5}, {"a", -5}}));
  StreamingDetokenizer stream(*t);
  // 🙂 = F0 9F 99 82, sent as four byte tokens.
  EXPECT_EQ(stream.Push(kFirstPiece + 1), "a");
  EXPECT_EQ(stream.Push(ByteId(0xF0)), "");
  EXPECT_EQ(stream.Push(ByteId(0x9F)), "");
  EXPECT_EQ(stream.Push(ByteId(0x99)), "");
  EXPECT_EQ(stream.pending_bytes(), 3u);
  EXPECT_EQ(stream.Push(ByteId(0x82)), "\xF0\x9F\x99\x82");
  // é split, with the next character arriving in the same piece as its end.
  EXPECT_EQ(stream.Push(ByteId(0xC3)), "");
  EXPECT_EQ(stream.Push(ByteId(0xA9)), "\xC3\xA9");
  EXPECT_EQ(stream.Push(kFirstPiece), " ");
  // A byte that can never start a character is not held back.
  EXPECT_EQ(stream.Push(ByteId(0xFF)), "\xFF");
  // An incomplete character followed by ASCII is given up and passed through.
  EXPECT_EQ(stream.Push(ByteId(0xE6)), "");
  EXPECT_EQ(stream.Push(kFirstPiece + 1),
            "\xE6"
            "a");
  // Flush returns what is still held.
  EXPECT_EQ(stream.Push(ByteId(0xE6)), "");
  EXPECT_EQ(stream.Flush(), "\xE6");
  EXPECT_EQ(stream.Flush(), "");
  EXPECT_EQ(stream.Push(-7), "");
}

TEST(StreamingDetokenizerTest, ReplacesInvalidBytesWhenAsked) {
  auto t = Make(SpmSpec({{"▁", -5}, {"a", -5}}));
  StreamingDetokenizer stream(*t, false, InvalidUtf8::kReplace);
  const std::string kReplacement = "\xEF\xBF\xBD";
  EXPECT_EQ(stream.Push(ByteId(0xFF)), kReplacement);
  EXPECT_EQ(stream.Push(ByteId(0xE6)), "");
  EXPECT_EQ(stream.Push(kFirstPiece + 1), kReplacement + "a");
  EXPECT_EQ(stream.Push(ByteId(0xC3)), "");
  EXPECT_EQ(stream.Push(ByteId(0xA9)), "\xC3\xA9");
  EXPECT_EQ(stream.Push(ByteId(0xF0)), "");
  EXPECT_EQ(stream.Push(ByteId(0x9F)), "");
  EXPECT_EQ(stream.Flush(), kReplacement + kReplacement);
}

TEST(StreamingDetokenizerTest, StripsSpmLeadingSpaceOnlyAtTextStart) {
  auto t = Make(SpmSpec({{"▁", -5}, {"a", -5}, {"▁a", -1}}));
  const int32_t space_a = kFirstPiece + 2;
  StreamingDetokenizer start(*t, /*starts_text=*/true);
  EXPECT_EQ(start.Push(1), "");  // BOS renders as nothing and does not end the stripping
  EXPECT_EQ(start.Push(space_a), "a");
  EXPECT_EQ(start.Push(space_a), " a");
  StreamingDetokenizer continuation(*t);
  EXPECT_EQ(continuation.Push(space_a), " a");
}

}  // namespace
}  // namespace locai::engine

// The merge-queue encoders against naive reference versions (rescan every adjacent pair after
// each merge: quadratic, but obviously the textbook algorithm) on seeded random text over the
// real conformance vocabularies.
#include <gtest/gtest.h>

#include <unordered_map>
#include <random>
#include <string>
#include <vector>

#include "engine/tokenizer/pre_tokenizer.h"
#include "engine/tokenizer/test_vocabs.h"
#include "engine/tokenizer/tokenizer.h"
#include "engine/tokenizer/unicode.h"

namespace locai::engine {
namespace {

using tokenizer_testing::ConformanceTokenizer;

std::vector<std::string> SplitCharacters(std::string_view text) {
  std::vector<std::string> out;
  for (size_t pos = 0; pos < text.size();) {
    const size_t len = unicode::DecodeUtf8(text, pos).len;
    out.emplace_back(text.substr(pos, len));
    pos += len;
  }
  return out;
}

// SPM: merge the adjacent pair whose concatenation is the highest-scoring token, leftmost first.
std::vector<int32_t> NaiveSpm(const Vocab& vocab, std::string_view text) {
  std::string escaped = "\xE2\x96\x81";
  for (char c : text) escaped += c == ' ' ? std::string("\xE2\x96\x81") : std::string(1, c);
  std::vector<std::string> symbols = SplitCharacters(escaped);
  while (true) {
    int best = -1;
    float best_score = 0;
    for (size_t i = 0; i + 1 < symbols.size(); ++i) {
      const int32_t id = vocab.Find(symbols[i] + symbols[i + 1]);
      if (id != kNoToken && (best < 0 || vocab.Score(id) > best_score)) {
        best = static_cast<int>(i);
        best_score = vocab.Score(id);
      }
    }
    if (best < 0) break;
    symbols[best] += symbols[best + 1];
    symbols.erase(symbols.begin() + best + 1);
  }
  std::vector<int32_t> ids;
  for (const std::string& symbol : symbols) {
    if (const int32_t id = vocab.Find(symbol); id != kNoToken) {
      ids.push_back(id);
    } else {
      for (char byte : symbol) ids.push_back(vocab.ByteToken(static_cast<uint8_t>(byte)));
    }
  }
  return ids;
}

// Byte-level BPE: merge the adjacent pair with the lowest merge rank, leftmost first; ranks come
// straight from the merge strings.
class NaiveBpe {
 public:
  explicit NaiveBpe(const Vocab& vocab) : vocab_(vocab) {
    const std::vector<std::string>& merges = vocab.spec().merges;
    ranks_.reserve(merges.size());
    for (size_t rank = 0; rank < merges.size(); ++rank) ranks_.emplace(merges[rank], rank);
  }

  std::vector<int32_t> Encode(std::string_view text) const {
    std::vector<std::string_view> words;
    PreTokenize(vocab_.spec().pre, text, &words);
    std::vector<int32_t> ids;
    for (std::string_view word : words) {
      std::string mapped;
      for (char byte : word) {
        unicode::AppendUtf8(unicode::ByteToCodepoint(static_cast<uint8_t>(byte)), &mapped);
      }
      if (vocab_.spec().pre == PreTokenizerKind::kLlama3 && vocab_.Find(mapped) != kNoToken) {
        ids.push_back(vocab_.Find(mapped));
        continue;
      }
      std::vector<std::string> symbols = SplitCharacters(mapped);
      while (true) {
        int best = -1;
        size_t best_rank = 0;
        for (size_t i = 0; i + 1 < symbols.size(); ++i) {
          const auto it = ranks_.find(symbols[i] + " " + symbols[i + 1]);
          if (it != ranks_.end() && (best < 0 || it->second < best_rank)) {
            best = static_cast<int>(i);
            best_rank = it->second;
          }
        }
        if (best < 0) break;
        symbols[best] += symbols[best + 1];
        symbols.erase(symbols.begin() + best + 1);
      }
      for (const std::string& symbol : symbols) ids.push_back(vocab_.Find(symbol));
    }
    return ids;
  }

 private:
  const Vocab& vocab_;
  std::unordered_map<std::string, size_t> ranks_;
};

std::vector<std::string> RandomTexts(uint32_t seed, int count) {
  const std::string pieces[] = {"the",
                                "The",
                                " quick",
                                "brown",
                                "fox",
                                "'s",
                                "'LL",
                                "jumps",
                                "\xC3\xBC"
                                "ber",
                                "na\xC3\xAFve",
                                "\xE6\x97\xA5\xE6\x9C\xAC",
                                "\xF0\x9F\x99\x82",
                                "\xD0\x96\xD0\xB8",
                                "12345",
                                "3.14",
                                " ",
                                "  ",
                                "\n",
                                "\t",
                                "\r\n",
                                "!!",
                                "?",
                                "def",
                                "x**2",
                                "ing",
                                "tion",
                                "un",
                                "a",
                                "e\xCC\x81",
                                "\xC2\xA0",
                                "camelCase",
                                "snake_case",
                                "<",
                                ">",
                                "|",
                                "\xFF",
                                "\xE2\x96"};
  std::mt19937 rng(seed);
  std::vector<std::string> texts;
  for (int i = 0; i < count; ++i) {
    std::string text;
    const int n = 1 + static_cast<int>(rng() % 12);
    for (int j = 0; j < n; ++j) text += pieces[rng() % std::size(pieces)];
    texts.push_back(std::move(text));
  }
  return texts;
}

TEST(ReferenceEncoderTest, SpmMatchesNaiveMerging) {
  const Tokenizer& t = ConformanceTokenizer("vocab-spm.gguf");
  for (const std::string& text : RandomTexts(11, 400)) {
    auto ids = t.Encode(text, false, false);
    ASSERT_TRUE(ids.has_value());
    EXPECT_EQ(*ids, NaiveSpm(t.vocab(), text)) << ::testing::PrintToString(text);
  }
}

TEST(ReferenceEncoderTest, BpeMatchesNaiveMerging) {
  const Tokenizer& t = ConformanceTokenizer("vocab-bpe.gguf");
  const NaiveBpe naive(t.vocab());
  for (const std::string& text : RandomTexts(12, 200)) {
    auto ids = t.Encode(text, false, false);
    ASSERT_TRUE(ids.has_value());
    EXPECT_EQ(*ids, naive.Encode(text)) << ::testing::PrintToString(text);
  }
}

}  // namespace
}  // namespace locai::engine

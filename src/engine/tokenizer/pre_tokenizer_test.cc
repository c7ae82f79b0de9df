#include "engine/tokenizer/pre_tokenizer.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace locai::engine {
namespace {

std::vector<std::string> Split(PreTokenizerKind kind, std::string_view text) {
  std::vector<std::string_view> words;
  PreTokenize(kind, text, &words);
  return {words.begin(), words.end()};
}

using Words = std::vector<std::string>;

TEST(PreTokenizerTest, Names) {
  EXPECT_EQ(PreTokenizerKindFromName("llama-bpe"), PreTokenizerKind::kLlama3);
  EXPECT_EQ(PreTokenizerKindFromName("qwen2"), PreTokenizerKind::kQwen2);
  EXPECT_EQ(PreTokenizerKindFromName("gpt2"), PreTokenizerKind::kGpt2);
  EXPECT_EQ(PreTokenizerKindFromName("default"), PreTokenizerKind::kGpt2);
  EXPECT_EQ(PreTokenizerKindFromName("something-new"), PreTokenizerKind::kGpt2);
}

TEST(PreTokenizerTest, Llama3) {
  const auto k = PreTokenizerKind::kLlama3;
  EXPECT_EQ(Split(k, "Hello world"), (Words{"Hello", " world"}));
  EXPECT_EQ(Split(k, "  leading"), (Words{" ", " leading"}));
  EXPECT_EQ(Split(k, "trailing  "), (Words{"trailing", "  "}));
  EXPECT_EQ(Split(k, "1234567"), (Words{"123", "456", "7"}));
  EXPECT_EQ(Split(k, "I'm O'Neill's"), (Words{"I", "'m", " O", "'Neill", "'s"}));
  EXPECT_EQ(Split(k, "I'M WE'LL"), (Words{"I", "'M", " WE", "'LL"}));
  EXPECT_EQ(Split(k, "Tabs\tand\nnew"), (Words{"Tabs", "\tand", "\n", "new"}));
  EXPECT_EQ(Split(k, "a  \n\n  b"), (Words{"a", "  \n\n", " ", " b"}));
  EXPECT_EQ(Split(k, "x!!\n\ny"), (Words{"x", "!!\n\n", "y"}));
  EXPECT_EQ(Split(k, "for (int i"), (Words{"for", " (", "int", " i"}));
  EXPECT_EQ(Split(k, "caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC"),
            (Words{"caf\xC3\xA9", " \xE6\x97\xA5\xE6\x9C\xAC"}));
  EXPECT_EQ(Split(k, ""), Words{});
}

TEST(PreTokenizerTest, Qwen2SplitsSingleDigits) {
  EXPECT_EQ(Split(PreTokenizerKind::kQwen2, "a 123"), (Words{"a", " ", "1", "2", "3"}));
}

TEST(PreTokenizerTest, Gpt2) {
  const auto k = PreTokenizerKind::kGpt2;
  EXPECT_EQ(Split(k, "Hello world"), (Words{"Hello", " world"}));
  EXPECT_EQ(Split(k, "I'm I'M"), (Words{"I", "'m", " I", "'", "M"}));
  EXPECT_EQ(Split(k, "abc 1234567 !?"), (Words{"abc", " 1234567", " !?"}));
  EXPECT_EQ(Split(k, "a   b"), (Words{"a", "  ", " b"}));
  EXPECT_EQ(Split(k, "a\n\nb "), (Words{"a", "\n", "\n", "b", " "}));
}

TEST(PreTokenizerTest, InvalidBytesAreKeptAsOther) {
  EXPECT_EQ(Split(PreTokenizerKind::kLlama3,
                  "ab\xFF\xFE"
                  "cd"),
            (Words{"ab", "\xFF\xFE", "cd"}));
  EXPECT_EQ(Split(PreTokenizerKind::kGpt2, "ab \xFF"), (Words{"ab", " \xFF"}));
}

TEST(PreTokenizerTest, WordsCoverRandomInputExactly) {
  std::mt19937 rng(1234);
  const std::string alphabet[] = {"a",
                                  "Z",
                                  "1",
                                  " ",
                                  "\n",
                                  "\r",
                                  "\t",
                                  "'",
                                  "s",
                                  "!",
                                  "\xC3\xA9",
                                  "\xE6\x97\xA5",
                                  "\xF0\x9F\x99\x82",
                                  "\xFF",
                                  "\x80"};
  for (int iter = 0; iter < 500; ++iter) {
    std::string text;
    const int len = static_cast<int>(rng() % 40);
    for (int i = 0; i < len; ++i) text += alphabet[rng() % std::size(alphabet)];
    for (auto kind :
         {PreTokenizerKind::kGpt2, PreTokenizerKind::kLlama3, PreTokenizerKind::kQwen2}) {
      std::string joined;
      for (const std::string& word : Split(kind, text)) {
        EXPECT_FALSE(word.empty());
        joined += word;
      }
      EXPECT_EQ(joined, text);
    }
  }
}

}  // namespace
}  // namespace locai::engine

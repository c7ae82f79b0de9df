// The conformance vocabularies (Llama 2 SPM, Llama 3 BPE) against the reference runtime's ids,
// plus round trips and streaming over the real vocabularies.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/tokenizer/streaming_detokenizer.h"
#include "engine/tokenizer/test_vocabs.h"
#include "engine/tokenizer/tokenizer.h"
#include "engine/tokenizer/unicode.h"

namespace locai::engine {
namespace {

using tokenizer_testing::ConformancePath;
using tokenizer_testing::ConformanceTokenizer;

struct Case {
  std::string text;
  std::vector<int32_t> ids;
};

std::vector<Case> ReadCases(const std::string& name) {
  std::ifstream in(ConformancePath(name));
  EXPECT_TRUE(in.good()) << name;
  std::vector<Case> cases;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << line;
    if (j.is_discarded()) continue;
    cases.push_back({j.at("text").get<std::string>(), j.at("ids").get<std::vector<int32_t>>()});
  }
  return cases;
}

class ConformanceTest : public ::testing::TestWithParam<const char*> {
 protected:
  std::string vocab() const { return std::string("vocab-") + GetParam() + ".gguf"; }
  std::string jsonl() const { return std::string("vocab-") + GetParam() + ".jsonl"; }
};

TEST_P(ConformanceTest, EveryLineMatchesReferenceIds) {
  const Tokenizer& tokenizer = ConformanceTokenizer(vocab());
  const std::vector<Case> cases = ReadCases(jsonl());
  ASSERT_GE(cases.size(), 30u);
  for (const Case& c : cases) {
    auto ids = tokenizer.Encode(c.text, /*add_bos=*/false, /*parse_special=*/true);
    ASSERT_TRUE(ids.has_value());
    EXPECT_EQ(*ids, c.ids) << "text: " << c.text;
  }
}

TEST_P(ConformanceTest, DecodeOfReferenceIdsGivesText) {
  const Tokenizer& tokenizer = ConformanceTokenizer(vocab());
  for (const Case& c : ReadCases(jsonl())) {
    // Special tokens decode to nothing, so only lines without them round-trip exactly.
    bool has_control = false;
    for (int32_t id : c.ids) has_control |= tokenizer.IsControl(id);
    if (has_control) continue;
    EXPECT_EQ(tokenizer.Decode(c.ids), c.text);
  }
}

const char* const kRoundTripTexts[] = {
    "Hello world",
    " leading space",
    "  two leading spaces and trailing   ",
    "emoji 🙂👍🏽🚀 and flags 🇬🇧🇪🇺 and ZWJ 👩‍👩‍👧",
    "日本語のテキストと中文文本, 한국어 텍스트",
    "combining: e\u0301 a\u0308 n\u0303 \u0915\u094D\u0937",
    "whitespace\t\truns\n\n\n  \r\n \u3000 \u00A0 end",
    "digits 0123456789 ١٢٣٤ 1e-9 3.14159",
    "mixed: Ελληνικά, Кириллица, עברית, العربية",
    "\n",
    " ",
    "x",
    "",
    "ends with newline\n",
    "math: ∑ ∫ √ ≤ ≥ ∞",
    "<not a special token> </s2> <|eot_idx|>",
};

TEST_P(ConformanceTest, RoundTripsAssortedText) {
  const Tokenizer& tokenizer = ConformanceTokenizer(vocab());
  for (const char* text : kRoundTripTexts) {
    for (bool add_bos : {false, true}) {
      auto ids = tokenizer.Encode(text, add_bos, /*parse_special=*/false);
      ASSERT_TRUE(ids.has_value());
      EXPECT_EQ(tokenizer.Decode(*ids), text) << "add_bos " << add_bos;
      auto checked = tokenizer.DecodeChecked(*ids);
      ASSERT_TRUE(checked.has_value());
      EXPECT_EQ(*checked, text);
    }
  }
}

TEST_P(ConformanceTest, StreamingEqualsDecodeAndEmitsWholeCharacters) {
  const Tokenizer& tokenizer = ConformanceTokenizer(vocab());
  for (const char* text : kRoundTripTexts) {
    auto ids = tokenizer.Encode(text, /*add_bos=*/true, /*parse_special=*/false);
    ASSERT_TRUE(ids.has_value());
    StreamingDetokenizer stream(tokenizer, /*starts_text=*/true);
    std::string streamed;
    for (int32_t id : *ids) {
      const std::string chunk = stream.Push(id);
      // Every chunk is valid UTF-8 on its own (the inputs are valid UTF-8).
      EXPECT_EQ(unicode::IsValidUtf8(chunk), true) << "chunk of " << text;
      streamed += chunk;
    }
    streamed += stream.Flush();
    EXPECT_EQ(streamed, text);
  }
}

TEST_P(ConformanceTest, SpecialIdsAndFlags) {
  const Tokenizer& tokenizer = ConformanceTokenizer(vocab());
  if (std::string(GetParam()) == "spm") {
    EXPECT_EQ(tokenizer.n_vocab(), 32000);
    EXPECT_EQ(tokenizer.bos_id(), 1);
    EXPECT_EQ(tokenizer.eos_id(), 2);
    EXPECT_EQ(tokenizer.unk_id(), 0);
    EXPECT_TRUE(tokenizer.add_bos_default());
    EXPECT_FALSE(tokenizer.add_eos_default());
    EXPECT_TRUE(tokenizer.IsEndOfGeneration(2));
    EXPECT_FALSE(tokenizer.IsEndOfGeneration(1));
    EXPECT_EQ(tokenizer.FindToken("<s>"), 1);
    EXPECT_EQ(tokenizer.TokenText(15043), "▁Hello");
    EXPECT_EQ(tokenizer.TokenToPiece(15043), " Hello");
    EXPECT_EQ(tokenizer.TokenToPiece(3 + 0x41), "A");  // <0x41>
    auto ids = tokenizer.Encode("Hi", /*add_bos=*/true, false);
    ASSERT_TRUE(ids.has_value());
    EXPECT_EQ(ids->front(), 1);
  } else {
    EXPECT_EQ(tokenizer.n_vocab(), 128256);
    EXPECT_EQ(tokenizer.bos_id(), 128000);
    EXPECT_EQ(tokenizer.eos_id(), 128009);
    EXPECT_EQ(tokenizer.eot_id(), 128009);
    EXPECT_TRUE(tokenizer.add_bos_default());
    EXPECT_TRUE(tokenizer.IsEndOfGeneration(128009));
    EXPECT_TRUE(tokenizer.IsEndOfGeneration(*tokenizer.FindToken("<|end_of_text|>")));
    EXPECT_FALSE(tokenizer.IsEndOfGeneration(128000));
    EXPECT_EQ(tokenizer.TokenToPiece(128009), "");
    EXPECT_EQ(tokenizer.TokenToPiece(128009, /*render_special=*/true), "<|eot_id|>");
    EXPECT_EQ(tokenizer.TokenToPiece(22691), " Hello");
    // Without parse_special the special text is ordinary text.
    auto plain = tokenizer.Encode("<|eot_id|>", false, /*parse_special=*/false);
    ASSERT_TRUE(plain.has_value());
    EXPECT_GT(plain->size(), 1u);
    EXPECT_EQ(tokenizer.Decode(*plain), "<|eot_id|>");
  }
}

INSTANTIATE_TEST_SUITE_P(Vocabularies, ConformanceTest, ::testing::Values("spm", "bpe"));

}  // namespace
}  // namespace locai::engine

// Hostile input: random and mutated text, random ids, and malformed GGUF tokenizer metadata.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "engine/gguf/gguf_writer.h"
#include "engine/tokenizer/streaming_detokenizer.h"
#include "engine/tokenizer/test_vocabs.h"
#include "engine/tokenizer/tokenizer.h"
#include "engine/tokenizer/unicode.h"

namespace locai::engine {
namespace {

using tokenizer_testing::ConformanceTokenizer;

class HostileInputTest : public ::testing::TestWithParam<const char*> {
 protected:
  const Tokenizer& tokenizer() const {
    return ConformanceTokenizer(std::string("vocab-") + GetParam() + ".gguf");
  }
};

// Checks the invariants every encoding keeps: ids in range and, for text encoded without
// special-token parsing, a round trip of the bytes. SentencePiece cannot tell a literal U+2581
// from its escaped space, so for SPM the expected text has those replaced by spaces.
void CheckEncoding(const Tokenizer& t, const std::string& text) {
  std::string expected = text;
  if (t.model() == TokenizerModel::kSpm) {
    for (size_t pos = expected.find("\xE2\x96\x81"); pos != std::string::npos;
         pos = expected.find("\xE2\x96\x81", pos)) {
      expected.replace(pos, 3, " ");
    }
  }
  for (bool parse_special : {false, true}) {
    auto ids = t.Encode(text, /*add_bos=*/true, parse_special);
    ASSERT_TRUE(ids.has_value());
    for (int32_t id : *ids) ASSERT_TRUE(id >= 0 && id < t.n_vocab()) << id;
    if (!parse_special) {
      ASSERT_EQ(t.Decode(*ids), expected) << ::testing::PrintToString(text);
    }
  }
}

TEST_P(HostileInputTest, RandomBytesEncodeAndRoundTrip) {
  std::mt19937 rng(20261124);
  for (int iter = 0; iter < 1500; ++iter) {
    std::string text(rng() % 48, '\0');
    for (char& c : text) {
      // Bias towards bytes that form and break UTF-8 sequences.
      const uint32_t r = rng();
      c = static_cast<char>((r & 3) == 0 ? 0x80 + (r >> 8) % 0x80 : (r >> 8) & 0xFF);
    }
    CheckEncoding(tokenizer(), text);
  }
}

TEST_P(HostileInputTest, MutatedTextEncodes) {
  const std::string seeds[] = {
      "The patient, aged 67, was admitted on 2026-03-14 with chest pain.",
      "Emoji: \xF0\x9F\x99\x82\xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD and \xE6\x97\xA5\xE6\x9C\xAC",
      "<|begin_of_text|>system<|eot_id|><s> x </s>",
      "def f(x):\n    return x ** 2  # square\n",
  };
  const std::string splices[] = {"<s>",          "</s>", "<|eot_id|>", "<|start_header_id|>",
                                 "\xE2\x96\x81", " ",    "\n",         "\xF0\x9F",
                                 "'s",           "123"};
  std::mt19937 rng(7);
  for (int iter = 0; iter < 1500; ++iter) {
    std::string text = seeds[rng() % std::size(seeds)];
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits && !text.empty(); ++e) {
      const size_t pos = rng() % text.size();
      switch (rng() % 4) {
        case 0:
          text[pos] = static_cast<char>(rng() & 0xFF);
          break;
        case 1:
          text.erase(pos, rng() % 4);
          break;
        case 2:
          text.insert(pos, splices[rng() % std::size(splices)]);
          break;
        case 3:
          text.resize(pos);
          break;
      }
    }
    CheckEncoding(tokenizer(), text);
  }
}

TEST_P(HostileInputTest, RandomIdsDecodeSafely) {
  const Tokenizer& t = tokenizer();
  std::mt19937 rng(99);
  for (int iter = 0; iter < 1000; ++iter) {
    std::vector<int32_t> ids(rng() % 24);
    bool all_valid = true;
    for (int32_t& id : ids) {
      switch (rng() % 4) {
        case 0:
          id = static_cast<int32_t>(rng());
          break;  // anything, often huge/negative
        case 1:
          id = t.n_vocab() - 1 + static_cast<int32_t>(rng() % 3);
          break;  // around the end
        default:
          id = static_cast<int32_t>(rng() % t.n_vocab());
          break;
      }
      all_valid &= id >= 0 && id < t.n_vocab();
    }
    const std::string decoded = t.Decode(ids);
    auto checked = t.DecodeChecked(ids);
    EXPECT_EQ(checked.has_value(), all_valid);
    if (checked) {
      EXPECT_EQ(*checked, decoded);
    }

    // The stream gives the concatenated pieces, never splitting a character it can complete.
    StreamingDetokenizer stream(t);
    std::string streamed;
    std::string expected;
    for (int32_t id : ids) {
      streamed += stream.Push(id);
      expected += t.TokenToPiece(id);
      EXPECT_LE(stream.pending_bytes(), 3u);
    }
    streamed += stream.Flush();
    t.UnescapeSpaces(&expected);
    EXPECT_EQ(streamed, expected);

    // With replacement, every chunk is valid UTF-8 whatever the ids.
    StreamingDetokenizer strict(t, false, InvalidUtf8::kReplace);
    for (int32_t id : ids) EXPECT_TRUE(unicode::IsValidUtf8(strict.Push(id)));
    EXPECT_TRUE(unicode::IsValidUtf8(strict.Flush()));
  }
}

INSTANTIATE_TEST_SUITE_P(Vocabularies, HostileInputTest, ::testing::Values("spm", "bpe"));

// A small, valid SPM tokenizer section; tests then break one key.
gguf::GgufWriter SmallSpmWriter() {
  gguf::GgufWriter writer;
  writer.SetString("general.architecture", "llama");
  writer.SetString("tokenizer.ggml.model", "llama");
  writer.SetStringArray("tokenizer.ggml.tokens", {"<unk>", "<s>", "</s>",
                                                  "\xE2\x96\x81"
                                                  "a",
                                                  "a"});
  writer.SetFloat32Array("tokenizer.ggml.scores", {0, 0, 0, -1, -2});
  writer.SetInt32Array("tokenizer.ggml.token_type", {2, 3, 3, 1, 1});
  writer.SetUint32("tokenizer.ggml.bos_token_id", 1);
  writer.SetUint32("tokenizer.ggml.eos_token_id", 2);
  writer.SetUint32("tokenizer.ggml.unknown_token_id", 0);
  writer.SetUint32("tokenizer.ggml.padding_token_id", 0xFFFFFFFFu);  // "none"
  return writer;
}

// Loads a tokenizer from the writer's bytes; the GGUF itself must parse.
Result<std::unique_ptr<Tokenizer>> LoadFrom(const gguf::GgufWriter& writer,
                                            std::vector<uint8_t>* storage) {
  auto bytes = writer.Serialize();
  EXPECT_TRUE(bytes.has_value());
  *storage = std::move(*bytes);
  auto file = gguf::GgufFile::Parse(*storage, "hostile.gguf");
  EXPECT_TRUE(file.has_value()) << file.error().ToString();
  if (!file) return Err(file.error());
  return Tokenizer::FromGguf(**file);
}

void ExpectRefused(const gguf::GgufWriter& writer, std::string_view key) {
  std::vector<uint8_t> storage;
  auto tokenizer = LoadFrom(writer, &storage);
  ASSERT_FALSE(tokenizer.has_value()) << "expected an error naming " << key;
  const std::string& message = tokenizer.error().message();
  EXPECT_NE(message.find("hostile.gguf"), std::string::npos) << message;
  EXPECT_NE(message.find(key), std::string::npos) << message;
}

TEST(HostileGgufTest, ValidSmallVocabLoads) {
  std::vector<uint8_t> storage;
  auto tokenizer = LoadFrom(SmallSpmWriter(), &storage);
  ASSERT_TRUE(tokenizer.has_value()) << tokenizer.error().ToString();
  EXPECT_EQ((*tokenizer)->n_vocab(), 5);
  EXPECT_EQ((*tokenizer)->pad_id(), kNoToken);
  auto ids = (*tokenizer)->Encode("a", true, false);
  ASSERT_TRUE(ids.has_value());
  EXPECT_EQ(*ids, (std::vector<int32_t>{1, 3}));
  // No byte tokens: a character outside the vocabulary falls back to <unk>.
  ids = (*tokenizer)->Encode("b", false, false);
  ASSERT_TRUE(ids.has_value());
  // "▁b": neither "▁" nor "b" is a token and there are no byte tokens, so each of the 4 bytes
  // becomes <unk>.
  EXPECT_EQ(*ids, (std::vector<int32_t>{0, 0, 0, 0}));
}

TEST(HostileGgufTest, ScoresOfWrongTypeAreRefused) {
  gguf::GgufWriter writer = SmallSpmWriter();
  writer.SetInt32Array("tokenizer.ggml.scores", {0, 0, 0, -1, -2});
  ExpectRefused(writer, "tokenizer.ggml.scores");
  writer.SetString("tokenizer.ggml.scores", "not an array");
  ExpectRefused(writer, "tokenizer.ggml.scores");
}

TEST(HostileGgufTest, ScoresOfWrongLengthAreRefused) {
  gguf::GgufWriter writer = SmallSpmWriter();
  writer.SetFloat32Array("tokenizer.ggml.scores", {0, 0, 0});
  ExpectRefused(writer, "tokenizer.ggml.scores");
}

TEST(HostileGgufTest, HugeTokenTextIsRefused) {
  gguf::GgufWriter writer = SmallSpmWriter();
  writer.SetStringArray("tokenizer.ggml.tokens",
                        {"<unk>", "<s>", "</s>", std::string(2 << 20, 'x'), "a"});
  ExpectRefused(writer, "tokenizer.ggml.tokens");
}

TEST(HostileGgufTest, OtherMalformedKeysAreRefused) {
  {
    gguf::GgufWriter writer = SmallSpmWriter();
    writer.SetInt32Array("tokenizer.ggml.tokens", {1, 2, 3, 4, 5});
    ExpectRefused(writer, "tokenizer.ggml.tokens");
  }
  {
    gguf::GgufWriter writer = SmallSpmWriter();
    writer.SetInt32Array("tokenizer.ggml.token_type", {2, 3, 3, 1, 9});
    ExpectRefused(writer, "tokenizer.ggml.token_type");
  }
  {
    gguf::GgufWriter writer = SmallSpmWriter();
    writer.SetInt32Array("tokenizer.ggml.token_type", {2, 3});
    ExpectRefused(writer, "tokenizer.ggml.token_type");
  }
  {
    gguf::GgufWriter writer = SmallSpmWriter();
    writer.SetUint32("tokenizer.ggml.bos_token_id", 5);
    ExpectRefused(writer, "tokenizer.ggml.bos_token_id");
  }
  {
    gguf::GgufWriter writer = SmallSpmWriter();
    writer.SetString("tokenizer.ggml.model", "bert");
    ExpectRefused(writer, "tokenizer.ggml.model");
  }
  {
    gguf::GgufWriter writer;
    writer.SetString("tokenizer.ggml.model", "llama");
    ExpectRefused(writer, "tokenizer.ggml.tokens");
  }
  {
    gguf::GgufWriter writer;
    writer.SetString("tokenizer.ggml.model", "gpt2");
    writer.SetStringArray("tokenizer.ggml.tokens", {"a", "b", "ab"});
    ExpectRefused(writer, "tokenizer.ggml.merges");  // missing
    writer.SetStringArray("tokenizer.ggml.merges", {"a b", "ab"});
    ExpectRefused(writer, "tokenizer.ggml.merges");  // not "left right"
    writer.SetStringArray("tokenizer.ggml.merges", {"a b"});
    std::vector<uint8_t> storage;
    auto ok = LoadFrom(writer, &storage);
    ASSERT_TRUE(ok.has_value()) << ok.error().ToString();
    auto ids = (*ok)->Encode("ab", false, false);
    ASSERT_TRUE(ids.has_value());
    EXPECT_EQ(*ids, (std::vector<int32_t>{2}));
  }
}

TEST(HostileGgufTest, NanScoreIsRefused) {
  gguf::GgufWriter writer = SmallSpmWriter();
  writer.SetFloat32Array("tokenizer.ggml.scores", {0, 0, 0, std::nanf(""), -2});
  ExpectRefused(writer, "tokenizer.ggml.scores");
}

// Byte-level mutations of a valid file: whatever the GGUF reader accepts, loading either fails
// cleanly or gives a tokenizer that encodes and decodes without incident.
TEST(HostileGgufTest, MutatedFilesNeverCrash) {
  gguf::GgufWriter writer = SmallSpmWriter();
  writer.SetStringArray("tokenizer.ggml.merges", {"a b"});
  auto bytes = writer.Serialize();
  ASSERT_TRUE(bytes.has_value());
  std::mt19937 rng(31337);
  int loaded = 0;
  for (int iter = 0; iter < 1500; ++iter) {
    std::vector<uint8_t> mutated = *bytes;
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits; ++e) mutated[rng() % mutated.size()] = static_cast<uint8_t>(rng());
    auto file = gguf::GgufFile::Parse(mutated, "mutated.gguf");
    if (!file) continue;
    auto tokenizer = Tokenizer::FromGguf(**file);
    if (!tokenizer) {
      EXPECT_FALSE(tokenizer.error().message().empty());
      continue;
    }
    ++loaded;
    const Tokenizer& t = **tokenizer;
    for (const char* text : {"a a", "<s>x</s>", "\xFF\xE2\x96", ""}) {
      auto ids = t.Encode(text, true, true);
      ASSERT_TRUE(ids.has_value());
      for (int32_t id : *ids) ASSERT_TRUE(id >= 0 && id < t.n_vocab());
      (void)t.Decode(*ids);
    }
  }
  EXPECT_GT(loaded, 0);
}

}  // namespace
}  // namespace locai::engine

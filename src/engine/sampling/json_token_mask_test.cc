#include "engine/sampling/json_token_mask.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "engine/sampling/json_test_checker.h"
#include "engine/sampling/rng.h"
#include "engine/sampling/sampler.h"

namespace locai::engine {
namespace {

using testing::JsonChecker;

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

// A small vocabulary of JSON-ish pieces. The last token is EOS; token 1 is a control token.
std::vector<std::string> JsonishVocabulary() {
  return {
      "</s>-ish text",
      "",
      "{",
      "}",
      "[",
      "]",
      "\"",
      ":",
      ",",
      " ",
      "\n",
      "a",
      "bc",
      "\\n",
      "\\",
      "u",
      "00e9",
      "\\u00e9",
      "0",
      "1",
      "12",
      "-",
      ".",
      "e",
      "E+",
      "true",
      "false",
      "null",
      "tr",
      "ue",
      "\"key\":",
      "\xC3\xA9",
      "\xC3",
      "\xA9",
      ",\"",
      "}}",
      "]}",
      "5e",
      "{\"",
      "\":",
      "\"}",
      "}\n",
      "x\"",
      "[]",
      "{}",
      "<eos>",
  };
}

std::vector<bool> Allowed(std::span<const float> logits) {
  std::vector<bool> allowed;
  for (float logit : logits) allowed.push_back(logit != kNegInf);
  return allowed;
}

TEST(JsonTokenMaskTest, MasksExactlyTheTokensThatCannotContinue) {
  const std::vector<std::string> vocab = JsonishVocabulary();
  const int32_t eos = static_cast<int32_t>(vocab.size()) - 1;
  JsonPrefixValidator validator;
  ASSERT_TRUE(validator.Advance("{\"key\":"));
  std::vector<float> logits(vocab.size(), 1.0f);
  MaskInvalidTokens(validator, vocab, logits, eos);
  for (size_t id = 0; id < vocab.size(); ++id) {
    const bool expect =
        static_cast<int32_t>(id) != eos && !vocab[id].empty() && validator.Accepts(vocab[id]);
    EXPECT_EQ(logits[id] != kNegInf, expect) << "token '" << vocab[id] << "'";
    if (expect) {
      EXPECT_EQ(logits[id], 1.0f);
    }
  }
  // Spot checks: a value may start here, a key or closer may not.
  EXPECT_NE(logits[2], kNegInf);   // {
  EXPECT_EQ(logits[3], kNegInf);   // }
  EXPECT_NE(logits[25], kNegInf);  // true
  EXPECT_EQ(logits[30], kNegInf);  // "key":  (a string, then ':' where ',' or '}' is due)
  EXPECT_EQ(logits[1], kNegInf);   // control token
  EXPECT_EQ(logits[eos], kNegInf);
}

TEST(JsonTokenMaskTest, EosOnlyWhenCompleteAndKeepsItsLogit) {
  const std::vector<std::string> vocab = JsonishVocabulary();
  const int32_t eos = static_cast<int32_t>(vocab.size()) - 1;
  JsonPrefixValidator validator;
  ASSERT_TRUE(validator.Advance("{\"a\":1"));
  std::vector<float> logits(vocab.size(), 2.5f);
  MaskInvalidTokens(validator, vocab, logits, eos);
  EXPECT_EQ(logits[eos], kNegInf);

  ASSERT_TRUE(validator.Advance("}"));
  std::fill(logits.begin(), logits.end(), 2.5f);
  MaskInvalidTokens(validator, vocab, logits, eos);
  EXPECT_EQ(logits[eos], 2.5f);
  for (size_t id = 0; id < vocab.size(); ++id) {
    const bool whitespace_only = vocab[id] == " " || vocab[id] == "\n";
    if (static_cast<int32_t>(id) != eos) {
      EXPECT_EQ(logits[id] != kNegInf, whitespace_only) << id;
    }
  }
  // Logits beyond the known pieces are masked.
  std::vector<float> longer(vocab.size() + 3, 1.0f);
  MaskInvalidTokens(validator, vocab, longer, eos);
  EXPECT_EQ(longer[vocab.size()], kNegInf);
  EXPECT_EQ(longer[vocab.size() + 2], kNegInf);
}

TEST(JsonTokenMaskTest, SeveralEndOfGenerationTokens) {
  const std::vector<std::string> vocab = JsonishVocabulary();
  const std::vector<int32_t> eog = {0, static_cast<int32_t>(vocab.size()) - 1, 999};
  JsonTokenMasker masker(vocab);
  for (const bool complete : {false, true}) {
    JsonPrefixValidator validator;
    ASSERT_TRUE(validator.Advance(complete ? "{}" : "{"));
    std::vector<float> plain(vocab.size(), 1.5f);
    std::vector<float> fast(vocab.size(), 1.5f);
    MaskInvalidTokens(validator, vocab, plain, eog);
    masker.Mask(validator, fast, eog);
    for (const std::vector<float>* logits : {&plain, &fast}) {
      EXPECT_EQ((*logits)[0], complete ? 1.5f : kNegInf);
      EXPECT_EQ(logits->back(), complete ? 1.5f : kNegInf);
      EXPECT_EQ((*logits)[3], complete ? kNegInf : 1.5f);  // "}"
    }
  }
}

TEST(JsonTokenMaskTest, PrecomputedMaskerMatchesPlainFunction) {
  const std::vector<std::string> vocab = JsonishVocabulary();
  const int32_t eos = static_cast<int32_t>(vocab.size()) - 1;
  JsonTokenMasker masker(vocab);
  const std::vector<std::string> prefixes = {
      "",         " ",           "{",          "{\"",
      "{\"ab",    "{\"a\xC3",    "{\"a\\",     "{\"a\\u00",
      "{\"a\":",  "{\"a\":\"x",  "{\"a\":[1",  "{\"a\":[1,tr",
      "{\"a\":-", "{\"a\":1.5e", "{\"a\":{}}", "{\"a\":\"\\uD83D"};
  for (const std::string& prefix : prefixes) {
    SCOPED_TRACE(prefix);
    JsonPrefixValidator validator;
    ASSERT_TRUE(validator.Advance(prefix));
    std::vector<float> plain(vocab.size(), 0.0f);
    std::vector<float> fast(vocab.size(), 0.0f);
    MaskInvalidTokens(validator, vocab, plain, eos);
    masker.Mask(validator, fast, eos);
    EXPECT_EQ(Allowed(plain), Allowed(fast));
    // Whatever is allowed really continues the text.
    for (size_t id = 0; id < vocab.size(); ++id) {
      if (plain[id] != kNegInf && static_cast<int32_t>(id) != eos) {
        EXPECT_TRUE(validator.Accepts(vocab[id])) << vocab[id];
      }
    }
  }
}

// On a larger random vocabulary, over the states of a walk through random documents, the trie
// walk of JsonTokenMasker allows exactly what the byte-by-byte check allows.
TEST(JsonTokenMaskTest, MaskerMatchesPlainFunctionOnRandomVocabulary) {
  SamplingRng rng(31);
  const std::string alphabet = "{}[]\":,.-+eE0123456789 \n\tabtrufalsn\\u\xC3\xA9\xE2\x82\xAC";
  std::vector<std::string> vocab(4000);
  for (auto& piece : vocab) {
    const size_t len = rng.Next() % 7;  // includes empty (control) pieces
    for (size_t i = 0; i < len; ++i) piece.push_back(alphabet[rng.Next() % alphabet.size()]);
  }
  vocab[0] = "{";
  vocab[1] = "}";
  vocab[2] = "\"";
  vocab[3] = "1";
  vocab[4] = ":";
  const int32_t eos = 5;
  JsonTokenMasker masker(vocab);
  std::vector<float> plain(vocab.size());
  std::vector<float> fast(vocab.size());
  for (int walk = 0; walk < 20; ++walk) {
    JsonPrefixValidator validator;
    for (int step = 0; step < 40; ++step) {
      std::fill(plain.begin(), plain.end(), 1.0f);
      std::fill(fast.begin(), fast.end(), 1.0f);
      MaskInvalidTokens(validator, vocab, plain, eos);
      masker.Mask(validator, fast, eos);
      ASSERT_EQ(Allowed(plain), Allowed(fast)) << "walk " << walk << " step " << step;
      std::vector<int32_t> allowed_ids;
      for (size_t id = 0; id < vocab.size(); ++id) {
        if (plain[id] != kNegInf && static_cast<int32_t>(id) != eos) {
          allowed_ids.push_back(static_cast<int32_t>(id));
        }
      }
      if (allowed_ids.empty()) break;
      ASSERT_TRUE(validator.Advance(vocab[allowed_ids[rng.Next() % allowed_ids.size()]]));
    }
  }
}

// A random walk that always samples among the allowed tokens must end in parseable JSON.
TEST(JsonTokenMaskTest, RandomWalkEndsInParseableJson) {
  const std::vector<std::string> vocab = JsonishVocabulary();
  const int32_t eos = static_cast<int32_t>(vocab.size()) - 1;
  JsonTokenMasker masker(vocab);
  int finished = 0;
  constexpr int kWalks = 60;
  for (int walk = 0; walk < kWalks; ++walk) {
    SamplingParams params;
    params.seed = static_cast<uint64_t>(walk);
    Sampler sampler(params, static_cast<int32_t>(vocab.size()));
    JsonPrefixValidator validator;
    std::string text;
    bool ended = false;
    for (int step = 0; step < 400 && !ended; ++step) {
      // Favour closing once the text grows, and EOS whenever it is allowed.
      std::vector<float> logits(vocab.size(), 0.0f);
      const float pressure = static_cast<float>(step) / 40.0f;
      for (size_t id = 0; id < vocab.size(); ++id) {
        if (vocab[id].find_first_of("}]\"") != std::string::npos) logits[id] = pressure;
      }
      logits[eos] = 4.0f;
      if (walk % 2 == 0) {
        masker.Mask(validator, logits, eos);
      } else {
        MaskInvalidTokens(validator, vocab, logits, eos);
      }
      bool any = false;
      for (float logit : logits) any = any || logit != kNegInf;
      ASSERT_TRUE(any) << "dead end after: " << text;
      const SampledToken token = sampler.Sample(logits);
      ASSERT_NE(logits[token.id], kNegInf) << "sampled a masked token";
      sampler.Accept(token.id);
      if (token.id == eos) {
        ended = true;
        break;
      }
      ASSERT_TRUE(validator.Advance(vocab[token.id])) << text << " + " << vocab[token.id];
      text += vocab[token.id];
    }
    if (ended) {
      ++finished;
      EXPECT_TRUE(validator.Complete());
      EXPECT_TRUE(JsonChecker::IsValid(text)) << text;
    }
  }
  EXPECT_GE(finished, kWalks * 9 / 10);
}

}  // namespace
}  // namespace locai::engine

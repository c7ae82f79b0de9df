#include "engine/sampling/sampler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <set>
#include <vector>

#include "engine/sampling/rng.h"

namespace locai::engine {
namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

std::vector<float> LogitsFromProbs(const std::vector<double>& probs) {
  std::vector<float> logits;
  for (double p : probs) logits.push_back(static_cast<float>(std::log(p)));
  return logits;
}

std::vector<float> RandomLogits(size_t n, uint64_t seed, float scale = 4.0f) {
  SamplingRng rng(seed);
  std::vector<float> logits(n);
  for (float& logit : logits) logit = static_cast<float>(rng.NextDouble() * 2.0 - 1.0) * scale;
  return logits;
}

std::set<int32_t> SurvivingIds(const Sampler& sampler) {
  std::set<int32_t> ids;
  for (const TokenCandidate& c : sampler.LastCandidates()) ids.insert(c.id);
  return ids;
}

// Empirical frequency of each token over `draws` samples of the same logits.
std::map<int32_t, double> Frequencies(Sampler& sampler, const std::vector<float>& logits,
                                      int draws) {
  std::map<int32_t, double> freq;
  for (int i = 0; i < draws; ++i) freq[sampler.Sample(logits).id] += 1.0 / draws;
  return freq;
}

TEST(SamplerTest, GreedyIsArgmaxWithTiesToLowestId) {
  SamplingParams params;
  params.temperature = 0.0f;
  Sampler sampler(params, 5);
  EXPECT_TRUE(sampler.greedy());
  EXPECT_EQ(sampler.Sample(std::vector<float>{1, 5, 3, 5, -2}).id, 1);
  EXPECT_EQ(sampler.Sample(std::vector<float>{1, 2, 3, 4, 9}).id, 4);
  EXPECT_EQ(sampler.Sample(std::vector<float>{kNegInf, kNegInf, kNegInf, 0, kNegInf}).id, 3);
}

TEST(SamplerTest, TemperatureZeroAndTopKOneAreGreedy) {
  SamplingParams zero;
  zero.temperature = 0.0f;
  zero.top_p = 0.5f;  // irrelevant under greedy
  SamplingParams top1;
  top1.top_k = 1;
  top1.seed = 99;
  Sampler a(zero, 1000);
  Sampler b(top1, 1000);
  EXPECT_EQ(b.StageNames(), std::vector<std::string_view>{"greedy"});
  for (uint64_t seed = 0; seed < 20; ++seed) {
    const std::vector<float> logits = RandomLogits(1000, seed);
    const int32_t argmax =
        static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
    EXPECT_EQ(a.Sample(logits).id, argmax);
    EXPECT_EQ(b.Sample(logits).id, argmax);
    EXPECT_EQ(b.Sample(logits).id, argmax);  // deterministic on repeat
  }
}

TEST(SamplerTest, TopKKeepsExactlyTheKBest) {
  SamplingParams params;
  params.top_k = 5;
  Sampler sampler(params, 300);
  const std::vector<float> logits = RandomLogits(300, 3);
  sampler.Sample(logits);
  std::vector<int32_t> order(300);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](int32_t a, int32_t b) { return logits[a] > logits[b]; });
  const std::set<int32_t> expected(order.begin(), order.begin() + 5);
  EXPECT_EQ(SurvivingIds(sampler), expected);
  // Sorted descending for the draw.
  const auto survivors = sampler.LastCandidates();
  for (size_t i = 1; i < survivors.size(); ++i)
    EXPECT_GE(survivors[i - 1].logit, survivors[i].logit);
}

TEST(SamplerTest, TopPKeepsTheSmallestNucleus) {
  const std::vector<float> logits = LogitsFromProbs({0.15, 0.5, 0.05, 0.3});
  struct Case {
    float top_p;
    std::set<int32_t> expected;
  };
  for (const Case& c : std::vector<Case>{
           {0.4f, {1}}, {0.75f, {1, 3}}, {0.85f, {1, 3, 0}}, {0.99f, {1, 3, 0, 2}}, {0.0f, {1}}}) {
    SamplingParams params;
    params.top_p = c.top_p;
    Sampler sampler(params, 4);
    sampler.Sample(logits);
    EXPECT_EQ(SurvivingIds(sampler), c.expected) << "top_p " << c.top_p;
  }
}

TEST(SamplerTest, TopPOnLargeVocabularyMatchesBruteForce) {
  // A nucleus of hundreds of tokens makes the incremental partial sort take several rounds.
  const size_t n = 5000;
  const std::vector<float> logits = RandomLogits(n, 17, 1.0f);
  for (float top_p : {0.05f, 0.3f, 0.9f}) {
    std::vector<int32_t> order(n);
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
      return logits[a] > logits[b] || (logits[a] == logits[b] && a < b);
    });
    const float max_logit = logits[order[0]];
    double total = 0;
    for (float l : logits) total += std::exp(static_cast<double>(l - max_logit));
    double cumulative = 0;
    std::set<int32_t> expected;
    for (int32_t id : order) {
      expected.insert(id);
      cumulative += std::exp(static_cast<double>(logits[id] - max_logit));
      if (cumulative >= top_p * total) break;
    }
    SamplingParams params;
    params.top_p = top_p;
    Sampler sampler(params, static_cast<int32_t>(n));
    sampler.Sample(logits);
    EXPECT_EQ(SurvivingIds(sampler), expected) << "top_p " << top_p;
    EXPECT_GT(expected.size(), 64u);
  }
}

// JSON mode hands the sampler logits that are mostly -infinity; no stage may resurrect one.
TEST(SamplerTest, MaskedTokensAreNeverSampled) {
  std::vector<float> logits(5000, kNegInf);
  logits[10] = 1.0f;
  logits[2000] = 0.5f;
  logits[4999] = -1.0f;
  const std::set<int32_t> live = {10, 2000, 4999};
  std::vector<SamplingParams> variants(4);
  variants[0].top_p = 0.9f;
  variants[1].min_p = 0.01f;
  variants[2].top_k = 40;
  variants[3].temperature = 1.5f;
  for (SamplingParams& params : variants) {
    params.seed = 4;
    Sampler sampler(params, 5000);
    for (int i = 0; i < 200; ++i) EXPECT_TRUE(live.count(sampler.Sample(logits).id));
    for (const TokenCandidate& c : sampler.LastCandidates()) {
      if (!live.count(c.id)) {
        EXPECT_EQ(c.prob, 0.0f);
      }
    }
  }
}

TEST(SamplerTest, MinPKeepsTokensAboveTheScaledMaximum) {
  const std::vector<float> logits = LogitsFromProbs({0.15, 0.5, 0.05, 0.3});
  struct Case {
    float min_p;
    std::set<int32_t> expected;
  };
  for (const Case& c : std::vector<Case>{
           {0.05f, {0, 1, 2, 3}}, {0.2f, {0, 1, 3}}, {0.5f, {1, 3}}, {0.9f, {1}}, {1.0f, {1}}}) {
    SamplingParams params;
    params.min_p = c.min_p;
    Sampler sampler(params, 4);
    sampler.Sample(logits);
    EXPECT_EQ(SurvivingIds(sampler), c.expected) << "min_p " << c.min_p;
  }
}

TEST(SamplerTest, EmpiricalDistributionFollowsTruncationAndRenormalisation) {
  const std::vector<float> logits = LogitsFromProbs({0.15, 0.5, 0.05, 0.3});
  SamplingParams params;
  params.top_p = 0.85f;  // keeps {1, 3, 0}: 0.5, 0.3, 0.15 renormalised over 0.95
  params.seed = 1;
  Sampler sampler(params, 4);
  const auto freq = Frequencies(sampler, logits, 20000);
  EXPECT_EQ(freq.count(2), 0u);
  EXPECT_NEAR(freq.at(1), 0.5 / 0.95, 0.015);
  EXPECT_NEAR(freq.at(3), 0.3 / 0.95, 0.015);
  EXPECT_NEAR(freq.at(0), 0.15 / 0.95, 0.015);

  params.top_p = 1.0f;
  params.min_p = 0.5f;  // keeps {1, 3}
  Sampler min_p(params, 4);
  const auto freq2 = Frequencies(min_p, logits, 20000);
  EXPECT_EQ(freq2.size(), 2u);
  EXPECT_NEAR(freq2.at(1), 0.5 / 0.8, 0.015);
  EXPECT_NEAR(freq2.at(3), 0.3 / 0.8, 0.015);
}

TEST(SamplerTest, TemperatureSharpensTheDistribution) {
  const std::vector<float> logits = LogitsFromProbs({0.15, 0.5, 0.05, 0.3});
  SamplingParams params;
  params.temperature = 0.5f;  // p^2 renormalised
  params.seed = 5;
  Sampler sampler(params, 4);
  sampler.Sample(logits);
  const double norm = 0.15 * 0.15 + 0.5 * 0.5 + 0.05 * 0.05 + 0.3 * 0.3;
  const std::vector<double> probs = {0.15, 0.5, 0.05, 0.3};
  for (const TokenCandidate& c : sampler.LastCandidates()) {
    EXPECT_NEAR(c.prob, probs[c.id] * probs[c.id] / norm, 1e-5) << c.id;
  }
  const auto freq = Frequencies(sampler, logits, 20000);
  EXPECT_NEAR(freq.at(1), 0.25 / norm, 0.015);
  EXPECT_NEAR(freq.at(3), 0.09 / norm, 0.015);
}

// With temperature 1 and no truncation the list stays dense, so LastCandidates()[i] is token i
// carrying the penalised logit.
std::vector<float> PenalisedLogits(const Sampler& sampler) {
  std::vector<float> out;
  for (const TokenCandidate& c : sampler.LastCandidates()) out.push_back(c.logit);
  return out;
}

TEST(SamplerTest, RepetitionPenaltyDividesPositiveAndMultipliesNegative) {
  SamplingParams params;
  params.repeat_penalty = 2.0f;
  params.repeat_last_n = 3;
  Sampler sampler(params, 5);
  const std::vector<float> logits = {2.0f, -2.0f, 1.0f, 0.5f, 3.0f};
  const std::vector<int32_t> prompt = {4};
  sampler.AcceptPrompt(prompt);
  sampler.Accept(0);
  sampler.Accept(1);
  sampler.Accept(1);  // repeated tokens are penalised once
  sampler.Sample(logits);
  // Window (last 3): {0, 1, 1}; token 4 from the prompt has left it.
  EXPECT_EQ(PenalisedLogits(sampler), (std::vector<float>{1.0f, -4.0f, 1.0f, 0.5f, 3.0f}));
  sampler.Accept(2);
  sampler.Sample(logits);
  EXPECT_EQ(PenalisedLogits(sampler), (std::vector<float>{2.0f, -4.0f, 0.5f, 0.5f, 3.0f}));
  sampler.Reset();
  sampler.Sample(logits);
  EXPECT_EQ(PenalisedLogits(sampler), logits);
}

TEST(SamplerTest, PresenceAndFrequencyPenaltiesCountGeneratedTokens) {
  SamplingParams params;
  params.presence_penalty = 0.5f;
  params.frequency_penalty = 0.25f;
  Sampler sampler(params, 5);
  const std::vector<float> logits = {1.0f, 1.0f, 1.0f, 1.0f, 1.0f};
  const std::vector<int32_t> prompt = {0, 0, 0};
  sampler.AcceptPrompt(prompt);  // does not count
  sampler.Accept(2);
  sampler.Accept(2);
  sampler.Accept(3);
  sampler.Sample(logits);
  EXPECT_EQ(PenalisedLogits(sampler),
            (std::vector<float>{1.0f, 1.0f, 1.0f - 0.5f - 0.5f, 1.0f - 0.5f - 0.25f, 1.0f}));
}

TEST(SamplerTest, LogitBiasShiftsAndBans) {
  SamplingParams params;
  params.temperature = 0.0f;
  params.logit_bias = {{3, 10.0f}, {0, kNegInf}};
  Sampler sampler(params, 4);
  EXPECT_EQ(sampler.Sample(std::vector<float>{9, 1, 2, 0}).id, 3);
  params.logit_bias = {{0, kNegInf}};
  Sampler ban(params, 4);
  EXPECT_EQ(ban.Sample(std::vector<float>{9, 1, 2, 0}).id, 2);
  SamplingParams random;
  random.logit_bias = {{0, kNegInf}, {1, kNegInf}};
  Sampler banned(random, 3);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(banned.Sample(std::vector<float>{5, 5, -5}).id, 2);
}

TEST(SamplerTest, LogprobsAreLogSoftmaxOfRawLogits) {
  const size_t n = 1000;
  const std::vector<float> logits = RandomLogits(n, 23);
  SamplingParams params;
  params.top_logprobs = 5;
  params.temperature = 0.7f;
  params.top_k = 40;
  params.logit_bias = {{7, 50.0f}};  // the draw picks 7; its reported logprob stays raw
  params.seed = 3;
  Sampler sampler(params, static_cast<int32_t>(n));
  const SampledToken token = sampler.Sample(logits);
  EXPECT_EQ(token.id, 7);
  double max_logit = *std::max_element(logits.begin(), logits.end());
  double sum = 0;
  for (float l : logits) sum += std::exp(l - max_logit);
  const double log_norm = max_logit + std::log(sum);
  EXPECT_NEAR(token.logprob, logits[7] - log_norm, 1e-4);

  std::vector<int32_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](int32_t a, int32_t b) { return logits[a] > logits[b]; });
  ASSERT_EQ(token.top.size(), 5u);
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(token.top[i].first, order[i]);
    EXPECT_NEAR(token.top[i].second, logits[order[i]] - log_norm, 1e-4);
  }
  // Ties in the top list are ordered by id; the buffer is reused by the out-parameter overload.
  SamplingParams tie_params;
  tie_params.top_logprobs = 3;
  Sampler ties(tie_params, 4);
  SampledToken out;
  ties.Sample(std::vector<float>{1, 2, 2, 2}, out);
  ASSERT_EQ(out.top.size(), 3u);
  EXPECT_EQ(out.top[0].first, 1);
  EXPECT_EQ(out.top[1].first, 2);
  EXPECT_EQ(out.top[2].first, 3);
  EXPECT_NEAR(out.top[0].second, 2.0 - std::log(std::exp(1.0) + 3 * std::exp(2.0)), 1e-5);
}

std::vector<int32_t> Draws(uint64_t seed, int count) {
  SamplingParams params;
  params.seed = seed;
  params.temperature = 1.0f;
  Sampler sampler(params, 100);
  const std::vector<float> logits(100, 0.0f);
  std::vector<int32_t> ids;
  for (int i = 0; i < count; ++i) ids.push_back(sampler.Sample(logits).id);
  return ids;
}

TEST(SamplerTest, SameSeedRepeatsDifferentSeedsDiffer) {
  EXPECT_EQ(Draws(42, 50), Draws(42, 50));
  EXPECT_NE(Draws(42, 50), Draws(43, 50));
  EXPECT_NE(Draws(0, 50), Draws(1, 50));
  // Reset restarts the stream.
  SamplingParams params;
  params.seed = 42;
  Sampler sampler(params, 100);
  const std::vector<float> logits(100, 0.0f);
  std::vector<int32_t> first;
  for (int i = 0; i < 10; ++i) first.push_back(sampler.Sample(logits).id);
  sampler.Reset();
  std::vector<int32_t> second;
  for (int i = 0; i < 10; ++i) second.push_back(sampler.Sample(logits).id);
  EXPECT_EQ(first, second);
}

// Pins the stream so that a change to the RNG, its float conversion or the draw order shows up:
// these values must be the same on every platform.
TEST(SamplerTest, SeededDrawsArePinned) {
  // xoshiro256** seeded by splitmix64(0): the reference implementation's first outputs.
  SamplingRng rng(0);
  EXPECT_EQ(rng.Next(), 0x99ec5f36cb75f2b4ULL);
  EXPECT_EQ(rng.Next(), 0xbf6e1f784956452aULL);
  const std::vector<int32_t> expected = {5, 78, 7, 15, 77, 24, 39, 25, 55, 5, 72, 93};
  EXPECT_EQ(Draws(2024, 12), expected);
}

TEST(SamplerTest, LogprobsCanBeSkipped) {
  SamplingParams params;
  params.compute_logprobs = false;
  params.top_logprobs = 3;
  params.temperature = 0.0f;
  Sampler sampler(params, 4);
  const SampledToken token = sampler.Sample(std::vector<float>{1, 2, 3, 0});
  EXPECT_EQ(token.id, 2);
  EXPECT_EQ(token.logprob, 0.0f);
  EXPECT_TRUE(token.top.empty());
}

TEST(SamplerTest, NanLogitsNeverWin) {
  SamplingParams params;
  params.temperature = 0.0f;
  params.top_logprobs = 2;
  Sampler sampler(params, 3);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const SampledToken token = sampler.Sample(std::vector<float>{nan, 1.0f, nan});
  EXPECT_EQ(token.id, 1);
  EXPECT_NEAR(token.logprob, 0.0f, 1e-6);
}

TEST(SamplerTest, BuffersAreReusedBetweenTokens) {
  SamplingParams params;
  params.top_k = 40;
  params.top_p = 0.9f;
  Sampler sampler(params, 2000);
  const std::vector<float> logits = RandomLogits(2000, 8);
  sampler.Sample(logits);
  const TokenCandidate* data = sampler.LastCandidates().data();
  for (int i = 0; i < 10; ++i) {
    sampler.Sample(logits);
    EXPECT_EQ(sampler.LastCandidates().data(), data);
  }
}

TEST(SamplingParamsTest, ValidateRejectsOutOfRange) {
  SamplingParams ok;
  ok.logit_bias = {{0, 1.0f}, {9, kNegInf}};
  EXPECT_TRUE(Validate(ok, 10).ok());

  SamplingParams bias;
  bias.logit_bias = {{3, 1.0f}, {10, 1.0f}};
  const Status status = Validate(bias, 10);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("10"), std::string::npos) << status.message();
  bias.logit_bias = {{-1, 1.0f}};
  EXPECT_NE(Validate(bias, 10).message().find("-1"), std::string::npos);
  auto created = Sampler::Create(bias, 10);
  ASSERT_FALSE(created.has_value());
  EXPECT_EQ(created.error().code(), StatusCode::kInvalidArgument);

  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<SamplingParams> bad(9);
  bad[0].temperature = -0.1f;
  bad[1].temperature = nan;
  bad[2].top_p = 1.5f;
  bad[3].min_p = -0.1f;
  bad[4].top_k = -1;
  bad[5].repeat_penalty = 0.0f;
  bad[6].presence_penalty = 2.5f;
  bad[7].top_logprobs = 21;
  bad[8].logit_bias = {{1, std::numeric_limits<float>::infinity()}};
  for (size_t i = 0; i < bad.size(); ++i) {
    EXPECT_EQ(Validate(bad[i], 10).code(), StatusCode::kInvalidArgument) << i;
  }
  EXPECT_FALSE(Validate(SamplingParams{}, 0).ok());
  EXPECT_TRUE(Sampler::Create(SamplingParams{}, 10).has_value());
}

}  // namespace
}  // namespace locai::engine

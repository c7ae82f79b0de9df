#include "engine/model/inference_context.h"

#include <gtest/gtest.h>

#include <cmath>

namespace locai::engine {
namespace {

std::shared_ptr<const Model> LoadTiny() {
  auto model = Model::Load(std::string(LOCAI_CONFORMANCE_DIR) + "/models/tiny-f32.gguf");
  EXPECT_TRUE(model) << model.error().ToString();
  return model ? *model : nullptr;
}

std::vector<float> LastLogits(const std::shared_ptr<const Model>& model,
                              const std::vector<int32_t>& tokens, int64_t max_batch = 512) {
  ContextOptions options;
  options.context_length = 64;
  options.max_batch = max_batch;
  options.n_threads = 2;
  auto ctx = InferenceContext::Create(model, options);
  EXPECT_TRUE(ctx);
  std::vector<BatchEntry> batch;
  for (size_t i = 0; i < tokens.size(); ++i) batch.push_back({tokens[i], 0, i + 1 == tokens.size()});
  EXPECT_TRUE((*ctx)->Decode(batch).ok());
  auto row = (*ctx)->Logits(0);
  return {row.begin(), row.end()};
}

float MaxAbsDiff(std::span<const float> a, std::span<const float> b) {
  float worst = 0.0f;
  for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::abs(a[i] - b[i]));
  return worst;
}

TEST(InferenceContextTest, ChunkedPromptEqualsOneBatch) {
  auto model = LoadTiny();
  const std::vector<int32_t> tokens = {1, 229, 153, 132, 79, 736, 1191, 323, 2008, 1920, 1424};
  auto whole = LastLogits(model, tokens);
  auto chunked = LastLogits(model, tokens, 3);
  EXPECT_LT(MaxAbsDiff(whole, chunked), 1e-4f);
}

TEST(InferenceContextTest, SequencesInOneBatchMatchSequencesAlone) {
  auto model = LoadTiny();
  const std::vector<int32_t> a = {1, 229, 153, 132, 79};
  const std::vector<int32_t> b = {1, 736, 1191, 323, 2008, 1920, 1424};
  auto alone_a = LastLogits(model, a);
  auto alone_b = LastLogits(model, b);

  ContextOptions options;
  options.context_length = 64;
  options.n_sequences = 2;
  options.n_threads = 2;
  auto ctx = InferenceContext::Create(model, options);
  ASSERT_TRUE(ctx);
  // Interleave the two prompts in one batch, as continuous batching does.
  std::vector<BatchEntry> batch;
  for (size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
    if (i < a.size()) batch.push_back({a[i], 0, i + 1 == a.size()});
    if (i < b.size()) batch.push_back({b[i], 1, i + 1 == b.size()});
  }
  ASSERT_TRUE((*ctx)->Decode(batch).ok());
  ASSERT_EQ((*ctx)->num_outputs(), 2u);
  EXPECT_LT(MaxAbsDiff((*ctx)->Logits(0), alone_a), 1e-4f);
  EXPECT_LT(MaxAbsDiff((*ctx)->Logits(1), alone_b), 1e-4f);
  EXPECT_EQ((*ctx)->SequenceLength(0), 5);
  EXPECT_EQ((*ctx)->SequenceLength(1), 7);
}

TEST(InferenceContextTest, TruncateReusesThePrefix) {
  auto model = LoadTiny();
  const std::vector<int32_t> tokens = {1, 229, 153, 132, 79, 736};
  auto expected = LastLogits(model, tokens);
  ContextOptions options;
  options.context_length = 64;
  options.n_threads = 1;
  auto ctx = InferenceContext::Create(model, options);
  ASSERT_TRUE(ctx);
  std::vector<BatchEntry> first = {{1, 0, false}, {229, 0, false}, {153, 0, false}, {999, 0, false}};
  ASSERT_TRUE((*ctx)->Decode(first).ok());
  (*ctx)->TruncateSequence(0, 3);  // drop 999, keep the shared prefix
  std::vector<BatchEntry> rest = {{132, 0, false}, {79, 0, false}, {736, 0, true}};
  ASSERT_TRUE((*ctx)->Decode(rest).ok());
  EXPECT_LT(MaxAbsDiff((*ctx)->Logits(0), expected), 1e-4f);
}

TEST(InferenceContextTest, BadTokensAndOverflowAreErrorsThatChangeNothing) {
  auto model = LoadTiny();
  ContextOptions options;
  options.context_length = 4;
  options.n_threads = 1;
  auto ctx = InferenceContext::Create(model, options);
  ASSERT_TRUE(ctx);
  for (int32_t bad : {-1, 3000, 1 << 30}) {
    std::vector<BatchEntry> batch = {{1, 0, false}, {bad, 0, true}};
    Status s = (*ctx)->Decode(batch);
    EXPECT_EQ(s.code(), StatusCode::kOutOfRange) << s.ToString();
    EXPECT_EQ((*ctx)->SequenceLength(0), 0);
  }
  std::vector<BatchEntry> wrong_seq = {{1, 1, false}};
  EXPECT_EQ((*ctx)->Decode(wrong_seq).code(), StatusCode::kOutOfRange);
  std::vector<BatchEntry> too_long(5, BatchEntry{1, 0, false});
  EXPECT_EQ((*ctx)->Decode(too_long).code(), StatusCode::kResourceExhausted);
  EXPECT_EQ((*ctx)->SequenceLength(0), 0);
}

TEST(InferenceContextTest, EmbeddingsAreTheNormalisedHiddenState) {
  auto model = LoadTiny();
  ContextOptions options;
  options.context_length = 16;
  options.embeddings = true;
  options.n_threads = 1;
  auto ctx = InferenceContext::Create(model, options);
  ASSERT_TRUE(ctx);
  std::vector<BatchEntry> batch = {{1, 0, true}, {229, 0, true}};
  ASSERT_TRUE((*ctx)->Decode(batch).ok());
  auto e0 = (*ctx)->Embedding(0);
  auto e1 = (*ctx)->Embedding(1);
  ASSERT_EQ(e0.size(), 64u);
  EXPECT_GT(MaxAbsDiff(e0, e1), 1e-3f);
}

TEST(InferenceContextTest, MemoryEstimateCountsWeightsAndCache) {
  auto model = LoadTiny();
  const auto est = model->EstimateMemory(2048, 4, 512);
  EXPECT_GT(est.weights, 1'900'000u);  // the F32 tensors of a 1.97 MB file
  EXPECT_EQ(est.kv_cache, KvCacheBytes(model->config(), 2048 * 4));
  EXPECT_EQ(est.kv_cache, 2u * 2 * 32 * 2 * 2048 * 4);  // layers x (K,V) x kv_dim x f16 x tokens
  EXPECT_GT(est.total(), est.weights + est.kv_cache);
}

}  // namespace
}  // namespace locai::engine

#include "engine/generate/generator.h"

#include <gtest/gtest.h>

namespace locai::engine {
namespace {

constexpr char kExpected[] =
    " Once upon a time, there was a little girl named Lily. She loved to play outside in the park. "
    "One day, she saw a big, red ball. She wanted to play with it, but it was too high.\nLily's mom "
    "said";

struct Fixture {
  std::shared_ptr<const Model> model;
  std::unique_ptr<Tokenizer> tokenizer;
  std::unique_ptr<InferenceContext> ctx;
  std::vector<int32_t> prompt;
};

Fixture Load() {
  Fixture f;
  auto model = Model::Load(std::string(LOCAI_CONFORMANCE_DIR) + "/models/stories260K.gguf");
  EXPECT_TRUE(model);
  f.model = *model;
  auto tok = Tokenizer::FromGguf(f.model->file());
  EXPECT_TRUE(tok) << tok.error().ToString();
  f.tokenizer = std::move(*tok);
  ContextOptions options;
  options.context_length = 256;
  options.n_threads = 2;
  f.ctx = std::move(*InferenceContext::Create(f.model, options));
  f.prompt = *f.tokenizer->Encode("Once upon a time", /*add_bos=*/true, /*parse_special=*/false);
  return f;
}

GenerateOptions Greedy(int32_t max_tokens) {
  GenerateOptions options;
  options.sampling.temperature = 0.0f;
  options.max_tokens = max_tokens;
  return options;
}

TEST(GeneratorTest, GreedyStoryIsVerbatim) {
  Fixture f = Load();
  EXPECT_EQ(f.prompt, (std::vector<int32_t>{1, 403, 407, 261, 378}));
  std::string streamed;
  auto result = Generate(*f.ctx, *f.tokenizer, f.prompt, Greedy(64), [&](std::string_view piece) {
    streamed += piece;
    return true;
  });
  ASSERT_TRUE(result) << result.error().ToString();
  // The reference text is the decoded ids; the streamed text drops the SPM leading space.
  EXPECT_EQ(" Once upon a time" + result->text, kExpected);
  EXPECT_EQ(streamed, result->text);
  EXPECT_EQ(result->tokens.size(), 64u);
  EXPECT_EQ(result->finish, FinishReason::kLength);
  EXPECT_EQ(result->prompt_tokens, 5);
}

TEST(GeneratorTest, StopStringEndsGenerationBeforeIt) {
  Fixture f = Load();
  GenerateOptions options = Greedy(64);
  options.stop = {"Lily"};
  auto result = Generate(*f.ctx, *f.tokenizer, f.prompt, options);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->text, ", there was a little girl named ");
  EXPECT_EQ(result->finish, FinishReason::kStop);
}

TEST(GeneratorTest, CallbackCancels) {
  Fixture f = Load();
  int calls = 0;
  auto result = Generate(*f.ctx, *f.tokenizer, f.prompt, Greedy(64), [&](std::string_view) {
    return ++calls < 3;
  });
  ASSERT_TRUE(result);
  EXPECT_EQ(result->finish, FinishReason::kCancelled);
  EXPECT_EQ(calls, 3);
}

TEST(GeneratorTest, SeededSamplingRepeats) {
  Fixture f = Load();
  GenerateOptions options;
  options.sampling.temperature = 0.9f;
  options.sampling.seed = 1234;
  options.max_tokens = 40;
  auto a = Generate(*f.ctx, *f.tokenizer, f.prompt, options);
  auto b = Generate(*f.ctx, *f.tokenizer, f.prompt, options);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->tokens, b->tokens);
  options.sampling.seed = 99;
  auto c = Generate(*f.ctx, *f.tokenizer, f.prompt, options);
  ASSERT_TRUE(c);
  EXPECT_NE(a->tokens, c->tokens);
}

TEST(GeneratorTest, BadInputIsAnError) {
  Fixture f = Load();
  EXPECT_FALSE(Generate(*f.ctx, *f.tokenizer, {}, Greedy(4)));
  std::vector<int32_t> bad = {1, 99999};
  auto r = Generate(*f.ctx, *f.tokenizer, bad, Greedy(4));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), StatusCode::kOutOfRange);
  std::vector<int32_t> too_long(300, 1);
  EXPECT_FALSE(Generate(*f.ctx, *f.tokenizer, too_long, Greedy(4)));
}

}  // namespace
}  // namespace locai::engine

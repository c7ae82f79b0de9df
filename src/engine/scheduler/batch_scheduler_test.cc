#include "engine/scheduler/batch_scheduler.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <future>
#include <mutex>

#include "engine/sampling/json_prefix_validator.h"

namespace locai::engine {
namespace {

class CollectingSink : public GenerationSink {
 public:
  void OnToken(const TokenOutput& output) override {
    std::lock_guard<std::mutex> lock(mu_);
    text_ += output.text;
    if (output.token >= 0) tokens_.push_back(output.token);
    if (on_token_) on_token_(tokens_.size());
  }
  void OnFinish(const GenerationSummary& summary) override {
    std::lock_guard<std::mutex> lock(mu_);
    summary_ = summary;
    done_ = true;
    cv_.notify_all();
  }
  GenerationSummary Wait() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return done_; });
    return summary_;
  }
  std::string text() {
    std::lock_guard<std::mutex> lock(mu_);
    return text_;
  }
  std::vector<int32_t> tokens() {
    std::lock_guard<std::mutex> lock(mu_);
    return tokens_;
  }
  std::function<void(size_t)> on_token_;

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::string text_;
  std::vector<int32_t> tokens_;
  GenerationSummary summary_;
  bool done_ = false;
};

struct Fixture {
  std::shared_ptr<const Model> model;
  std::shared_ptr<const Tokenizer> tokenizer;
};

Fixture Load() {
  Fixture f;
  f.model = *Model::Load(std::string(LOCAI_CONFORMANCE_DIR) + "/models/stories260K.gguf");
  f.tokenizer = std::shared_ptr<const Tokenizer>(*Tokenizer::FromGguf(f.model->file()));
  return f;
}

std::unique_ptr<BatchScheduler> MakeScheduler(const Fixture& f, int32_t parallel, int32_t queue = 16) {
  SchedulerOptions options;
  options.n_parallel = parallel;
  options.context_length = 256;
  options.max_queue = queue;
  options.n_threads = 2;
  options.max_batch_tokens = 64;
  auto s = BatchScheduler::Create(f.model, f.tokenizer, options);
  EXPECT_TRUE(s) << s.error().ToString();
  return std::move(*s);
}

GenerationRequest Request(const Fixture& f, const std::string& text, int32_t max_tokens,
                          float temperature = 0.0f, uint64_t seed = 0) {
  GenerationRequest r;
  r.prompt = *f.tokenizer->Encode(text, true, false);
  r.max_tokens = max_tokens;
  r.sampling.temperature = temperature;
  r.sampling.seed = seed;
  return r;
}

TEST(BatchSchedulerTest, OneRequestGivesTheGreedyStory) {
  Fixture f = Load();
  auto scheduler = MakeScheduler(f, 2);
  auto sink = std::make_shared<CollectingSink>();
  ASSERT_TRUE(scheduler->Submit(Request(f, "Once upon a time", 30), sink));
  auto summary = sink->Wait();
  EXPECT_TRUE(summary.error.ok());
  EXPECT_EQ(summary.finish, FinishReason::kLength);
  EXPECT_EQ(summary.completion_tokens, 30);
  EXPECT_EQ(summary.prompt_tokens, 5);
  EXPECT_EQ(sink->text().rfind(", there was a little girl named Lily.", 0), 0u) << sink->text();
}

TEST(BatchSchedulerTest, ConcurrentRequestsGetTheirOwnOutputs) {
  Fixture f = Load();
  const std::vector<std::string> prompts = {"Once upon a time", "The dog", "Tom and Sue",
                                            "One day", "The sun was", "Lily"};
  // Alone first, one at a time, sampled with per-request seeds.
  std::vector<std::string> alone;
  {
    auto scheduler = MakeScheduler(f, 1);
    for (size_t i = 0; i < prompts.size(); ++i) {
      auto sink = std::make_shared<CollectingSink>();
      ASSERT_TRUE(scheduler->Submit(Request(f, prompts[i], 24, 0.8f, 100 + i), sink));
      sink->Wait();
      alone.push_back(sink->text());
    }
  }
  // Then all at once: 4 slots, 2 requests queue and join the batch as slots free up.
  auto scheduler = MakeScheduler(f, 4);
  std::vector<std::shared_ptr<CollectingSink>> sinks;
  for (size_t i = 0; i < prompts.size(); ++i) {
    sinks.push_back(std::make_shared<CollectingSink>());
    ASSERT_TRUE(scheduler->Submit(Request(f, prompts[i], 24, 0.8f, 100 + i), sinks.back()));
  }
  for (size_t i = 0; i < prompts.size(); ++i) {
    auto summary = sinks[i]->Wait();
    EXPECT_TRUE(summary.error.ok());
    EXPECT_EQ(sinks[i]->text(), alone[i]) << "request " << i;
  }
  auto stats = scheduler->Stats();
  EXPECT_EQ(stats.requests_finished, prompts.size());
  EXPECT_EQ(stats.running, 0);
}

TEST(BatchSchedulerTest, CancelStopsAGenerationSoon) {
  Fixture f = Load();
  auto scheduler = MakeScheduler(f, 2);
  auto sink = std::make_shared<CollectingSink>();
  std::promise<void> started;
  bool signalled = false;
  sink->on_token_ = [&](size_t n) {
    if (n == 2 && !signalled) {
      signalled = true;
      started.set_value();
    }
  };
  auto id = scheduler->Submit(Request(f, "Once upon a time", 200), sink);
  ASSERT_TRUE(id);
  started.get_future().wait();
  scheduler->Cancel(*id);
  auto summary = sink->Wait();
  EXPECT_EQ(summary.finish, FinishReason::kCancelled);
  EXPECT_LT(summary.completion_tokens, 200);
}

TEST(BatchSchedulerTest, PrefixOfAFinishedRequestIsReused) {
  Fixture f = Load();
  auto scheduler = MakeScheduler(f, 1);
  auto first = std::make_shared<CollectingSink>();
  ASSERT_TRUE(scheduler->Submit(Request(f, "Once upon a time there was a dog", 4), first));
  first->Wait();
  auto second = std::make_shared<CollectingSink>();
  ASSERT_TRUE(scheduler->Submit(Request(f, "Once upon a time there was a dog", 4), second));
  auto summary = second->Wait();
  EXPECT_EQ(summary.cached_prompt_tokens, summary.prompt_tokens - 1);
  EXPECT_EQ(second->text(), first->text());
}

TEST(BatchSchedulerTest, BadRequestsAreRefusedUpFront) {
  Fixture f = Load();
  auto scheduler = MakeScheduler(f, 1, /*queue=*/1);
  auto sink = std::make_shared<CollectingSink>();
  GenerationRequest empty;
  EXPECT_EQ(scheduler->Submit(empty, sink).error().code(), StatusCode::kInvalidArgument);
  GenerationRequest bad = Request(f, "Hi", 4);
  bad.prompt.push_back(100000);
  EXPECT_EQ(scheduler->Submit(bad, sink).error().code(), StatusCode::kInvalidArgument);
  GenerationRequest too_long = Request(f, "Hi", 4);
  too_long.prompt.assign(300, 1);
  EXPECT_EQ(scheduler->Submit(too_long, sink).error().code(), StatusCode::kInvalidArgument);
  GenerationRequest bias = Request(f, "Hi", 4);
  bias.sampling.logit_bias = {{99999, 1.0f}};
  EXPECT_FALSE(scheduler->Submit(bias, sink));
}

TEST(BatchSchedulerTest, FullQueueIsResourceExhausted) {
  Fixture f = Load();
  auto scheduler = MakeScheduler(f, 1, /*queue=*/1);
  std::vector<std::shared_ptr<CollectingSink>> sinks;
  int refused = 0;
  for (int i = 0; i < 6; ++i) {
    sinks.push_back(std::make_shared<CollectingSink>());
    auto id = scheduler->Submit(Request(f, "Once upon a time", 100), sinks.back());
    if (!id) {
      EXPECT_EQ(id.error().code(), StatusCode::kResourceExhausted);
      ++refused;
      sinks.pop_back();
    }
  }
  EXPECT_GE(refused, 3);
  for (auto& sink : sinks) sink->Wait();
}

TEST(BatchSchedulerTest, JsonModeOutputStaysValidJson) {
  Fixture f = Load();
  auto scheduler = MakeScheduler(f, 1);
  auto sink = std::make_shared<CollectingSink>();
  GenerationRequest r = Request(f, "Once upon a time", 60, 0.7f, 5);
  r.json_mode = true;
  ASSERT_TRUE(scheduler->Submit(r, sink));
  auto summary = sink->Wait();
  JsonPrefixValidator validator;
  EXPECT_TRUE(validator.Advance(sink->text())) << sink->text();
  if (summary.finish == FinishReason::kStop) {
    EXPECT_TRUE(validator.Complete()) << sink->text();
  }
}

TEST(BatchSchedulerTest, DestructionFinishesEverything) {
  Fixture f = Load();
  std::vector<std::shared_ptr<CollectingSink>> sinks;
  {
    auto scheduler = MakeScheduler(f, 1, 8);
    for (int i = 0; i < 4; ++i) {
      sinks.push_back(std::make_shared<CollectingSink>());
      ASSERT_TRUE(scheduler->Submit(Request(f, "Once upon a time", 200), sinks.back()));
    }
  }
  for (auto& sink : sinks) sink->Wait();  // each got exactly its OnFinish
}

}  // namespace
}  // namespace locai::engine

#include "node/model_manager.h"

#include <gtest/gtest.h>

#include <cmath>
#include <future>
#include <thread>

#include "node/test_util.h"

namespace locai::node {
namespace {

using testing::ConformanceModel;
using testing::TempDir;

struct FakeClock {
  SteadyClock::time_point now = SteadyClock::now();
  std::function<SteadyClock::time_point()> Fn() {
    return [this] { return now; };
  }
};

ModelManagerOptions SmallOptions() {
  ModelManagerOptions options;
  options.n_parallel = 2;
  options.context_length = 128;
  options.max_queue = 4;
  options.n_threads = 1;
  options.max_batch_tokens = 64;
  options.background_unload = false;
  return options;
}

ModelDirectory StoriesDir(const TempDir& dir) {
  dir.Link(ConformanceModel("stories260K.gguf"), "stories.gguf");
  dir.Write("aliases.txt", "story:latest = stories.gguf\n");
  return *ModelDirectory::Scan(dir.path());
}

TEST(ModelManagerTest, LoadsOnceForConcurrentCallersAndUnloadsWhenIdle) {
  TempDir dir;
  FakeClock clock;
  ModelManagerOptions options = SmallOptions();
  options.keep_alive_seconds = 10;
  options.now = clock.Fn();
  ModelManager manager(StoriesDir(dir), options);

  std::vector<std::future<Result<ModelLease>>> futures;
  for (int i = 0; i < 4; ++i) {
    futures.push_back(std::async(std::launch::async, [&manager, i] {
      return manager.Acquire(i % 2 == 0 ? "stories" : "story:latest");
    }));
  }
  std::vector<ModelLease> leases;
  for (auto& f : futures) {
    auto lease = f.get();
    ASSERT_TRUE(lease) << lease.error().ToString();
    leases.push_back(std::move(*lease));
  }
  for (auto& lease : leases) EXPECT_EQ(lease.get(), leases[0].get());
  EXPECT_EQ(leases[0]->id(), "stories");
  EXPECT_EQ(leases[0]->context_length(), 128);
  ASSERT_EQ(manager.Snapshot().size(), 1u);
  EXPECT_EQ(manager.Snapshot()[0].active, 4);

  clock.now += std::chrono::seconds(60);
  EXPECT_EQ(manager.UnloadIdle(), 0u);  // leases held
  leases.clear();
  EXPECT_EQ(manager.UnloadIdle(), 0u);  // just used
  clock.now += std::chrono::seconds(9);
  EXPECT_EQ(manager.UnloadIdle(), 0u);
  clock.now += std::chrono::seconds(2);
  EXPECT_EQ(manager.UnloadIdle(), 1u);
  EXPECT_TRUE(manager.Snapshot().empty());

  auto again = manager.Acquire("stories.gguf");
  ASSERT_TRUE(again);
  EXPECT_EQ(manager.Snapshot().size(), 1u);
}

TEST(ModelManagerTest, UnknownModelAndMemoryRefusal) {
  TempDir dir;
  ModelManagerOptions options = SmallOptions();
  options.memory_limit = 1024;  // bytes: nothing fits
  ModelManager manager(StoriesDir(dir), options);
  auto unknown = manager.Acquire("llama9:70b");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code(), StatusCode::kNotFound);

  auto refused = manager.Acquire("stories");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), StatusCode::kResourceExhausted);
  const std::string& message = refused.error().message();
  EXPECT_NE(message.find("model 'stories' does not fit in memory: it needs "), std::string::npos)
      << message;
  EXPECT_NE(message.find("for 128 tokens x 2 sequences"), std::string::npos) << message;
  EXPECT_NE(message.find("but only 1.0 KiB is available"), std::string::npos) << message;
  EXPECT_TRUE(manager.Snapshot().empty());

  // The machine's free memory is the default; a seam reports it here.
  options.memory_limit.reset();
  options.available_memory = [] { return std::optional<uint64_t>(4096); };
  ModelManager by_free_memory(*ModelDirectory::Scan(dir.path()), options);
  auto refused_free = by_free_memory.Acquire("stories");
  ASSERT_FALSE(refused_free);
  EXPECT_NE(refused_free.error().message().find("but only 4.0 KiB is available"),
            std::string::npos);
}

TEST(ModelManagerTest, EmbeddingsAreMeanPooledAndNormalised) {
  TempDir dir;
  ModelManager manager(StoriesDir(dir), SmallOptions());
  auto lease = manager.Acquire("stories");
  ASSERT_TRUE(lease);
  const auto& tokenizer = *(*lease)->tokenizer();
  auto ids = *tokenizer.Encode("Once upon a time", true, false);
  auto a = (*lease)->Embed(ids);
  ASSERT_TRUE(a) << a.error().ToString();
  ASSERT_EQ(static_cast<int64_t>(a->size()), (*lease)->model().config().n_embd);
  double norm = 0.0;
  for (float v : *a) norm += static_cast<double>(v) * v;
  EXPECT_NEAR(norm, 1.0, 1e-4);
  auto b = (*lease)->Embed(ids);
  ASSERT_TRUE(b);
  EXPECT_EQ(*a, *b);  // the context is reset between calls
  auto other = (*lease)->Embed(*tokenizer.Encode("The dog ran", true, false));
  ASSERT_TRUE(other);
  EXPECT_NE(*a, *other);
  EXPECT_FALSE((*lease)->Embed({}));
  EXPECT_FALSE((*lease)->Embed(std::vector<int32_t>(200, 5)));
}

TEST(ModelManagerTest, ModelsAddedAndRemovedAtRunTime) {
  TempDir dir;
  ModelManager manager(StoriesDir(dir), SmallOptions());
  const std::shared_ptr<const ModelDirectory> before = manager.directory();

  ModelFile file;
  file.id = "sha256:abc";
  file.file_name = "abc";
  file.path = ConformanceModel("stories260K.gguf");
  file.list_id = false;
  file.context_length = 64;  // per-model overrides
  file.n_parallel = 1;
  ASSERT_TRUE(manager.AddModel(file, {"llama3.2:1b", "llama3.2:latest"}).ok());
  EXPECT_EQ(
      manager.directory()->Names(),
      (std::vector<std::string>{"stories", "story:latest", "llama3.2:1b", "llama3.2:latest"}));
  EXPECT_EQ(before->Names(), (std::vector<std::string>{"stories", "story:latest"}));  // a snapshot
  EXPECT_EQ(manager.AddModel(file, {"x"}).code(), StatusCode::kAlreadyExists);
  file.id = "sha256:def";
  EXPECT_EQ(manager.AddModel(file, {"story:latest"}).code(), StatusCode::kAlreadyExists);

  auto lease = manager.Acquire("llama3.2:1b");
  ASSERT_TRUE(lease) << lease.error().ToString();
  EXPECT_EQ((*lease)->id(), "sha256:abc");
  EXPECT_EQ((*lease)->context_length(), 64);
  EXPECT_EQ((*lease)->scheduler().options().n_parallel, 1);

  // Removed while leased: no new Acquire finds it; it unloads once the lease is released, even
  // though the keep-alive has not passed.
  ASSERT_TRUE(manager.RemoveModel("sha256:abc").ok());
  EXPECT_EQ(manager.Acquire("llama3.2:latest").error().code(), StatusCode::kNotFound);
  EXPECT_EQ(manager.directory()->Names(), (std::vector<std::string>{"stories", "story:latest"}));
  EXPECT_EQ(manager.UnloadIdle(), 0u);
  lease->Release();
  EXPECT_EQ(manager.UnloadIdle(), 1u);
  EXPECT_TRUE(manager.Snapshot().empty());
  EXPECT_EQ(manager.RemoveModel("sha256:abc").code(), StatusCode::kNotFound);

  // Removed while loaded and idle: unloaded at once.
  ASSERT_TRUE(manager.Acquire("stories"));
  ASSERT_EQ(manager.Snapshot().size(), 1u);
  ASSERT_TRUE(manager.RemoveModel("stories").ok());
  EXPECT_TRUE(manager.Snapshot().empty());
  EXPECT_TRUE(manager.directory()->models().empty());
  EXPECT_TRUE(manager.directory()->aliases().empty());
}

}  // namespace
}  // namespace locai::node

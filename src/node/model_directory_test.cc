#include "node/model_directory.h"

#include <gtest/gtest.h>

#include "node/memory.h"
#include "node/test_util.h"

namespace locai::node {
namespace {

using testing::ConformanceModel;
using testing::TempDir;

TEST(ModelDirectoryTest, ServesStemFileNameAndAliases) {
  TempDir dir;
  dir.Link(ConformanceModel("stories260K.gguf"), "stories.gguf");
  dir.Link(ConformanceModel("tiny-f32.gguf"), "tiny-f32.gguf");
  dir.Write("notes.txt", "not a model");
  dir.Write("aliases.txt", "# comment\n\nstory:latest = stories.gguf\n tiny = tiny-f32 \n");
  auto scanned = ModelDirectory::Scan(dir.path());
  ASSERT_TRUE(scanned) << scanned.error().ToString();
  ASSERT_EQ(scanned->models().size(), 2u);
  EXPECT_EQ(scanned->models()[0].id, "stories");
  EXPECT_EQ(scanned->models()[0].file_name, "stories.gguf");
  EXPECT_EQ(scanned->models()[0].size, 1185376u);
  EXPECT_GT(scanned->models()[0].modified, 1'600'000'000);
  EXPECT_EQ(scanned->models()[1].id, "tiny-f32");
  ASSERT_NE(scanned->Find("stories"), nullptr);
  EXPECT_EQ(scanned->Find("stories.gguf"), scanned->Find("stories"));
  EXPECT_EQ(scanned->Find("story:latest"), scanned->Find("stories"));
  EXPECT_EQ(scanned->Find("tiny")->id, "tiny-f32");
  EXPECT_EQ(scanned->Find("nope"), nullptr);
  EXPECT_EQ(scanned->Find("notes"), nullptr);
  EXPECT_EQ(scanned->Names(),
            (std::vector<std::string>{"stories", "tiny-f32", "story:latest", "tiny"}));
}

TEST(ModelDirectoryTest, RefusesMissingDirectoryAndBadAliases) {
  auto missing = ModelDirectory::Scan("/nonexistent/locai/models");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), StatusCode::kNotFound);

  TempDir dir;
  dir.Link(ConformanceModel("stories260K.gguf"), "stories.gguf");
  dir.Write("aliases.txt", "story = stories.gguf\nbroken line\n");
  auto malformed = ModelDirectory::Scan(dir.path());
  ASSERT_FALSE(malformed);
  EXPECT_NE(malformed.error().message().find("aliases.txt:2"), std::string::npos);

  dir.Write("aliases.txt", "ghost = ghost.gguf\n");
  auto dangling = ModelDirectory::Scan(dir.path());
  ASSERT_FALSE(dangling);
  EXPECT_NE(dangling.error().message().find("ghost.gguf"), std::string::npos);
}

TEST(MemoryTest, ParsesMemAvailableAndExplainsRefusals) {
  EXPECT_EQ(ParseMemAvailable("MemTotal: 100 kB\nMemAvailable:    2048 kB\n"), 2048u * 1024u);
  EXPECT_EQ(ParseMemAvailable("MemTotal: 100 kB\n"), std::nullopt);
  EXPECT_TRUE(ReadMemAvailable().has_value());
  EXPECT_GT(ReadProcessRss(), 0u);

  engine::MemoryEstimate estimate;
  estimate.weights = 700ull << 20;
  estimate.kv_cache = 512ull << 20;
  estimate.compute = 20ull << 20;
  EXPECT_TRUE(CheckFits("m", estimate, 4096, 4, 2ull << 30).ok());
  Status refused = CheckFits("m", estimate, 4096, 4, 900ull << 20);
  EXPECT_EQ(refused.code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(refused.message(),
            "model 'm' does not fit in memory: it needs 1.2 GiB (weights 700.0 MiB + KV cache "
            "512.0 MiB for 4096 tokens x 4 sequences + compute 20.0 MiB) but only 900.0 MiB is "
            "available");
}

}  // namespace
}  // namespace locai::node

#include "control/registry/manifest.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "store/testing/temp_dir.h"

namespace locai::control::registry {
namespace {

const std::string kModels = std::string(LOCAI_CONFORMANCE_DIR) + "/models/";

TEST(Manifest, InspectsAConformanceModel) {
  // small-q4_0: dim 256, 2 layers, 8 heads / 2 kv heads, ffn 768, vocab 4000 (README).
  auto facts = InspectModel(kModels + "small-q4_0.gguf");
  ASSERT_TRUE(facts) << facts.error().ToString();
  EXPECT_EQ(facts->architecture, "llama");
  EXPECT_EQ(facts->quantization, "q4_0");
  EXPECT_GT(facts->context_length, 0);
  // Parameters: embeddings + output + per layer (4 attention projections at GQA widths + 3 ffn)
  // + norms; at least the matrices.
  const uint64_t head_dim = 256 / 8;
  const uint64_t per_layer = 256 * 256 * 2 + 256 * (2 * head_dim) * 2 + 3 * 256 * 768;
  EXPECT_GE(facts->parameters, 2 * 4000 * 256 + 2 * per_layer);
  EXPECT_GT(facts->memory_weights, 0u);
  EXPECT_LT(facts->memory_weights, 2'357'504u);  // the file's size
  // F16 K and V of 2 layers at 2 kv heads x 32: 2 * 2 * 64 * 2 bytes per token.
  EXPECT_EQ(facts->memory_kv_per_token, 2u * 2u * 64u * 2u);
  EXPECT_GT(facts->memory_compute, 0u);
}

TEST(Manifest, RefusesWhatIsNotAModel) {
  store::testing::TempDir dir;
  const std::string path = dir.File("junk.gguf");
  std::ofstream(path) << "this is not a GGUF file at all";
  auto facts = InspectModel(path);
  ASSERT_FALSE(facts);
  EXPECT_EQ(facts.error().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(facts.error().message().find("not a usable GGUF model"), std::string::npos);
  // A vocabulary-only GGUF parses but is not a model.
  auto vocab =
      InspectModel(std::string(LOCAI_CONFORMANCE_DIR) + "/tokenizer/vocab-spm.gguf");
  EXPECT_FALSE(vocab);
}

TEST(Manifest, JsonRoundTrips) {
  Manifest m;
  m.name = "acme/m";
  m.tag = "v1";
  m.digest = "sha256:" + std::string(64, 'a');
  m.size = 123;
  m.facts.architecture = "qwen2";
  m.facts.quantization = "q8_0";
  m.facts.parameters = 1000;
  m.facts.context_length = 4096;
  m.facts.memory_weights = 10;
  m.facts.memory_kv_per_token = 20;
  m.facts.memory_compute = 30;
  m.created_at = 1'750'000'000'000;
  nlohmann::json json = ManifestToJson(m);
  EXPECT_EQ(json["ref"], "acme/m:v1");
  EXPECT_TRUE(json["chat_template"].is_null());
  auto back = ManifestFromJson(nlohmann::json::parse(json.dump()));
  ASSERT_TRUE(back) << back.error().ToString();
  EXPECT_EQ(back->facts.memory_kv_per_token, 20u);
  EXPECT_EQ(back->created_at, m.created_at);
  json.erase("memory");
  EXPECT_FALSE(ManifestFromJson(json));
}

}  // namespace
}  // namespace locai::control::registry

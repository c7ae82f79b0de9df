#include "engine/gguf/gguf_file.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "engine/gguf/gguf_writer.h"

namespace locai::engine::gguf {
namespace {

std::string ConformancePath(const std::string& rel) {
  return std::string(LOCAI_CONFORMANCE_DIR) + "/" + rel;
}

TEST(GgufFileTest, OpensEveryConformanceModel) {
  for (const char* name : {"tiny-f32", "small-f16", "small-q8_0", "small-q4_0", "small-q4_k_m",
                           "small-q6_k", "tied-f16", "stories260K"}) {
    auto file = GgufFile::Open(ConformancePath(std::string("models/") + name + ".gguf"));
    ASSERT_TRUE(file) << file.error().ToString();
    EXPECT_EQ(*(*file)->GetString("general.architecture"), "llama") << name;
    EXPECT_NE((*file)->FindTensor("token_embd.weight"), nullptr) << name;
    for (const auto& t : (*file)->tensors()) {
      EXPECT_NE(t.data, nullptr);
      EXPECT_GT(t.size_bytes, 0u);
    }
  }
}

TEST(GgufFileTest, ReadsVocabularyOnlyFiles) {
  auto file = GgufFile::Open(ConformancePath("tokenizer/vocab-bpe.gguf"));
  ASSERT_TRUE(file) << file.error().ToString();
  EXPECT_TRUE((*file)->tensors().empty());
  auto tokens = (*file)->GetArray("tokenizer.ggml.tokens");
  ASSERT_TRUE(tokens);
  EXPECT_EQ((*tokens)->items.size(), 128256u);
  EXPECT_EQ(*(*file)->GetString("tokenizer.ggml.model"), "gpt2");
}

TEST(GgufFileTest, WriterRoundTripsMetadataAndTensors) {
  GgufWriter writer;
  writer.SetString("general.architecture", "llama");
  writer.SetUint32("llama.block_count", 2);
  writer.SetFloat32("llama.rope.freq_base", 10000.0f);
  writer.SetBool("tokenizer.ggml.add_bos_token", true);
  writer.SetStringArray("tokenizer.ggml.tokens", {"a", "b", "c"});
  writer.SetFloat32Array("tokenizer.ggml.scores", {0.5f, -1.0f, 2.0f});
  std::vector<uint8_t> data(4 * 8);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i);
  ASSERT_TRUE(writer.AddTensor("w", {4, 2}, TensorType::kF32, data).ok());
  ASSERT_TRUE(writer.AddTensor("v", {3}, TensorType::kF32, std::vector<uint8_t>(12, 7)).ok());
  auto bytes = writer.Serialize();
  ASSERT_TRUE(bytes);
  auto file = GgufFile::Parse(*bytes, "mem");
  ASSERT_TRUE(file) << file.error().ToString();
  const GgufFile& f = **file;
  EXPECT_EQ(f.version(), 3u);
  EXPECT_EQ(*f.GetString("general.architecture"), "llama");
  EXPECT_EQ(*f.GetInt("llama.block_count"), 2);
  EXPECT_FLOAT_EQ(static_cast<float>(*f.GetFloat("llama.rope.freq_base")), 10000.0f);
  EXPECT_TRUE(*f.GetBool("tokenizer.ggml.add_bos_token"));
  EXPECT_EQ((*f.GetArray("tokenizer.ggml.tokens"))->items.size(), 3u);
  const TensorInfo* w = f.FindTensor("w");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->dims, (std::vector<int64_t>{4, 2}));
  EXPECT_EQ(w->rows(), 2);
  EXPECT_EQ(w->size_bytes, 32u);
  EXPECT_EQ(w->data[5], 5);
  EXPECT_EQ(f.FindTensor("v")->data[11], 7);
  EXPECT_EQ(f.FindTensor("v")->offset % 32, 0u);
}

TEST(GgufFileTest, TypedGettersNameTheKey) {
  GgufWriter writer;
  writer.SetString("s", "x");
  auto bytes = writer.Serialize();
  auto file = GgufFile::Parse(*bytes, "model.gguf");
  ASSERT_TRUE(file);
  auto missing = (*file)->GetInt("llama.context_length");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message().find("model.gguf: llama.context_length"), std::string::npos);
  auto wrong = (*file)->GetInt("s");
  ASSERT_FALSE(wrong);
  EXPECT_NE(wrong.error().message().find("expected an integer"), std::string::npos);
  EXPECT_EQ(*(*file)->GetIntOr("absent", 42), 42);
}

TEST(GgufFileTest, WriteFileIsAtomic) {
  auto dir = std::filesystem::temp_directory_path() / "locai_gguf_writer_test";
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "out.gguf").string();
  GgufWriter writer;
  writer.SetString("general.architecture", "llama");
  ASSERT_TRUE(writer
                  .AddTensor("t", {32}, TensorType::kF32,
                             [](std::span<uint8_t>) { return Status::Internal("disk full"); })
                  .ok());
  Status failed = writer.WriteFile(path);
  EXPECT_FALSE(failed.ok());
  EXPECT_FALSE(std::filesystem::exists(path));
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    ADD_FAILURE() << "left behind: " << entry.path();
  }
  GgufWriter good;
  ASSERT_TRUE(good.AddTensor("t", {8}, TensorType::kF32, std::vector<uint8_t>(32, 1)).ok());
  ASSERT_TRUE(good.WriteFile(path).ok());
  auto file = GgufFile::Open(path);
  ASSERT_TRUE(file) << file.error().ToString();
  EXPECT_EQ((*file)->FindTensor("t")->n_elements, 8);
  std::filesystem::remove_all(dir);
}

TEST(GgufFileTest, MissingFileIsNotFound) {
  auto file = GgufFile::Open("/nonexistent/model.gguf");
  ASSERT_FALSE(file);
  EXPECT_EQ(file.error().code(), StatusCode::kNotFound);
  EXPECT_NE(file.error().message().find("/nonexistent/model.gguf"), std::string::npos);
}

}  // namespace
}  // namespace locai::engine::gguf

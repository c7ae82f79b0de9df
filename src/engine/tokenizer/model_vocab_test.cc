// The vocabularies inside the conformance models: the reference runtime's prompt ids (BOS added)
// and, where given, the text of the greedy continuation ids.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/gguf/gguf_file.h"
#include "engine/tokenizer/streaming_detokenizer.h"
#include "engine/tokenizer/tokenizer.h"

namespace locai::engine {
namespace {

struct Greedy {
  std::string prompt_text;
  std::vector<int32_t> prompt_ids;
  std::vector<int32_t> continuation_ids;
  std::optional<std::string> continuation_text;
};

std::vector<Greedy> ReadGreedy(const nlohmann::json& j) {
  std::vector<Greedy> out;
  const auto read = [&](const nlohmann::json& g) {
    Greedy greedy{g.at("prompt_text").get<std::string>(),
                  g.at("prompt_ids").get<std::vector<int32_t>>(),
                  g.at("continuation_ids").get<std::vector<int32_t>>(), std::nullopt};
    if (g.contains("continuation_text")) {
      greedy.continuation_text = g.at("continuation_text").get<std::string>();
    }
    out.push_back(std::move(greedy));
  };
  const nlohmann::json& g = j.at("greedy");
  if (g.is_array()) {
    for (const auto& item : g) read(item);
  } else {
    read(g);
  }
  return out;
}

TEST(ModelVocabTest, PromptIdsMatchReferenceForEveryModel) {
  const std::filesystem::path dir = std::filesystem::path(LOCAI_CONFORMANCE_DIR) / "logits";
  int checked_models = 0;
  int checked_texts = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".json") continue;
    std::ifstream in(entry.path());
    const nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << entry.path();
    const std::string model = j.at("model").get<std::string>();
    auto file =
        gguf::GgufFile::Open(std::string(LOCAI_CONFORMANCE_DIR) + "/models/" + model + ".gguf");
    ASSERT_TRUE(file.has_value()) << file.error().ToString();
    auto tokenizer = Tokenizer::FromGguf(**file);
    ASSERT_TRUE(tokenizer.has_value()) << tokenizer.error().ToString();
    const Tokenizer& t = **tokenizer;
    ++checked_models;
    for (const Greedy& g : ReadGreedy(j)) {
      auto ids = t.Encode(g.prompt_text, t.add_bos_default(), /*parse_special=*/true);
      ASSERT_TRUE(ids.has_value());
      EXPECT_EQ(*ids, g.prompt_ids) << model << ": " << g.prompt_text;
      EXPECT_EQ(t.Decode(*ids), g.prompt_text) << model;
      if (g.continuation_text) {
        // A continuation is not the start of a text: no leading-space stripping.
        StreamingDetokenizer stream(t);
        std::string text;
        for (int32_t id : g.continuation_ids) text += stream.Push(id);
        text += stream.Flush();
        EXPECT_EQ(text, *g.continuation_text) << model;
        ++checked_texts;
      }
    }
  }
  EXPECT_GE(checked_models, 8);
  EXPECT_GE(checked_texts, 3);
}

}  // namespace
}  // namespace locai::engine

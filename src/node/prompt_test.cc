#include "node/prompt.h"

#include <gtest/gtest.h>

#include "engine/gguf/gguf_file.h"
#include "node/test_util.h"

namespace locai::node {
namespace {

struct Vocab {
  std::unique_ptr<engine::gguf::GgufFile> file;
  std::unique_ptr<engine::Tokenizer> tokenizer;
  std::string chat_template;
};

Vocab LoadBpeOnce();

const Vocab& LoadBpe() {
  static const Vocab* shared = new Vocab(LoadBpeOnce());  // 128k tokens: load once per binary
  return *shared;
}

Vocab LoadBpeOnce() {
  Vocab v;
  auto file = engine::gguf::GgufFile::Open(std::string(LOCAI_CONFORMANCE_DIR) +
                                           "/tokenizer/vocab-bpe.gguf");
  EXPECT_TRUE(file) << file.error().ToString();
  v.file = std::move(*file);
  v.tokenizer = std::move(*engine::Tokenizer::FromGguf(*v.file));
  if (const auto* value = v.file->Find("tokenizer.chat_template")) {
    v.chat_template = *value->AsString();
  }
  return v;
}

api::GenerationRequest Chat(std::vector<api::ChatMessage> messages) {
  api::GenerationRequest r;
  r.api = api::ApiKind::kOpenAiChat;
  r.messages = std::move(messages);
  return r;
}

TEST(PromptTest, ChatTemplateWithOneBosAndSpecialTokens) {
  const Vocab& v = LoadBpe();
  ASSERT_FALSE(v.chat_template.empty());
  auto ids = BuildPrompt(Chat({{api::Role::kSystem, "Be brief."}, {api::Role::kUser, "Hi"}}),
                         v.chat_template, *v.tokenizer);
  ASSERT_TRUE(ids) << ids.error().message;
  ASSERT_GE(ids->size(), 4u);
  // Llama 3's template writes <|begin_of_text|> itself: exactly one BOS.
  EXPECT_EQ((*ids)[0], v.tokenizer->bos_id());
  EXPECT_NE((*ids)[1], v.tokenizer->bos_id());
  // Header tokens are parsed as special tokens, not spelled out.
  const auto start_header = v.tokenizer->FindToken("<|start_header_id|>");
  ASSERT_TRUE(start_header);
  EXPECT_EQ((*ids)[1], *start_header);
  const auto eot = v.tokenizer->FindToken("<|eot_id|>");
  EXPECT_NE(std::find(ids->begin(), ids->end(), *eot), ids->end());
}

TEST(PromptTest, PrefillIsContinuedAndCompletionsAreRaw) {
  const Vocab& v = LoadBpe();
  api::GenerationRequest r = Chat({{api::Role::kUser, "Count"}, {api::Role::kAssistant, "1, 2,"}});
  r.api = api::ApiKind::kAnthropicMessages;
  r.continue_final_message = true;
  auto ids = BuildPrompt(r, v.chat_template, *v.tokenizer);
  ASSERT_TRUE(ids);
  const std::string text = v.tokenizer->Decode(*ids);
  EXPECT_EQ(text.substr(text.size() - 5), "1, 2,");

  api::GenerationRequest completion;
  completion.api = api::ApiKind::kOpenAiCompletion;
  completion.prompt = "<|eot_id|>x";
  auto raw = BuildPrompt(completion, v.chat_template, *v.tokenizer);
  ASSERT_TRUE(raw);
  // Special-token text in a completions prompt stays text.
  EXPECT_EQ(std::find(raw->begin(), raw->end(), *v.tokenizer->FindToken("<|eot_id|>")),
            raw->end());
}

TEST(PromptTest, EngineRequestDefaultsClampingAndBias) {
  api::GenerationRequest r = Chat({{api::Role::kUser, "x"}});
  r.max_tokens = 1'000'000'000;
  r.stop = {"\n"};
  r.json_mode = true;
  auto out = ToEngineRequest(r, {1, 2, 3}, 64, 100, 777);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->max_tokens, 61);
  EXPECT_FLOAT_EQ(out->sampling.temperature, 1.0f);
  EXPECT_FLOAT_EQ(out->sampling.top_p, 1.0f);
  EXPECT_EQ(out->sampling.seed, 777u);
  EXPECT_TRUE(out->json_mode);
  EXPECT_EQ(out->stop, r.stop);

  r.sampling.seed = 5;
  r.sampling.temperature = 0.0;
  r.sampling.logit_bias = {{7, 3.0f}};
  out = ToEngineRequest(r, {1, 2, 3}, 64, 100, 777);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->sampling.seed, 5u);
  EXPECT_FLOAT_EQ(out->sampling.temperature, 0.0f);

  r.sampling.logit_bias = {{100, 3.0f}};
  auto bad_bias = ToEngineRequest(r, {1, 2, 3}, 64, 100, 777);
  ASSERT_FALSE(bad_bias);
  EXPECT_EQ(bad_bias.error().http_status, 400);
  EXPECT_EQ(bad_bias.error().param, "logit_bias");

  auto no_room = ToEngineRequest(Chat({}), std::vector<int32_t>(64, 1), 64, 100, 1);
  ASSERT_FALSE(no_room);
  EXPECT_EQ(no_room.error().code, "context_length_exceeded");
}

TEST(PromptTest, MatchedStopSequence) {
  EXPECT_EQ(MatchedStopSequence({"END", "\n"}, "abc", "abc\nEND"), "\n");
  EXPECT_EQ(MatchedStopSequence({"END", "\n"}, "abc", "abcEND!"), "END");
  EXPECT_EQ(MatchedStopSequence({"END"}, "abc", "abc"), "");
  EXPECT_EQ(MatchedStopSequence({}, "abc", "abc"), "");
}

}  // namespace
}  // namespace locai::node

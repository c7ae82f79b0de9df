// The chat templates embedded in the shared conformance vocabularies (`tokenizer.chat_template`),
// read with the GGUF reader and rendered with expectations derived by hand from Jinja semantics.
#include <gtest/gtest.h>

#include <string>

#include "engine/chat_template/chat_template.h"
#include "engine/gguf/gguf_file.h"

namespace locai::engine {
namespace {

struct VocabTemplate {
  std::string source;
  std::string bos_token;
  std::string eos_token;
};

VocabTemplate Load(const std::string& file) {
  VocabTemplate out;
  auto gguf = gguf::GgufFile::Open(std::string(LOCAI_CONFORMANCE_DIR) + "/tokenizer/" + file);
  EXPECT_TRUE(gguf) << gguf.error().ToString();
  if (!gguf) return out;
  auto source = (*gguf)->GetString("tokenizer.chat_template");
  EXPECT_TRUE(source) << source.error().ToString();
  if (source) out.source = *source;
  // The special tokens' text, from the vocabulary itself.
  auto tokens = (*gguf)->GetArray("tokenizer.ggml.tokens");
  auto bos = (*gguf)->GetInt("tokenizer.ggml.bos_token_id");
  auto eos = (*gguf)->GetInt("tokenizer.ggml.eos_token_id");
  EXPECT_TRUE(tokens && bos && eos);
  if (tokens && bos && eos) {
    out.bos_token = *(*tokens)->items.at(static_cast<size_t>(*bos)).AsString();
    out.eos_token = *(*tokens)->items.at(static_cast<size_t>(*eos)).AsString();
  }
  return out;
}

TEST(GgufChatTemplateTest, Llama2FromSpmVocabulary) {
  const VocabTemplate vocab = Load("vocab-spm.gguf");
  ASSERT_FALSE(vocab.source.empty());
  EXPECT_EQ(vocab.bos_token, "<s>");
  EXPECT_EQ(vocab.eos_token, "</s>");
  ChatTemplateOptions options;
  options.bos_token = vocab.bos_token;
  options.eos_token = vocab.eos_token;

  // The system message is folded into the first user turn inside <<SYS>> markers; each user turn
  // is BOS + "[INST] " + content.strip() + " [/INST]"; each assistant turn " " + stripped + " " +
  // EOS. The strip() applies to the whole folded text, so only the trailing spaces of "  Hello  "
  // go. The template ignores add_generation_prompt.
  auto out = ApplyChatTemplate(vocab.source,
                               {{"system", "You are a pirate."},
                                {"user", "  Hello  "},
                                {"assistant", "\nAhoy!\n"},
                                {"user", "Where is the treasure?"}},
                               options);
  ASSERT_TRUE(out) << out.error().ToString();
  EXPECT_EQ(*out,
            "<s>[INST] <<SYS>>\nYou are a pirate.\n<</SYS>>\n\n  Hello [/INST]"
            " Ahoy! </s>"
            "<s>[INST] Where is the treasure? [/INST]");

  // Without a system message, system_message is false and nothing is folded in.
  options.add_generation_prompt = false;
  out = ApplyChatTemplate(vocab.source, {{"user", " Hi "}}, options);
  ASSERT_TRUE(out) << out.error().ToString();
  EXPECT_EQ(*out, "<s>[INST] Hi [/INST]");

  // Roles other than user and assistant render nothing.
  out = ApplyChatTemplate(vocab.source, {{"user", "a"}, {"tool", "b"}}, options);
  ASSERT_TRUE(out) << out.error().ToString();
  EXPECT_EQ(*out, "<s>[INST] a [/INST]");
}

TEST(GgufChatTemplateTest, Llama3FromBpeVocabulary) {
  const VocabTemplate vocab = Load("vocab-bpe.gguf");
  ASSERT_FALSE(vocab.source.empty());
  EXPECT_EQ(vocab.bos_token, "<|begin_of_text|>");
  EXPECT_EQ(vocab.eos_token, "<|eot_id|>");
  ChatTemplateOptions options;
  options.bos_token = vocab.bos_token;
  options.eos_token = vocab.eos_token;

  // BOS, then per message a header and the content with `| trim` (the filter binds tighter than
  // `+`, so only the content is trimmed), then <|eot_id|>; the assistant header when asked.
  auto out = ApplyChatTemplate(vocab.source,
                               {{"system", "You are a pirate."}, {"user", "  Hello  \n"}}, options);
  ASSERT_TRUE(out) << out.error().ToString();
  EXPECT_EQ(*out,
            "<|begin_of_text|>"
            "<|start_header_id|>system<|end_header_id|>\n\nYou are a pirate.<|eot_id|>"
            "<|start_header_id|>user<|end_header_id|>\n\nHello<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\n");

  options.add_generation_prompt = false;
  out = ApplyChatTemplate(vocab.source, {{"user", "Hi"}, {"assistant", " Ahoy "}}, options);
  ASSERT_TRUE(out) << out.error().ToString();
  EXPECT_EQ(*out,
            "<|begin_of_text|>"
            "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\nAhoy<|eot_id|>");

  // An empty conversation is just BOS (and the generation header when asked).
  out = ApplyChatTemplate(vocab.source, {}, options);
  ASSERT_TRUE(out) << out.error().ToString();
  EXPECT_EQ(*out, "<|begin_of_text|>");
}

TEST(GgufChatTemplateTest, EmbeddedTemplatesMatchTheTestdataCopies) {
  // testdata/templates/llama2.jinja and llama3.jinja are copies of these, used by the data cases
  // and the fuzz test when the GGUF reader is not built.
  auto read = [](const std::string& name) {
    std::string path = std::string(LOCAI_TEST_DATA_DIR) + "/templates/" + name;
    FILE* f = std::fopen(path.c_str(), "rb");
    std::string text;
    if (f == nullptr) return text;
    char buf[4096];
    size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) text.append(buf, n);
    std::fclose(f);
    return text;
  };
  EXPECT_EQ(Load("vocab-spm.gguf").source, read("llama2.jinja"));
  EXPECT_EQ(Load("vocab-bpe.gguf").source, read("llama3.jinja"));
}

}  // namespace
}  // namespace locai::engine

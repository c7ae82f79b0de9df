// Seeded mutation fuzzing: real chat templates (testdata/templates, including the two embedded in
// the conformance vocabularies) are mutated byte- and token-wise thousands of times, then parsed
// and rendered. Every outcome must be a rendered string or an error Status with a message; a crash,
// a sanitizer report or a hang fails the run. Deterministic: the seed is fixed.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "engine/chat_template/chat_template.h"
#include "engine/chat_template/test_cases.h"

namespace locai::engine {
namespace {

namespace fs = std::filesystem;

const char* const kFragments[] = {
    "{%",
    "%}",
    "{{",
    "}}",
    "{#",
    "#}",
    "{%-",
    "-%}",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    "'",
    "\"",
    ",",
    ":",
    ".",
    "|",
    "~",
    "+",
    "-",
    "*",
    "**",
    "//",
    "%",
    "==",
    "!=",
    "<",
    ">=",
    " if ",
    " else ",
    " elif ",
    " endif ",
    " for ",
    " in ",
    " endfor ",
    " set ",
    " not ",
    " and ",
    " or ",
    " is ",
    " defined ",
    "loop.",
    "loop.index0",
    "messages",
    "message['content']",
    "namespace(",
    "ns.x",
    "range(",
    "10**12",
    "9223372036854775807",
    "raise_exception(",
    "[::-1]",
    "[1:]",
    "|tojson",
    "|trim",
    "|length",
    "|join(', ')",
    "|selectattr('role')",
    ".strip()",
    ".split(",
    "macro ",
    "endmacro",
    "break",
    "continue",
    "\\",
    "\n",
    " ",
    "\xff",
    "\xc3",
    "_x",
    "__class__",
};

std::string Mutate(const std::string& base, const std::vector<std::string>& corpus,
                   std::mt19937& rng) {
  std::string s = base;
  auto pick = [&](size_t n) { return n == 0 ? size_t{0} : static_cast<size_t>(rng() % n); };
  const int edits = 1 + static_cast<int>(rng() % 2);
  for (int e = 0; e < edits; ++e) {
    const size_t pos = pick(s.size() + 1);
    switch (rng() % 6) {
      case 0:  // flip a byte
        if (!s.empty()) s[pick(s.size())] = static_cast<char>(rng() & 0xFF);
        break;
      case 1:  // insert a syntax fragment
        s.insert(pos, kFragments[pick(std::size(kFragments))]);
        break;
      case 2: {  // delete a range
        const size_t len = std::min<size_t>(1 + pick(16), s.size() - std::min(pos, s.size()));
        if (pos < s.size()) s.erase(pos, len);
        break;
      }
      case 3: {  // duplicate a chunk of this template
        if (s.empty()) break;
        const size_t from = pick(s.size());
        const size_t len = std::min<size_t>(1 + pick(64), s.size() - from);
        s.insert(pos, s.substr(from, len));
        break;
      }
      case 4: {  // splice in a chunk of another template
        const std::string& other = corpus[pick(corpus.size())];
        if (other.empty()) break;
        const size_t from = pick(other.size());
        s.insert(pos, other.substr(from, std::min<size_t>(1 + pick(128), other.size() - from)));
        break;
      }
      default:  // truncate
        s.resize(pos);
    }
  }
  return s;
}

TemplateValue FuzzContext() {
  TemplateArray messages;
  const char* const roles[] = {"system", "user", "assistant", "user", "tool", "assistant"};
  for (const char* role : roles) {
    messages.push_back(TemplateValue::Object(
        {{"role", TemplateValue(role)},
         {"content", TemplateValue(std::string("  text of ") + role + " \n")}}));
  }
  return TemplateValue::Object({{"messages", TemplateValue(std::move(messages))},
                                {"bos_token", TemplateValue("<s>")},
                                {"eos_token", TemplateValue("</s>")},
                                {"add_generation_prompt", TemplateValue(true)}});
}

TEST(ChatTemplateFuzzTest, MutatedRealTemplatesNeverCrashOrHang) {
  std::vector<std::string> corpus;
  for (const auto& entry : fs::directory_iterator(fs::path(LOCAI_TEST_DATA_DIR) / "templates")) {
    corpus.push_back(testing::ReadTextFile(entry.path()));
  }
  std::sort(corpus.begin(), corpus.end());  // directory order is not deterministic
  ASSERT_GE(corpus.size(), 10u);

  // Tight limits keep each run short; the limits themselves are tested in sandbox_test.cc.
  TemplateLimits limits;
  limits.max_steps = 200'000;
  limits.max_loop_iterations = 20'000;
  limits.max_output_bytes = 1 << 20;
  limits.max_range_length = 10'000;
  const TemplateValue context = FuzzContext();
  RenderOptions options;
  options.now_unix_seconds = 1721952000;

  std::mt19937 rng(20261124);
  constexpr int kIterations = 8000;
  int parsed = 0;
  int rendered = 0;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kIterations; ++i) {
    const std::string source = Mutate(corpus[rng() % corpus.size()], corpus, rng);
    auto tmpl = ChatTemplate::Parse(source, limits);
    if (!tmpl) {
      EXPECT_FALSE(tmpl.error().message().empty());
      continue;
    }
    ++parsed;
    auto out = tmpl->Render(context, options);
    if (out) {
      ++rendered;
      EXPECT_LE(out->size(), limits.max_output_bytes);
    } else {
      EXPECT_FALSE(out.error().message().empty());
    }
  }
  const auto seconds =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - start)
          .count();
  EXPECT_LT(seconds, 60);
  // The mutations must exercise both the parser's error paths and the evaluator.
  EXPECT_GT(parsed, kIterations / 10);
  EXPECT_GT(rendered, kIterations / 20);
  EXPECT_LT(parsed, kIterations);
  std::printf("fuzz: %d mutations, %d parsed, %d rendered, %lld s\n", kIterations, parsed, rendered,
              static_cast<long long>(seconds));
}

}  // namespace
}  // namespace locai::engine

// Data-driven tests (format: README.md, "Test data"):
// - testdata/cases/*.test: conversations with the exact text (or error) a template file renders;
// - testdata/features/*.test: one template each, rendered with the fixed context below.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/chat_template/chat_template.h"
#include "engine/chat_template/test_cases.h"

namespace locai::engine {
namespace {

namespace fs = std::filesystem;
using testing::ListTestFiles;
using testing::ParseTestFile;
using testing::TestCase;

const fs::path kDataDir = LOCAI_TEST_DATA_DIR;

void CheckOutcome(const TestCase& c, const Result<std::string>& rendered) {
  const std::string* expect = c.Block("expect");
  const std::string* error = c.Block("error");
  ASSERT_TRUE((expect != nullptr) != (error != nullptr)) << "needs one '--- expect' or '--- error'";
  if (error != nullptr) {
    ASSERT_FALSE(rendered) << "rendered instead of failing:\n" << *rendered;
    EXPECT_NE(rendered.error().message().find(*error), std::string::npos)
        << rendered.error().ToString();
  } else {
    ASSERT_TRUE(rendered) << rendered.error().ToString();
    EXPECT_EQ(*rendered, *expect);
  }
}

TEST(ChatTemplateDataTest, ConversationCases) {
  const std::vector<fs::path> files = ListTestFiles(kDataDir / "cases");
  ASSERT_GE(files.size(), 15u) << "testdata/cases is missing files";
  int total = 0;
  for (const fs::path& file : files) {
    std::vector<std::string> errors;
    const std::vector<TestCase> cases = ParseTestFile(file, &errors);
    for (const std::string& e : errors) ADD_FAILURE() << e;
    EXPECT_FALSE(cases.empty()) << file;
    for (const TestCase& c : cases) {
      ++total;
      SCOPED_TRACE(c.file + ":" + std::to_string(c.line) + " (" + c.name + ")");
      std::string source;
      const std::string template_file = c.Option("template", "");
      if (!template_file.empty()) {
        const fs::path path = kDataDir / "templates" / template_file;
        ASSERT_TRUE(fs::exists(path)) << path;
        source = testing::ReadTextFile(path);
      }
      ChatTemplateOptions options;
      options.bos_token = c.Option("bos_token", "");
      options.eos_token = c.Option("eos_token", "");
      options.add_generation_prompt = c.Option("add_generation_prompt", "true") == "true";
      const std::string now = c.Option("now", "");
      if (!now.empty()) options.now_unix_seconds = std::stoll(now);
      std::vector<ChatMessage> messages;
      for (const auto& [kind, text] : c.blocks) {
        if (kind != "expect" && kind != "error") messages.push_back({kind, text});
      }
      CheckOutcome(c, ApplyChatTemplate(source, messages, options));
    }
  }
  EXPECT_GE(total, 40);
}

// The variables every features/*.test template sees.
TemplateValue FeatureContext() {
  auto message = [](const char* role, const char* content) {
    return TemplateValue::Object(
        {{"role", TemplateValue(role)}, {"content", TemplateValue(content)}});
  };
  TemplateValue city = TemplateValue::Object({{"type", TemplateValue("string")}});
  TemplateValue parameters = TemplateValue::Object(
      {{"type", TemplateValue("object")}, {"properties", TemplateValue::Object({{"city", city}})}});
  TemplateValue tool = TemplateValue::Object(
      {{"type", TemplateValue("function")},
       {"function", TemplateValue::Object(
                        {{"name", TemplateValue("get_weather")}, {"parameters", parameters}})}});
  return TemplateValue::Object({
      {"name", TemplateValue("World")},
      {"n", TemplateValue(5)},
      {"neg", TemplateValue(-7)},
      {"f", TemplateValue(2.5)},
      {"flag", TemplateValue(true)},
      {"nothing", TemplateValue::Null()},
      {"nums", TemplateValue::Array({TemplateValue(3), TemplateValue(1), TemplateValue(2)})},
      {"words", TemplateValue::Array(
                    {TemplateValue("banana"), TemplateValue("Apple"), TemplateValue("cherry")})},
      {"d", TemplateValue::Object({{"b", TemplateValue(1)}, {"a", TemplateValue(2)}})},
      {"s", TemplateValue("  Hello World  ")},
      {"messages", TemplateValue::Array({message("system", "Be brief."), message("user", "Hi"),
                                         message("assistant", "Yo")})},
      {"tools", TemplateValue::Array({tool})},
  });
}

TEST(ChatTemplateDataTest, FeatureCases) {
  const std::vector<fs::path> files = ListTestFiles(kDataDir / "features");
  ASSERT_FALSE(files.empty());
  const TemplateValue context = FeatureContext();
  RenderOptions render_options;
  render_options.now_unix_seconds = 1721952000;  // 2024-07-26 00:00:00 UTC
  int total = 0;
  for (const fs::path& file : files) {
    std::vector<std::string> errors;
    const std::vector<TestCase> cases = ParseTestFile(file, &errors);
    for (const std::string& e : errors) ADD_FAILURE() << e;
    for (const TestCase& c : cases) {
      ++total;
      SCOPED_TRACE(c.file + ":" + std::to_string(c.line) + " (" + c.name + ")");
      const std::string* source = c.Block("template");
      ASSERT_NE(source, nullptr) << "needs a '--- template' block";
      auto tmpl = ChatTemplate::Parse(*source);
      if (!tmpl) {
        CheckOutcome(c, Err(tmpl.error()));
        continue;
      }
      CheckOutcome(c, tmpl->Render(context, render_options));
    }
  }
  EXPECT_GE(total, 50);
}

}  // namespace
}  // namespace locai::engine

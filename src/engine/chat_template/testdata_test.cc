// Data-driven chat template tests: every testdata/cases/*.test file is a list of conversations
// with the exact text (or error) the named template must render. Format: README.md, "Test data".
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "engine/chat_template/chat_template.h"

namespace locai::engine {
namespace {

namespace fs = std::filesystem;

struct TemplateCase {
  std::string file;
  std::string name;
  int line = 0;
  std::map<std::string, std::string> options;
  std::vector<ChatMessage> messages;
  bool expect_error = false;
  std::string expected;  // the output, or a substring of the error message
};

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  const size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

std::string JoinLines(const std::vector<std::string>& lines) {
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (i > 0) out += '\n';
    out += lines[i];
  }
  return out;
}

// Parses one .test file. Header `key: value` lines apply to every case; `=== NAME` starts a case
// (its own `key: value` lines follow); `--- ROLE` starts a message, `--- expect` the expected
// output and `--- error` a substring of the expected error; a block's lines are taken verbatim up
// to the next `===`/`---` line and joined with newlines.
std::vector<TemplateCase> ParseCases(const fs::path& path) {
  // Split into lines; the file's final newline ends the last line and adds no empty one.
  std::vector<std::string> lines;
  std::string text = ReadFile(path);
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size();
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  std::map<std::string, std::string> header;
  std::vector<TemplateCase> cases;
  std::string block_kind;  // "" outside a block
  std::vector<std::string> block;
  auto flush = [&] {
    if (block_kind.empty() || cases.empty()) return;
    TemplateCase& c = cases.back();
    if (block_kind == "expect" || block_kind == "error") {
      c.expect_error = block_kind == "error";
      c.expected = JoinLines(block);
    } else {
      c.messages.push_back({block_kind, JoinLines(block)});
    }
    block.clear();
    block_kind.clear();
  };
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    if (line.rfind("=== ", 0) == 0) {
      flush();
      TemplateCase c;
      c.file = path.filename().string();
      c.name = Trim(line.substr(4));
      c.line = static_cast<int>(i + 1);
      c.options = header;
      cases.push_back(std::move(c));
      continue;
    }
    if (line.rfind("--- ", 0) == 0) {
      flush();
      block_kind = Trim(line.substr(4));
      continue;
    }
    if (!block_kind.empty()) {
      block.push_back(line);
      continue;
    }
    if (Trim(line).empty() || line[0] == '#') continue;
    const size_t colon = line.find(':');
    if (colon == std::string::npos) {
      ADD_FAILURE() << path << ":" << i + 1 << ": expected 'key: value'";
      continue;
    }
    auto& target = cases.empty() ? header : cases.back().options;
    target[Trim(line.substr(0, colon))] = Trim(line.substr(colon + 1));
  }
  flush();
  return cases;
}

std::vector<fs::path> CaseFiles() {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(fs::path(LOCAI_TEST_DATA_DIR) / "cases")) {
    if (entry.path().extension() == ".test") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

TEST(ChatTemplateDataTest, AllCaseFilesRender) {
  const std::vector<fs::path> files = CaseFiles();
  ASSERT_GE(files.size(), 15u) << "testdata/cases is missing files";
  int total = 0;
  for (const fs::path& file : files) {
    const std::vector<TemplateCase> cases = ParseCases(file);
    EXPECT_FALSE(cases.empty()) << file;
    for (const TemplateCase& c : cases) {
      ++total;
      SCOPED_TRACE(c.file + ":" + std::to_string(c.line) + " (" + c.name + ")");
      std::string source;
      auto tmpl = c.options.find("template");
      if (tmpl != c.options.end() && !tmpl->second.empty()) {
        const fs::path tpath = fs::path(LOCAI_TEST_DATA_DIR) / "templates" / tmpl->second;
        ASSERT_TRUE(fs::exists(tpath)) << tpath;
        source = ReadFile(tpath);
      }
      ChatTemplateOptions options;
      auto get = [&](const std::string& key, const std::string& fallback) {
        auto it = c.options.find(key);
        return it == c.options.end() ? fallback : it->second;
      };
      options.bos_token = get("bos_token", "");
      options.eos_token = get("eos_token", "");
      options.add_generation_prompt = get("add_generation_prompt", "true") == "true";
      if (c.options.count("now") != 0) options.now_unix_seconds = std::stoll(c.options.at("now"));
      auto rendered = ApplyChatTemplate(source, c.messages, options);
      if (c.expect_error) {
        ASSERT_FALSE(rendered) << "rendered instead of failing:\n" << *rendered;
        EXPECT_NE(rendered.error().message().find(c.expected), std::string::npos)
            << rendered.error().ToString();
      } else {
        ASSERT_TRUE(rendered) << rendered.error().ToString();
        EXPECT_EQ(*rendered, c.expected);
      }
    }
  }
  EXPECT_GE(total, 40);
}

}  // namespace
}  // namespace locai::engine

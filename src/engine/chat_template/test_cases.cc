#include "engine/chat_template/test_cases.h"

#include <algorithm>
#include <fstream>
#include <sstream>

namespace locai::engine::testing {
namespace {

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

}  // namespace

const std::string* TestCase::Block(const std::string& kind) const {
  for (const auto& [k, text] : blocks) {
    if (k == kind) return &text;
  }
  return nullptr;
}

std::string TestCase::Option(const std::string& key, const std::string& fallback) const {
  auto it = options.find(key);
  return it == options.end() ? fallback : it->second;
}

std::string ReadTextFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::filesystem::path> ListTestFiles(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".test") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<TestCase> ParseTestFile(const std::filesystem::path& path,
                                    std::vector<std::string>* errors) {
  // Split into lines; the file's final newline ends the last line and adds no empty one.
  const std::string text = ReadTextFile(path);
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size();
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  std::map<std::string, std::string> header;
  std::vector<TestCase> cases;
  std::string block_kind;  // empty outside a block
  std::vector<std::string> block;
  auto flush = [&] {
    if (!block_kind.empty() && !cases.empty()) {
      cases.back().blocks.emplace_back(block_kind, JoinLines(block));
    }
    block.clear();
    block_kind.clear();
  };
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    const std::string where = path.filename().string() + ":" + std::to_string(i + 1);
    if (line.rfind("=== ", 0) == 0) {
      flush();
      TestCase c;
      c.file = path.filename().string();
      c.name = Trim(line.substr(4));
      c.line = static_cast<int>(i + 1);
      c.options = header;
      cases.push_back(std::move(c));
      continue;
    }
    if (line.rfind("--- ", 0) == 0) {
      flush();
      if (cases.empty()) errors->push_back(where + ": block before the first case");
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
      errors->push_back(where + ": expected 'key: value'");
      continue;
    }
    auto& target = cases.empty() ? header : cases.back().options;
    target[Trim(line.substr(0, colon))] = Trim(line.substr(colon + 1));
  }
  flush();
  return cases;
}

}  // namespace locai::engine::testing

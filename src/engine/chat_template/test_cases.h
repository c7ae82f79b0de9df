// Reader of the .test data files under testdata/ (format: README.md, "Test data").
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace locai::engine::testing {

struct TestCase {
  std::string file;  // file name, for messages
  std::string name;
  int line = 0;
  std::map<std::string, std::string> options;  // the file's header, then the case's own
  // `--- KIND` blocks in order, each with its lines joined by newlines.
  std::vector<std::pair<std::string, std::string>> blocks;

  // The first block of `kind`, or null.
  const std::string* Block(const std::string& kind) const;
  std::string Option(const std::string& key, const std::string& fallback) const;
};

// Header `key: value` lines apply to every case; `=== NAME` starts a case, whose own `key: value`
// lines follow; `--- KIND` starts a block whose lines are taken verbatim up to the next `===` or
// `---` line. `#` lines and blank lines outside blocks are ignored. Malformed lines are reported
// through *errors.
std::vector<TestCase> ParseTestFile(const std::filesystem::path& path,
                                    std::vector<std::string>* errors);

// The *.test files in `dir`, sorted.
std::vector<std::filesystem::path> ListTestFiles(const std::filesystem::path& dir);

std::string ReadTextFile(const std::filesystem::path& path);

}  // namespace locai::engine::testing

// Shared fixtures for the tokenizer tests: the conformance vocabularies, loaded once per process.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "engine/gguf/gguf_file.h"
#include "engine/tokenizer/tokenizer.h"

namespace locai::engine::tokenizer_testing {

struct LoadedVocab {
  std::unique_ptr<gguf::GgufFile> file;
  std::unique_ptr<Tokenizer> tokenizer;
};

inline std::string ConformancePath(const std::string& name) {
  return std::string(LOCAI_CONFORMANCE_DIR) + "/tokenizer/" + name;
}

// Loads tokenizer/<name> (e.g. "vocab-spm.gguf") once; fails the test on error.
inline const Tokenizer& ConformanceTokenizer(const std::string& name) {
  static LoadedVocab spm;
  static LoadedVocab bpe;
  LoadedVocab& slot = name == "vocab-spm.gguf" ? spm : bpe;
  if (!slot.tokenizer) {
    auto file = gguf::GgufFile::Open(ConformancePath(name));
    EXPECT_TRUE(file.has_value()) << file.error().ToString();
    if (!file) std::abort();
    auto tokenizer = Tokenizer::FromGguf(**file);
    EXPECT_TRUE(tokenizer.has_value()) << tokenizer.error().ToString();
    if (!tokenizer) std::abort();
    slot.file = std::move(*file);
    slot.tokenizer = std::move(*tokenizer);
  }
  return *slot.tokenizer;
}

}  // namespace locai::engine::tokenizer_testing

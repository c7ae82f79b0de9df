// Measures Encode speed on ~100 KB of mixed text for the conformance vocabularies.
// Usage: engine_tokenizer_bench [conformance dir]
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <string>

#include "engine/gguf/gguf_file.h"
#include "engine/tokenizer/tokenizer.h"

namespace {

// Thread CPU time: on a shared, overloaded machine wall time mostly measures the scheduler.
double CpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

std::string MakeText(size_t target_bytes) {
  const char* const kParagraphs[] = {
      "The patient, aged 67, was admitted on 2026-03-14 with chest pain. BP 142/91; HR 88 bpm. ",
      "def f(x):\n    return x ** 2  # square\n",
      "I'm sure you'd say it's fine, but we've checked and they're not. ",
      "日本語のテキストと中文文本。Ελληνικά και Кириллица. Emoji "
      "🙂👍🏽🚀. ",
      "for (int i = 0; i < n; ++i) { sum += a[i]; }\n\n",
      "Once upon a time, there was a little girl named Lily. She loved to play outside. ",
  };
  std::string text;
  for (size_t i = 0; text.size() < target_bytes; ++i) text += kParagraphs[i % 6];
  return text;
}

int Run(const std::string& path, const std::string& text) {
  auto file = locai::engine::gguf::GgufFile::Open(path);
  if (!file) {
    std::fprintf(stderr, "%s\n", file.error().ToString().c_str());
    return 1;
  }
  const double load_start = CpuSeconds();
  auto tokenizer = locai::engine::Tokenizer::FromGguf(**file);
  const double load_s = CpuSeconds() - load_start;
  if (!tokenizer) {
    std::fprintf(stderr, "%s\n", tokenizer.error().ToString().c_str());
    return 1;
  }
  size_t n_tokens = 0;
  double best_s = 1e9;
  for (int rep = 0; rep < 5; ++rep) {
    const double start = CpuSeconds();
    auto ids = (*tokenizer)->Encode(text, false, true);
    n_tokens = ids ? ids->size() : 0;
    best_s = std::min(best_s, CpuSeconds() - start);
  }
  std::printf(
      "%-16s load %.1f ms; encode %zu bytes -> %zu tokens in %.2f ms (%.1f MB/s; CPU time, best of "
      "5)\n",
      path.substr(path.rfind('/') + 1).c_str(), load_s * 1e3, text.size(), n_tokens, best_s * 1e3,
      text.size() / best_s / 1e6);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string dir = argc > 1 ? argv[1] : LOCAI_CONFORMANCE_DIR;
  const std::string text = MakeText(100 * 1024);
  int rc = Run(dir + "/tokenizer/vocab-spm.gguf", text);
  rc |= Run(dir + "/tokenizer/vocab-bpe.gguf", text);
  return rc;
}

// Model synthesis and quantisation: writes llama/qwen2 GGUF files with seeded random weights of
// real shapes (for tests and benchmarks, since no weights can be downloaded), and converts F32/F16
// GGUF files to quantised mixes.
// Thread-safety: the functions are re-entrant; each uses its own thread pool.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "engine/model/model_config.h"

namespace locai::engine {

struct SynthShape {
  std::string name;  // "llama3.2-1b"
  Architecture arch = Architecture::kLlama;
  int64_t n_embd = 64;
  int64_t n_layer = 2;
  int64_t n_head = 4;
  int64_t n_head_kv = 2;
  int64_t n_ff = 176;
  int64_t n_vocab = 512;  // replaced by the vocabulary's size with --vocab-from
  int64_t n_ctx = 2048;
  float rope_freq_base = 10000.0f;
  bool tied_output = false;
  bool llama3_rope_factors = false;  // write Llama 3.1-style rope_freqs
};

// Built-in shapes: llama3.2-1b, llama3.2-3b, llama3.1-8b, qwen2.5-0.5b, qwen2.5-1.5b, tiny.
std::optional<SynthShape> FindSynthShape(std::string_view name);
std::vector<std::string> SynthShapeNames();

using ProgressFn = std::function<void(size_t done, size_t total)>;

struct SynthOptions {
  SynthShape shape;
  std::string mix = "f16";        // a quantisation mix name (see quant_mix.h)
  uint64_t seed = 42;
  std::string vocab_from;         // GGUF whose tokenizer.* metadata (and chat template) to copy
  std::string output_path;
  int n_threads = 0;
  ProgressFn progress;
};

// Writes the model atomically. Errors: unknown mix, unreadable vocabulary file, write failures.
Status SynthesizeModel(const SynthOptions& options);

struct QuantizeOptions {
  std::string input_path;
  std::string output_path;
  std::string mix = "q4_k_m";
  int n_threads = 0;
  ProgressFn progress;
};

// Converts every matrix of the input to the mix's types; copies all metadata and sets
// general.file_type. Input tensors may be of any supported type (quantised ones are dequantised
// first, which loses precision twice).
Status QuantizeModel(const QuantizeOptions& options);

}  // namespace locai::engine

// ModelConfig: the hyper-parameters of a decoder-only transformer, read from GGUF metadata.
//
// Supported architectures are `llama` (Llama 1/2/3.x, Mistral, TinyLlama, SmolLM: RMSNorm,
// SwiGLU, RoPE on adjacent pairs, GQA, tied or separate output) and `qwen2` (the same with q/k/v
// biases and NEOX-style RoPE on split halves). Keys are `<arch>.<name>` as in docs/gguf.md.
// Thread-safety: a plain value.
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"
#include "engine/gguf/gguf_file.h"

namespace locai::engine {

enum class Architecture { kLlama, kQwen2 };
enum class RopeStyle {
  kAdjacentPairs,  // (x[2i], x[2i+1]): llama's layout in GGUF
  kSplitHalves,    // (x[i], x[i + n/2]): NEOX layout, used by qwen2
};

std::string_view ArchitectureName(Architecture arch);

struct ModelConfig {
  Architecture arch = Architecture::kLlama;
  std::string name;          // general.name, informational
  int64_t n_vocab = 0;
  int64_t n_embd = 0;        // model width
  int64_t n_layer = 0;
  int64_t n_head = 0;
  int64_t n_head_kv = 0;
  int64_t head_dim = 0;      // n_embd / n_head unless the file says otherwise
  int64_t n_ff = 0;
  int64_t n_ctx_train = 0;   // context length the model was trained for
  int64_t rope_dim = 0;      // rotated dimensions per head (<= head_dim)
  float rope_freq_base = 10000.0f;
  float rms_eps = 1e-5f;
  RopeStyle rope_style = RopeStyle::kAdjacentPairs;
  bool qkv_bias = false;

  int64_t q_dim() const { return n_head * head_dim; }
  int64_t kv_dim() const { return n_head_kv * head_dim; }
};

// Reads and validates the configuration. Errors name the file and the key. `n_vocab` comes from
// the token embedding's shape when `<arch>.vocab_size` is absent.
Result<ModelConfig> ReadModelConfig(const gguf::GgufFile& file);

}  // namespace locai::engine

// Model: the validated weights of a llama/qwen2 model, memory-mapped from its GGUF file.
//
// Load() checks that every tensor the architecture needs is present, has the expected shape and a
// type the kernels support, so that inference never meets a surprise. Matrix weights stay in the
// mapping (no copy, RSS grows only with the pages touched); small vectors (norms, biases, RoPE
// factors) are converted to f32 at load.
// Thread-safety: immutable after Load(); share it as shared_ptr<const Model> between contexts.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "engine/gguf/gguf_file.h"
#include "engine/kernels/tensor_type.h"
#include "engine/model/model_config.h"

namespace locai::engine {

// A row-major matrix of `rows` rows of `cols` elements, in the mapping.
struct MatrixView {
  TensorType type = TensorType::kF32;
  const uint8_t* data = nullptr;
  int64_t rows = 0;
  int64_t cols = 0;
  uint64_t row_bytes = 0;
};

struct LayerWeights {
  std::vector<float> attn_norm;
  MatrixView wq, wk, wv, wo;
  std::vector<float> bq, bk, bv;  // empty unless the architecture has q/k/v biases
  std::vector<float> ffn_norm;
  MatrixView w_gate, w_up, w_down;
};

struct ModelLoadOptions {
  int64_t context_length = 0;  // 0: the model's trained context length
};

// Memory needed to run the model, in bytes.
struct MemoryEstimate {
  uint64_t weights = 0;   // tensor data in the file
  uint64_t kv_cache = 0;  // for the given context and sequences
  uint64_t compute = 0;   // activations and logits scratch
  uint64_t total() const { return weights + kv_cache + compute; }
};

class Model {
 public:
  // Loads the model at `path`. Errors name the file and the tensor or key at fault.
  static Result<std::shared_ptr<const Model>> Load(const std::string& path,
                                                   const ModelLoadOptions& options = {});
  // Builds a model over an already opened file (takes ownership).
  static Result<std::shared_ptr<const Model>> FromFile(std::unique_ptr<gguf::GgufFile> file,
                                                       const ModelLoadOptions& options = {});

  const ModelConfig& config() const { return config_; }
  const gguf::GgufFile& file() const { return *file_; }
  int64_t context_length() const { return context_length_; }

  const MatrixView& token_embedding() const { return token_embd_; }
  const MatrixView& output() const { return output_; }  // token_embd when tied
  bool tied_output() const { return tied_output_; }
  const std::vector<float>& output_norm() const { return output_norm_; }
  const std::vector<float>& rope_freq_factors() const { return rope_freq_factors_; }  // may be empty
  const std::vector<LayerWeights>& layers() const { return layers_; }

  // The weight type that dominates the file (by bytes), e.g. "q4_K".
  std::string_view DominantType() const;
  uint64_t parameter_count() const;
  MemoryEstimate EstimateMemory(int64_t context_length, int64_t n_sequences,
                                int64_t batch_size) const;

 private:
  Model() = default;
  Status LoadTensors();

  std::unique_ptr<gguf::GgufFile> file_;
  ModelConfig config_;
  int64_t context_length_ = 0;
  MatrixView token_embd_;
  MatrixView output_;
  bool tied_output_ = false;
  std::vector<float> output_norm_;
  std::vector<float> rope_freq_factors_;
  std::vector<LayerWeights> layers_;
};

// Bytes of an F16 KV cache for `tokens` positions of every layer.
uint64_t KvCacheBytes(const ModelConfig& config, int64_t tokens);

}  // namespace locai::engine

// QuantMix: which type each tensor of a model gets under a named quantisation scheme
// ("q4_k_m", "q8_0", ...), as the common GGUF releases lay them out.
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/kernels/tensor_type.h"

namespace locai::engine {

struct QuantMix {
  std::string name;          // "q4_k_m"
  TensorType base;           // most matrices
  TensorType output;         // output.weight (or the tied token embedding)
  TensorType more_bits;      // attn_v / ffn_down in the layers that get more bits (K-quant mixes)
  uint32_t file_type;        // general.file_type as llama.cpp numbers it
};

// The scheme named `name` (case-insensitive), or nullopt. Names: f32, f16, bf16, q8_0, q4_0, q4_1,
// q5_0, q5_1, q4_k_s, q4_k_m, q5_k_m, q6_k, q3_k_m, q2_k.
std::optional<QuantMix> FindQuantMix(std::string_view name);
std::vector<std::string> QuantMixNames();

// The type for tensor `name` of shape `dims` in a model of `n_layer` layers. Vectors (norms,
// biases) stay F32; a matrix whose rows do not split into the chosen type's blocks falls back to
// Q8_0, then F16.
TensorType ChooseTensorType(const QuantMix& mix, std::string_view name,
                            const std::vector<int64_t>& dims, int64_t n_layer, bool tied_output);

}  // namespace locai::engine

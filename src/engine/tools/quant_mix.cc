#include "engine/tools/quant_mix.h"

#include <array>
#include <cctype>

namespace locai::engine {

namespace {

const std::array<QuantMix, 14> kMixes = {{
    {"f32", TensorType::kF32, TensorType::kF32, TensorType::kF32, 0},
    {"f16", TensorType::kF16, TensorType::kF16, TensorType::kF16, 1},
    {"bf16", TensorType::kBF16, TensorType::kBF16, TensorType::kBF16, 32},
    {"q4_0", TensorType::kQ4_0, TensorType::kQ6_K, TensorType::kQ4_0, 2},
    {"q4_1", TensorType::kQ4_1, TensorType::kQ6_K, TensorType::kQ4_1, 3},
    {"q8_0", TensorType::kQ8_0, TensorType::kQ8_0, TensorType::kQ8_0, 7},
    {"q5_0", TensorType::kQ5_0, TensorType::kQ6_K, TensorType::kQ5_0, 8},
    {"q5_1", TensorType::kQ5_1, TensorType::kQ6_K, TensorType::kQ5_1, 9},
    {"q2_k", TensorType::kQ2_K, TensorType::kQ6_K, TensorType::kQ3_K, 10},
    {"q3_k_m", TensorType::kQ3_K, TensorType::kQ6_K, TensorType::kQ4_K, 12},
    {"q4_k_s", TensorType::kQ4_K, TensorType::kQ6_K, TensorType::kQ4_K, 14},
    {"q4_k_m", TensorType::kQ4_K, TensorType::kQ6_K, TensorType::kQ6_K, 15},
    {"q5_k_m", TensorType::kQ5_K, TensorType::kQ6_K, TensorType::kQ6_K, 17},
    {"q6_k", TensorType::kQ6_K, TensorType::kQ6_K, TensorType::kQ6_K, 18},
}};

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Layer index of "blk.N.xxx", or -1.
int64_t LayerOf(std::string_view name) {
  if (name.substr(0, 4) != "blk.") return -1;
  int64_t n = 0;
  size_t i = 4;
  for (; i < name.size() && std::isdigit(static_cast<unsigned char>(name[i])); ++i) {
    n = n * 10 + (name[i] - '0');
  }
  return i > 4 ? n : -1;
}

// The layers that K-quant "M" mixes give more bits: the first and last eighth, and every third
// layer in between (the layout llama.cpp's mixes use, which its users expect file sizes of).
bool UseMoreBits(int64_t layer, int64_t n_layer) {
  return layer < n_layer / 8 || layer >= 7 * n_layer / 8 || (layer - n_layer / 8) % 3 == 2;
}

TensorType Fallback(TensorType wanted, int64_t cols) {
  if (cols % Traits(wanted).block_size == 0) return wanted;
  if (cols % 32 == 0) return TensorType::kQ8_0;
  return TensorType::kF16;
}

}  // namespace

std::optional<QuantMix> FindQuantMix(std::string_view name) {
  const std::string lower = Lower(name);
  for (const auto& mix : kMixes) {
    if (mix.name == lower) return mix;
  }
  return std::nullopt;
}

std::vector<std::string> QuantMixNames() {
  std::vector<std::string> names;
  for (const auto& mix : kMixes) names.push_back(mix.name);
  return names;
}

TensorType ChooseTensorType(const QuantMix& mix, std::string_view name,
                            const std::vector<int64_t>& dims, int64_t n_layer, bool tied_output) {
  if (dims.size() < 2) return TensorType::kF32;
  const int64_t cols = dims[0];
  if (name == "output.weight" || (tied_output && name == "token_embd.weight")) {
    return Fallback(mix.output, cols);
  }
  if (EndsWith(name, "attn_v.weight") || EndsWith(name, "ffn_down.weight")) {
    const int64_t layer = LayerOf(name);
    if (layer >= 0 && UseMoreBits(layer, n_layer)) return Fallback(mix.more_bits, cols);
  }
  return Fallback(mix.base, cols);
}

}  // namespace locai::engine

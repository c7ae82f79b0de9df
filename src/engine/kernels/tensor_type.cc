#include "engine/kernels/tensor_type.h"

#include <array>
#include <cctype>
#include <limits>

namespace locai::engine {

namespace {

struct Entry {
  TensorType type;
  TensorTypeTraits traits;
};

// Block layouts as GGUF defines them (see docs/gguf.md for each block's fields).
constexpr std::array<Entry, 15> kTypes = {{
    {TensorType::kF32, {"f32", 1, 4, true}},
    {TensorType::kF16, {"f16", 1, 2, true}},
    {TensorType::kQ4_0, {"q4_0", 32, 18, true}},
    {TensorType::kQ4_1, {"q4_1", 32, 20, true}},
    {TensorType::kQ5_0, {"q5_0", 32, 22, true}},
    {TensorType::kQ5_1, {"q5_1", 32, 24, true}},
    {TensorType::kQ8_0, {"q8_0", 32, 34, true}},
    {TensorType::kQ8_1, {"q8_1", 32, 36, false}},
    {TensorType::kQ2_K, {"q2_K", 256, 84, true}},
    {TensorType::kQ3_K, {"q3_K", 256, 110, true}},
    {TensorType::kQ4_K, {"q4_K", 256, 144, true}},
    {TensorType::kQ5_K, {"q5_K", 256, 176, true}},
    {TensorType::kQ6_K, {"q6_K", 256, 210, true}},
    {TensorType::kQ8_K, {"q8_K", 256, 292, false}},
    {TensorType::kBF16, {"bf16", 1, 2, true}},
}};

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace

const TensorTypeTraits& Traits(TensorType type) {
  for (const auto& entry : kTypes) {
    if (entry.type == type) return entry.traits;
  }
  return kTypes[0].traits;  // unreachable for values produced by TensorTypeFromId
}

std::optional<TensorType> TensorTypeFromId(uint32_t id) {
  for (const auto& entry : kTypes) {
    if (static_cast<uint32_t>(entry.type) == id) return entry.type;
  }
  return std::nullopt;
}

std::optional<TensorType> TensorTypeFromName(std::string_view name) {
  for (const auto& entry : kTypes) {
    if (EqualsIgnoreCase(entry.traits.name, name)) return entry.type;
  }
  return std::nullopt;
}

std::optional<uint64_t> RowBytes(TensorType type, uint64_t n_elements) {
  const auto& t = Traits(type);
  const auto block = static_cast<uint64_t>(t.block_size);
  if (n_elements % block != 0) return std::nullopt;
  const uint64_t blocks = n_elements / block;
  if (blocks > std::numeric_limits<uint64_t>::max() / static_cast<uint64_t>(t.block_bytes)) {
    return std::nullopt;
  }
  return blocks * static_cast<uint64_t>(t.block_bytes);
}

}  // namespace locai::engine

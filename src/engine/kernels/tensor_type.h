// TensorType: the element types of GGUF tensors, with their block layout.
//
// The numeric values are those of the GGUF format (docs/gguf.md), so a type id read from a file
// maps straight onto this enum after TensorTypeFromId() has checked it. Quantised types store
// fixed-size blocks of `block_size` elements in `block_bytes` bytes.
// Thread-safety: constants only.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace locai::engine {

enum class TensorType : uint32_t {
  kF32 = 0,
  kF16 = 1,
  kQ4_0 = 2,
  kQ4_1 = 3,
  kQ5_0 = 6,
  kQ5_1 = 7,
  kQ8_0 = 8,
  kQ8_1 = 9,
  kQ2_K = 10,
  kQ3_K = 11,
  kQ4_K = 12,
  kQ5_K = 13,
  kQ6_K = 14,
  kQ8_K = 15,
  kBF16 = 30,
};

struct TensorTypeTraits {
  std::string_view name;  // as llama.cpp prints it: "f32", "q4_K", ...
  int64_t block_size;     // elements per block (1 for plain floats)
  int64_t block_bytes;    // bytes per block
  bool supported;         // the engine can compute with weights of this type
};

// The traits of a known type.
const TensorTypeTraits& Traits(TensorType type);

// The type for a raw GGUF type id, or nullopt when the id is not one this engine knows.
std::optional<TensorType> TensorTypeFromId(uint32_t id);

// The type named `name` (case-insensitive: "q4_k", "Q8_0", "f16"), or nullopt.
std::optional<TensorType> TensorTypeFromName(std::string_view name);

// Bytes taken by `n_elements` elements of `type`, or nullopt when `n_elements` is not a whole
// number of blocks or the size overflows.
std::optional<uint64_t> RowBytes(TensorType type, uint64_t n_elements);

}  // namespace locai::engine

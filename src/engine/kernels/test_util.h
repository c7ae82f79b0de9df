// Helpers shared by the kernel tests: random data and quantised random matrices.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "engine/kernels/quant.h"
#include "engine/kernels/tensor_type.h"

namespace locai::engine::testing {

inline std::vector<float> RandomFloats(int64_t n, uint32_t seed, float stddev = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, stddev);
  std::vector<float> v(static_cast<size_t>(n));
  for (auto& x : v) x = dist(rng);
  return v;
}

inline int64_t RowSize(TensorType type, int64_t n) {
  return static_cast<int64_t>(RowBytes(type, static_cast<uint64_t>(n)).value());
}

// `rows` rows of `cols` random values encoded as `type`.
inline std::vector<uint8_t> RandomMatrix(TensorType type, int64_t rows, int64_t cols,
                                         uint32_t seed) {
  const std::vector<float> values = RandomFloats(rows * cols, seed);
  const int64_t row_bytes = RowSize(type, cols);
  std::vector<uint8_t> out(static_cast<size_t>(rows * row_bytes));
  for (int64_t r = 0; r < rows; ++r) {
    Status status = QuantizeRow(type, values.data() + r * cols, out.data() + r * row_bytes, cols);
    if (!status.ok()) return {};
  }
  return out;
}

inline const TensorType kMatMulTypes[] = {
    TensorType::kF32,  TensorType::kF16,  TensorType::kBF16, TensorType::kQ4_0, TensorType::kQ4_1,
    TensorType::kQ5_0, TensorType::kQ5_1, TensorType::kQ8_0, TensorType::kQ2_K, TensorType::kQ3_K,
    TensorType::kQ4_K, TensorType::kQ5_K, TensorType::kQ6_K};

}  // namespace locai::engine::testing

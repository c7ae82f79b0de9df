#include "engine/kernels/matmul.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "common/thread_pool.h"
#include "engine/kernels/quant.h"
#include "engine/kernels/test_util.h"

namespace locai::engine {
namespace {

using testing::kMatMulTypes;
using testing::RandomFloats;
using testing::RandomMatrix;
using testing::RowSize;

// y = W x in double precision from the dequantised weights and the given inputs.
std::vector<double> Reference(TensorType type, const std::vector<uint8_t>& w, int64_t rows,
                              int64_t cols, const std::vector<float>& x, int64_t tokens) {
  std::vector<float> row(static_cast<size_t>(cols));
  std::vector<double> y(static_cast<size_t>(rows * tokens));
  const int64_t row_bytes = RowSize(type, cols);
  for (int64_t r = 0; r < rows; ++r) {
    DequantizeRow(type, w.data() + r * row_bytes, row.data(), cols);
    for (int64_t t = 0; t < tokens; ++t) {
      double sum = 0;
      for (int64_t c = 0; c < cols; ++c) sum += static_cast<double>(row[c]) * x[t * cols + c];
      y[t * rows + r] = sum;
    }
  }
  return y;
}

// The activations as the kernels see them (after conversion to the partner format).
std::vector<float> AsKernelsSeeThem(TensorType type, const std::vector<float>& x, int64_t cols,
                                    int64_t tokens) {
  if (ActivationFormatFor(type) == ActivationFormat::kF32) return x;
  const TensorType act_type =
      ActivationFormatFor(type) == ActivationFormat::kQ8K ? TensorType::kQ8_K : TensorType::kQ8_0;
  std::vector<float> out(x.size());
  std::vector<uint8_t> buf(static_cast<size_t>(RowSize(act_type, cols)));
  for (int64_t t = 0; t < tokens; ++t) {
    EXPECT_TRUE(QuantizeRow(act_type, x.data() + t * cols, buf.data(), cols).ok());
    DequantizeRow(act_type, buf.data(), out.data() + t * cols, cols);
  }
  return out;
}

struct Shape {
  int64_t rows, blocks, tokens;
};

TEST(MatMulTest, MatchesDoublePrecisionReference) {
  ThreadPool pool(3);
  // Shapes cross the 64-row and 64-token work blocks and the register tiles.
  const Shape shapes[] = {{1, 1, 1}, {7, 3, 1}, {67, 2, 5}, {130, 1, 70}, {4, 9, 3}};
  for (TensorType type : kMatMulTypes) {
    const int64_t block = Traits(type).block_size == 1 ? 40 : Traits(type).block_size;
    double err2 = 0, ref2 = 0;  // over all shapes: one tiny output can be near zero by chance
    for (const Shape& s : shapes) {
      const int64_t cols = s.blocks * block;
      const std::vector<uint8_t> w = RandomMatrix(type, s.rows, cols, 3);
      const std::vector<float> x = RandomFloats(cols * s.tokens, 4);
      std::vector<float> y(static_cast<size_t>(s.rows * s.tokens), NAN);
      MatMul(type, w.data(), s.rows, cols, x.data(), s.tokens, y.data(), pool);

      // Against the exact product of what the kernels multiply: only f32 rounding differs.
      const std::vector<double> exact =
          Reference(type, w, s.rows, cols, AsKernelsSeeThem(type, x, cols, s.tokens), s.tokens);
      // Against the product with the original f32 inputs: activation quantisation error only.
      const std::vector<double> ideal = Reference(type, w, s.rows, cols, x, s.tokens);
      for (size_t i = 0; i < y.size(); ++i) {
        ASSERT_NEAR(y[i], exact[i], 1e-5 * std::sqrt(static_cast<double>(cols)) + 1e-6)
            << Traits(type).name << " rows " << s.rows << " cols " << cols << " tokens " << s.tokens
            << " index " << i;
        err2 += (y[i] - ideal[i]) * (y[i] - ideal[i]);
        ref2 += ideal[i] * ideal[i];
      }
    }
    EXPECT_LE(std::sqrt(err2 / ref2), 0.01) << Traits(type).name;
  }
}

TEST(MatMulTest, ScalarAndBestKernelsAgreeAcrossThreadCounts) {
  const int64_t rows = 37, cols = 512, tokens = 9;
  for (TensorType type : {TensorType::kQ4_0, TensorType::kQ4_K, TensorType::kQ6_K,
                          TensorType::kQ8_0, TensorType::kF16}) {
    const std::vector<uint8_t> w = RandomMatrix(type, rows, cols, 5);
    const std::vector<float> x = RandomFloats(cols * tokens, 6);
    std::vector<float> ref(static_cast<size_t>(rows * tokens));
    ThreadPool one(1);
    MatMul(ScalarKernels(), type, w.data(), rows, cols, x.data(), tokens, ref.data(), one);
    for (int threads : {1, 2, 4}) {
      ThreadPool pool(threads);
      std::vector<float> y(ref.size(), NAN);
      MatMul(type, w.data(), rows, cols, x.data(), tokens, y.data(), pool);
      for (size_t i = 0; i < y.size(); ++i) {
        ASSERT_NEAR(y[i], ref[i], 5e-4) << Traits(type).name << " threads " << threads;
      }
    }
  }
}

TEST(MatMulTest, ValidateRejectsBadShapesAndTypes) {
  EXPECT_TRUE(ValidateMatMul(TensorType::kQ4_K, 2048).ok());
  EXPECT_TRUE(ValidateMatMul(TensorType::kF16, 7).ok());
  EXPECT_EQ(ValidateMatMul(TensorType::kQ4_K, 2048 + 32).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateMatMul(TensorType::kQ8_0, 33).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateMatMul(TensorType::kQ8_0, 0).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateMatMul(TensorType::kQ8_K, 256).code(), StatusCode::kUnimplemented);
  EXPECT_EQ(ValidateMatMul(TensorType::kQ8_1, 32).code(), StatusCode::kUnimplemented);
}

TEST(MatMulTest, EmptyShapesWriteNothing) {
  ThreadPool pool(2);
  std::vector<uint8_t> w(1024);
  std::vector<float> x(64, 1.0f), y(4, 7.0f);
  MatMul(TensorType::kQ8_0, w.data(), 0, 32, x.data(), 2, y.data(), pool);
  MatMul(TensorType::kQ8_0, w.data(), 2, 32, x.data(), 0, y.data(), pool);
  for (float v : y) EXPECT_EQ(v, 7.0f);
}

}  // namespace
}  // namespace locai::engine

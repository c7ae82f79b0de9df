// Every SIMD kernel against the scalar reference, on shapes that exercise the tile edges.
#include "engine/kernels/kernels.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <tuple>
#include <vector>

#include "engine/kernels/cpu_features.h"
#include "engine/kernels/test_util.h"

namespace locai::engine {
namespace {

using testing::kMatMulTypes;
using testing::RandomFloats;
using testing::RandomMatrix;
using testing::RowSize;

// Activation rows for `tokens` tokens, plus sum |w||x| bounds for the tolerance.
struct Problem {
  int64_t rows, cols, tokens;
  std::vector<uint8_t> w;
  std::vector<uint8_t> act;
  int64_t act_bytes;
};

Problem MakeProblem(TensorType type, int64_t rows, int64_t cols, int64_t tokens, uint32_t seed) {
  Problem p{rows, cols, tokens, RandomMatrix(type, rows, cols, seed), {}, 0};
  p.act_bytes = ActivationRowBytes(type, cols);
  p.act.resize(static_cast<size_t>(p.act_bytes * tokens));
  const std::vector<float> x = RandomFloats(cols * tokens, seed + 1000);
  for (int64_t t = 0; t < tokens; ++t) {
    QuantizeActivations(type, x.data() + t * cols, p.act.data() + t * p.act_bytes, cols);
  }
  return p;
}

std::vector<float> RunGemm(GemmFn gemm, const Problem& p, TensorType type) {
  std::vector<float> y(static_cast<size_t>(p.rows * p.tokens), NAN);
  GemmArgs args{p.cols,   p.w.data(),   RowSize(type, p.cols),
                p.rows,   p.act.data(), p.act_bytes,
                p.tokens, y.data(),     p.rows};
  gemm(args);
  return y;
}

// Magnitude scale of a dot product: sqrt(cols) for N(0,1) data; the kernels differ only in f32
// summation order, so 1e-5 of that is ample and still catches any wrong element or scale.
double Tolerance(int64_t cols) { return 2e-5 * std::sqrt(static_cast<double>(cols)) + 1e-6; }

std::vector<int64_t> ColumnCounts(TensorType type) {
  const int64_t block = Traits(type).block_size;
  if (block == 1) return {1, 7, 8, 13, 16, 37, 260};
  if (block == 32) return {32, 64, 96, 288};
  return {256, 512, 768};
}

TEST(KernelsTest, ScalarSetCoversEveryMatMulType) {
  for (TensorType type : kMatMulTypes) {
    EXPECT_TRUE(IsMatMulType(type));
    EXPECT_NE(ScalarKernels().Gemm(type), nullptr) << Traits(type).name;
    EXPECT_NE(ScalarKernels().VecDot(type), nullptr) << Traits(type).name;
    EXPECT_NE(BestKernels().Gemm(type), nullptr) << Traits(type).name;
  }
  EXPECT_FALSE(IsMatMulType(TensorType::kQ8_K));
}

TEST(KernelsTest, SimdGemmMatchesScalar) {
  int sets_tested = 0;
  for (const KernelSet* set : SimdKernelSets()) {
    if (set == nullptr) continue;
    ++sets_tested;
    for (TensorType type : kMatMulTypes) {
      ASSERT_NE(set->Gemm(type), nullptr) << set->name << " " << Traits(type).name;
      for (int64_t cols : ColumnCounts(type)) {
        for (int64_t rows : {1, 3, 4, 5, 9}) {
          for (int64_t tokens : {1, 2, 3, 4, 5, 7, 9}) {
            const Problem p = MakeProblem(type, rows, cols, tokens,
                                          static_cast<uint32_t>(rows * 100 + tokens + cols));
            const std::vector<float> ref = RunGemm(ScalarKernels().Gemm(type), p, type);
            const std::vector<float> got = RunGemm(set->Gemm(type), p, type);
            for (size_t i = 0; i < ref.size(); ++i) {
              ASSERT_NEAR(got[i], ref[i], Tolerance(cols))
                  << set->name << " " << Traits(type).name << " rows " << rows << " cols " << cols
                  << " tokens " << tokens << " index " << i;
            }
          }
        }
      }
    }
  }
  // On x86-64 CI machines at least the AVX2 set must exist, or this test would test nothing.
#if LOCAI_X86
  EXPECT_GE(sets_tested, 1);
#endif
}

TEST(KernelsTest, SimdVecDotMatchesScalar) {
  for (const KernelSet* set : SimdKernelSets()) {
    if (set == nullptr) continue;
    for (TensorType type : kMatMulTypes) {
      for (int64_t cols : ColumnCounts(type)) {
        const Problem p = MakeProblem(type, 1, cols, 1, static_cast<uint32_t>(cols));
        const float ref = ScalarKernels().VecDot(type)(cols, p.w.data(), p.act.data());
        const float got = set->VecDot(type)(cols, p.w.data(), p.act.data());
        EXPECT_NEAR(got, ref, Tolerance(cols)) << set->name << " " << Traits(type).name;
      }
    }
  }
}

TEST(KernelsTest, SimdActivationQuantisationIsBitIdentical) {
  for (const KernelSet* set : SimdKernelSets()) {
    if (set == nullptr) continue;
    for (const auto& [fmt_type, scalar_fn, simd_fn] :
         {std::tuple{TensorType::kQ8_0, ScalarKernels().quantize_q8_block32,
                     set->quantize_q8_block32},
          std::tuple{TensorType::kQ4_K, ScalarKernels().quantize_q8_k, set->quantize_q8_k}}) {
      ASSERT_NE(simd_fn, nullptr) << set->name;
      for (uint32_t seed = 0; seed < 20; ++seed) {
        const int64_t n = 512;
        std::vector<float> x = RandomFloats(n, seed, seed % 2 ? 1e-3f : 30.0f);
        // Exact halves after scaling: the largest element is 127 * d, so x = k/2 * d are ties.
        x[0] = 127.0f;
        x[1] = 0.5f;
        x[2] = -2.5f;
        x[300] = 0.0f;
        x[301] = -127.0f;
        x[302] = 63.5f;
        std::fill(x.begin() + 32, x.begin() + 64, 0.0f);  // an all-zero block
        std::vector<uint8_t> want(static_cast<size_t>(ActivationRowBytes(fmt_type, n)));
        std::vector<uint8_t> got(want.size());
        scalar_fn(x.data(), want.data(), n);
        simd_fn(x.data(), got.data(), n);
        ASSERT_EQ(want, got) << set->name << " " << Traits(fmt_type).name << " seed " << seed;
      }
    }
  }
}

// Q8_0 weights may hold -128 (llama.cpp's quantiser never writes it, but a file can).
TEST(KernelsTest, Q8_0ExtremeCodesMatchScalar) {
  Problem p = MakeProblem(TensorType::kQ8_0, 5, 64, 3, 11);
  const int64_t row_bytes = RowSize(TensorType::kQ8_0, 64);
  for (int64_t r = 0; r < 5; ++r) {
    for (int b = 0; b < 2; ++b) {
      for (int j = 0; j < 32; ++j) {
        p.w[static_cast<size_t>(r * row_bytes + b * 34 + 2 + j)] =
            static_cast<uint8_t>(j % 2 ? 0x80 : 0x7f);
      }
    }
  }
  const std::vector<float> ref =
      RunGemm(ScalarKernels().Gemm(TensorType::kQ8_0), p, TensorType::kQ8_0);
  for (const KernelSet* set : SimdKernelSets()) {
    if (set == nullptr) continue;
    const std::vector<float> got = RunGemm(set->Gemm(TensorType::kQ8_0), p, TensorType::kQ8_0);
    for (size_t i = 0; i < ref.size(); ++i) {
      EXPECT_NEAR(got[i], ref[i], 1e-5 * std::fabs(ref[i]) + 1e-4) << set->name << " " << i;
    }
  }
}

}  // namespace
}  // namespace locai::engine

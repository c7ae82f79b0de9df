// Dot-product kernels behind MatMul, as swappable sets: a portable scalar reference and SIMD
// versions chosen at run time for the CPU (see cpu_features.h).
//
// A weight row of type T is multiplied with an activation row that was first converted by
// QuantizeActivations to T's partner format (ActivationFormatFor): f32 for F32/F16/BF16 weights,
// ActBlock32 (8-bit, Q8_0/Q8_1 numerics) for the 32-element types, BlockQ8_K for the K-quants.
// Integer parts are exact; only the f32 accumulation order differs between kernel sets.
// Thread-safety: the sets are immutable; kernels are pure functions of their arguments.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "engine/kernels/tensor_type.h"

namespace locai::engine {

enum class ActivationFormat { kF32, kQ8Block32, kQ8K };

// The partner format for weights of `weight_type`.
ActivationFormat ActivationFormatFor(TensorType weight_type);

// Bytes of one activation row of `n` elements for weights of `weight_type`.
int64_t ActivationRowBytes(TensorType weight_type, int64_t n);

// Converts `n` floats (n a multiple of the weight type's block size) into `dst`
// (ActivationRowBytes bytes).
void QuantizeActivations(TensorType weight_type, const float* x, void* dst, int64_t n);

// One block of a matrix product: y[t * y_stride + r] = dot(weight row r, activation row t) for
// r < rows, t < tokens. Rows are `w_stride` bytes apart, activation rows `act_stride` bytes.
struct GemmArgs {
  int64_t n;  // elements per row
  const uint8_t* w;
  int64_t w_stride;
  int64_t rows;
  const uint8_t* act;
  int64_t act_stride;
  int64_t tokens;
  float* y;
  int64_t y_stride;
};
using GemmFn = void (*)(const GemmArgs& args);
// Dot product of one weight row with one activation row of `n` elements.
using VecDotFn = float (*)(int64_t n, const void* w_row, const void* act_row);

inline constexpr int kNumTypeSlots = 32;  // indexed by the TensorType value

// Converts `n` floats to one activation row of a quantised format (as QuantizeActivations).
using QuantizeActFn = void (*)(const float* x, void* dst, int64_t n);

struct KernelSet {
  std::string_view name;
  std::array<GemmFn, kNumTypeSlots> gemm{};       // null where the set has no kernel
  std::array<VecDotFn, kNumTypeSlots> vec_dot{};  // null where the set has no kernel
  // Bit-identical to the scalar conversion; null where the set has none.
  QuantizeActFn quantize_q8_block32 = nullptr;
  QuantizeActFn quantize_q8_k = nullptr;

  GemmFn Gemm(TensorType t) const { return gemm[static_cast<uint32_t>(t)]; }
  VecDotFn VecDot(TensorType t) const { return vec_dot[static_cast<uint32_t>(t)]; }
};

// Whether MatMul handles weights of `type` (F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0,
// Q2_K..Q6_K).
bool IsMatMulType(TensorType type);

// The portable reference kernels (dequantise to f32, then multiply): every type, any CPU.
const KernelSet& ScalarKernels();
// The fastest set this CPU supports; falls back to the scalar one type by type.
const KernelSet& BestKernels();
// Every SIMD set compiled in and supported by this CPU (for tests and benchmarks), best last.
std::array<const KernelSet*, 2> SimdKernelSets();

namespace internal {
// Defined in the SIMD translation units; return null when not compiled for this architecture.
const KernelSet* Avx2Kernels();
const KernelSet* Avx512VnniKernels();
}  // namespace internal

}  // namespace locai::engine

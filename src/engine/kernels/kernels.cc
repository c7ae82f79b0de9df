// Activation formats and kernel-set selection. The scalar reference kernels live in
// kernels_scalar.cc, the SIMD ones in kernels_x86.inc (compiled once per instruction set).
#include "engine/kernels/kernels.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstring>

#include "engine/kernels/cpu_features.h"
#include "engine/kernels/fp16.h"
#include "engine/kernels/quant.h"
#include "engine/kernels/quant_blocks.h"

namespace locai::engine {

ActivationFormat ActivationFormatFor(TensorType weight_type) {
  switch (weight_type) {
    case TensorType::kQ4_0:
    case TensorType::kQ4_1:
    case TensorType::kQ5_0:
    case TensorType::kQ5_1:
    case TensorType::kQ8_0:
    case TensorType::kQ8_1:
      return ActivationFormat::kQ8Block32;
    case TensorType::kQ2_K:
    case TensorType::kQ3_K:
    case TensorType::kQ4_K:
    case TensorType::kQ5_K:
    case TensorType::kQ6_K:
    case TensorType::kQ8_K:
      return ActivationFormat::kQ8K;
    default:
      return ActivationFormat::kF32;
  }
}

int64_t ActivationRowBytes(TensorType weight_type, int64_t n) {
  switch (ActivationFormatFor(weight_type)) {
    case ActivationFormat::kQ8Block32:
      return n / kQk * static_cast<int64_t>(sizeof(ActBlock32));
    case ActivationFormat::kQ8K:
      return n / kQkK * static_cast<int64_t>(sizeof(BlockQ8_K));
    case ActivationFormat::kF32:
      break;
  }
  return n * static_cast<int64_t>(sizeof(float));
}

void QuantizeActivations(TensorType weight_type, const float* x, void* dst, int64_t n) {
  switch (ActivationFormatFor(weight_type)) {
    case ActivationFormat::kF32:
      std::memcpy(dst, x, static_cast<size_t>(n) * sizeof(float));
      return;
    case ActivationFormat::kQ8K: {
      const Status status = QuantizeRow(TensorType::kQ8_K, x, dst, n);
      assert(status.ok());
      (void)status;
      return;
    }
    case ActivationFormat::kQ8Block32:
      break;
  }
  auto* blocks = static_cast<ActBlock32*>(dst);
  for (int64_t b = 0; b < n / kQk; ++b, x += kQk) {
    float amax = 0.0f;
    for (int j = 0; j < kQk; ++j) amax = std::max(amax, std::fabs(x[j]));
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    int sum = 0;
    for (int j = 0; j < kQk; ++j) {
      // |x * id| <= 127 up to rounding, so the conversion cannot overflow.
      const int q = std::clamp(static_cast<int>(std::round(x[j] * id)), -127, 127);
      blocks[b].qs[j] = static_cast<int8_t>(q);
      sum += q;
    }
    blocks[b].d = Fp16ToF32(F32ToFp16(d));  // Q8_0 keeps its scale in fp16
    blocks[b].s = blocks[b].d * static_cast<float>(sum);
  }
}

bool IsMatMulType(TensorType type) {
  switch (type) {
    case TensorType::kF32:
    case TensorType::kF16:
    case TensorType::kBF16:
    case TensorType::kQ4_0:
    case TensorType::kQ4_1:
    case TensorType::kQ5_0:
    case TensorType::kQ5_1:
    case TensorType::kQ8_0:
    case TensorType::kQ2_K:
    case TensorType::kQ3_K:
    case TensorType::kQ4_K:
    case TensorType::kQ5_K:
    case TensorType::kQ6_K:
      return true;
    default:
      return false;
  }
}

std::array<const KernelSet*, 2> SimdKernelSets() {
  std::array<const KernelSet*, 2> sets{};
  const CpuFeatures& cpu = HostCpuFeatures();
  if (cpu.avx2_fma_f16c) sets[0] = internal::Avx2Kernels();
  if (cpu.avx512_vnni) sets[1] = internal::Avx512VnniKernels();
  return sets;
}

namespace {

KernelSet MakeBest() {
  KernelSet best = ScalarKernels();
  for (const KernelSet* set : SimdKernelSets()) {
    if (set == nullptr) continue;
    best.name = set->name;
    if (set->quantize_q8_block32 != nullptr) best.quantize_q8_block32 = set->quantize_q8_block32;
    if (set->quantize_q8_k != nullptr) best.quantize_q8_k = set->quantize_q8_k;
    for (int i = 0; i < kNumTypeSlots; ++i) {
      if (set->gemm[i] != nullptr) best.gemm[i] = set->gemm[i];
      if (set->vec_dot[i] != nullptr) best.vec_dot[i] = set->vec_dot[i];
    }
  }
  return best;
}

}  // namespace

const KernelSet& BestKernels() {
  static const KernelSet best = MakeBest();
  return best;
}

}  // namespace locai::engine

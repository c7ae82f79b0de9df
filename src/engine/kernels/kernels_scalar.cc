// Reference kernels: decode both operands of each block to f32 and multiply. Slow but obviously
// right, so the SIMD kernels are tested against them; also the fallback on CPUs without SIMD.
#include <cstring>

#include "engine/kernels/kernels.h"
#include "engine/kernels/quant.h"
#include "engine/kernels/quant_blocks.h"

namespace locai::engine {

namespace {

constexpr int64_t kChunk = 256;  // elements decoded at a time; a multiple of every block size

// Decodes elements [begin, begin + count) of an activation row.
void DecodeActivations(ActivationFormat format, const void* act, int64_t begin, int64_t count,
                       float* out) {
  switch (format) {
    case ActivationFormat::kF32:
      std::memcpy(out, static_cast<const float*>(act) + begin,
                  static_cast<size_t>(count) * sizeof(float));
      return;
    case ActivationFormat::kQ8K:
      DequantizeRow(TensorType::kQ8_K, static_cast<const BlockQ8_K*>(act) + begin / kQkK, out,
                    count);
      return;
    case ActivationFormat::kQ8Block32: {
      const ActBlock32* blocks = static_cast<const ActBlock32*>(act) + begin / kQk;
      for (int64_t i = 0; i < count; ++i) {
        out[i] = blocks[i / kQk].d * static_cast<float>(blocks[i / kQk].qs[i % kQk]);
      }
      return;
    }
  }
}

template <TensorType kType>
float VecDotRef(int64_t n, const void* w_row, const void* act_row) {
  const TensorTypeTraits& traits = Traits(kType);
  const ActivationFormat format = ActivationFormatFor(kType);
  float w[kChunk], a[kChunk];
  float sum = 0.0f;
  for (int64_t begin = 0; begin < n; begin += kChunk) {
    const int64_t count = n - begin < kChunk ? n - begin : kChunk;
    const auto* src =
        static_cast<const uint8_t*>(w_row) + begin / traits.block_size * traits.block_bytes;
    DequantizeRow(kType, src, w, count);
    DecodeActivations(format, act_row, begin, count, a);
    float chunk_sum = 0.0f;
    for (int64_t i = 0; i < count; ++i) chunk_sum += w[i] * a[i];
    sum += chunk_sum;
  }
  return sum;
}

template <TensorType kType>
void GemmRef(const GemmArgs& args) {
  for (int64_t t = 0; t < args.tokens; ++t) {
    for (int64_t r = 0; r < args.rows; ++r) {
      args.y[t * args.y_stride + r] =
          VecDotRef<kType>(args.n, args.w + r * args.w_stride, args.act + t * args.act_stride);
    }
  }
}

template <TensorType kType>
void Register(KernelSet& set) {
  set.gemm[static_cast<uint32_t>(kType)] = &GemmRef<kType>;
  set.vec_dot[static_cast<uint32_t>(kType)] = &VecDotRef<kType>;
}

KernelSet MakeScalar() {
  KernelSet set;
  set.name = "scalar";
  set.quantize_q8_block32 = [](const float* x, void* dst, int64_t n) {
    QuantizeActivations(TensorType::kQ8_0, x, dst, n);
  };
  set.quantize_q8_k = [](const float* x, void* dst, int64_t n) {
    QuantizeActivations(TensorType::kQ4_K, x, dst, n);
  };
  Register<TensorType::kF32>(set);
  Register<TensorType::kF16>(set);
  Register<TensorType::kBF16>(set);
  Register<TensorType::kQ4_0>(set);
  Register<TensorType::kQ4_1>(set);
  Register<TensorType::kQ5_0>(set);
  Register<TensorType::kQ5_1>(set);
  Register<TensorType::kQ8_0>(set);
  Register<TensorType::kQ2_K>(set);
  Register<TensorType::kQ3_K>(set);
  Register<TensorType::kQ4_K>(set);
  Register<TensorType::kQ5_K>(set);
  Register<TensorType::kQ6_K>(set);
  return set;
}

}  // namespace

const KernelSet& ScalarKernels() {
  static const KernelSet set = MakeScalar();
  return set;
}

}  // namespace locai::engine

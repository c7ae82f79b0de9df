// QuantizeRow for the plain-float and 32-element block types, and the dispatch to the K-quant
// quantisers in quantize_k.cc. The 32-element types use a single max-based scale per block, the
// classic scheme these formats were designed for.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "engine/kernels/fp16.h"
#include "engine/kernels/quant.h"
#include "engine/kernels/quant_blocks.h"
#include "engine/kernels/quantize_internal.h"

namespace locai::engine {

namespace internal {

int RoundToInt(float v) {
  const float r = std::round(v);
  if (!(r > -2147483648.0f)) return INT32_MIN;  // also NaN
  if (r >= 2147483647.0f) return INT32_MAX;
  return static_cast<int>(r);
}

}  // namespace internal

namespace {

using internal::RoundToInt;

// The element of largest magnitude, sign kept.
float SignedAbsMax(const float* x, int n) {
  float amax = 0.0f, max = 0.0f;
  for (int j = 0; j < n; ++j) {
    if (std::fabs(x[j]) > amax) {
      amax = std::fabs(x[j]);
      max = x[j];
    }
  }
  return max;
}

uint8_t ClampU8(int v, int hi) { return static_cast<uint8_t>(std::clamp(v, 0, hi)); }

void QuantizeQ4_0(const float* x, BlockQ4_0* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQk) {
    // The largest-magnitude element maps to -8, the one extreme code with no positive twin.
    const float d = SignedAbsMax(x, kQk) / -8.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[i].d = F32ToFp16(d);
    for (int j = 0; j < kQk / 2; ++j) {
      const uint8_t lo = ClampU8(RoundToInt(x[j] * id) + 8, 15);
      const uint8_t hi = ClampU8(RoundToInt(x[j + kQk / 2] * id) + 8, 15);
      y[i].qs[j] = static_cast<uint8_t>(lo | (hi << 4));
    }
  }
}

void MinMax(const float* x, int n, float* lo, float* hi) {
  *lo = x[0];
  *hi = x[0];
  for (int j = 1; j < n; ++j) {
    *lo = std::min(*lo, x[j]);
    *hi = std::max(*hi, x[j]);
  }
}

void QuantizeQ4_1(const float* x, BlockQ4_1* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQk) {
    float lo, hi;
    MinMax(x, kQk, &lo, &hi);
    const float d = (hi - lo) / 15.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[i].d = F32ToFp16(d);
    y[i].m = F32ToFp16(lo);
    const float m = Fp16ToF32(y[i].m);
    for (int j = 0; j < kQk / 2; ++j) {
      const uint8_t q0 = ClampU8(RoundToInt((x[j] - m) * id), 15);
      const uint8_t q1 = ClampU8(RoundToInt((x[j + kQk / 2] - m) * id), 15);
      y[i].qs[j] = static_cast<uint8_t>(q0 | (q1 << 4));
    }
  }
}

void QuantizeQ5_0(const float* x, BlockQ5_0* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQk) {
    const float d = SignedAbsMax(x, kQk) / -16.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[i].d = F32ToFp16(d);
    uint32_t qh = 0;
    for (int j = 0; j < kQk / 2; ++j) {
      const uint8_t q0 = ClampU8(RoundToInt(x[j] * id) + 16, 31);
      const uint8_t q1 = ClampU8(RoundToInt(x[j + kQk / 2] * id) + 16, 31);
      y[i].qs[j] = static_cast<uint8_t>((q0 & 0x0f) | ((q1 & 0x0f) << 4));
      qh |= static_cast<uint32_t>(q0 >> 4) << j;
      qh |= static_cast<uint32_t>(q1 >> 4) << (j + kQk / 2);
    }
    std::memcpy(y[i].qh, &qh, 4);
  }
}

void QuantizeQ5_1(const float* x, BlockQ5_1* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQk) {
    float lo, hi;
    MinMax(x, kQk, &lo, &hi);
    const float d = (hi - lo) / 31.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[i].d = F32ToFp16(d);
    y[i].m = F32ToFp16(lo);
    const float m = Fp16ToF32(y[i].m);
    uint32_t qh = 0;
    for (int j = 0; j < kQk / 2; ++j) {
      const uint8_t q0 = ClampU8(RoundToInt((x[j] - m) * id), 31);
      const uint8_t q1 = ClampU8(RoundToInt((x[j + kQk / 2] - m) * id), 31);
      y[i].qs[j] = static_cast<uint8_t>((q0 & 0x0f) | ((q1 & 0x0f) << 4));
      qh |= static_cast<uint32_t>(q0 >> 4) << j;
      qh |= static_cast<uint32_t>(q1 >> 4) << (j + kQk / 2);
    }
    std::memcpy(y[i].qh, &qh, 4);
  }
}

// Shared by Q8_0 and Q8_1: symmetric 8-bit with d = amax / 127. Returns sum(qs).
int Quantize8(const float* x, int8_t* qs, float* d_out) {
  float amax = 0.0f;
  for (int j = 0; j < kQk; ++j) amax = std::max(amax, std::fabs(x[j]));
  const float d = amax / 127.0f;
  const float id = d != 0.0f ? 1.0f / d : 0.0f;
  int sum = 0;
  for (int j = 0; j < kQk; ++j) {
    qs[j] = static_cast<int8_t>(std::clamp(RoundToInt(x[j] * id), -127, 127));
    sum += qs[j];
  }
  *d_out = d;
  return sum;
}

void QuantizeQ8_0(const float* x, BlockQ8_0* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQk) {
    float d;
    Quantize8(x, y[i].qs, &d);
    y[i].d = F32ToFp16(d);
  }
}

void QuantizeQ8_1(const float* x, BlockQ8_1* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQk) {
    float d;
    const int sum = Quantize8(x, y[i].qs, &d);
    y[i].d = F32ToFp16(d);
    y[i].s = F32ToFp16(d * static_cast<float>(sum));
  }
}

}  // namespace

Status QuantizeRow(TensorType type, const float* src, void* dst, int64_t n) {
  const int64_t block = Traits(type).block_size;
  if (n < 0 || n % block != 0) {
    return Status::InvalidArgument("QuantizeRow: " + std::to_string(n) +
                                   " elements is not a whole number of " +
                                   std::string(Traits(type).name) + " blocks");
  }
  const int64_t nb = n / block;
  switch (type) {
    case TensorType::kF32:
      std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
      return Status::Ok();
    case TensorType::kF16:
      F32ToFp16Row(src, static_cast<uint16_t*>(dst), n);
      return Status::Ok();
    case TensorType::kBF16:
      F32ToBf16Row(src, static_cast<uint16_t*>(dst), n);
      return Status::Ok();
    case TensorType::kQ4_0:
      QuantizeQ4_0(src, static_cast<BlockQ4_0*>(dst), nb);
      return Status::Ok();
    case TensorType::kQ4_1:
      QuantizeQ4_1(src, static_cast<BlockQ4_1*>(dst), nb);
      return Status::Ok();
    case TensorType::kQ5_0:
      QuantizeQ5_0(src, static_cast<BlockQ5_0*>(dst), nb);
      return Status::Ok();
    case TensorType::kQ5_1:
      QuantizeQ5_1(src, static_cast<BlockQ5_1*>(dst), nb);
      return Status::Ok();
    case TensorType::kQ8_0:
      QuantizeQ8_0(src, static_cast<BlockQ8_0*>(dst), nb);
      return Status::Ok();
    case TensorType::kQ8_1:
      QuantizeQ8_1(src, static_cast<BlockQ8_1*>(dst), nb);
      return Status::Ok();
    case TensorType::kQ2_K:
      internal::QuantizeQ2_K(src, static_cast<BlockQ2_K*>(dst), nb);
      return Status::Ok();
    case TensorType::kQ3_K:
      internal::QuantizeQ3_K(src, static_cast<BlockQ3_K*>(dst), nb);
      return Status::Ok();
    case TensorType::kQ4_K:
      internal::QuantizeQ4_K(src, static_cast<BlockQ4_K*>(dst), nb);
      return Status::Ok();
    case TensorType::kQ5_K:
      internal::QuantizeQ5_K(src, static_cast<BlockQ5_K*>(dst), nb);
      return Status::Ok();
    case TensorType::kQ6_K:
      internal::QuantizeQ6_K(src, static_cast<BlockQ6_K*>(dst), nb);
      return Status::Ok();
    case TensorType::kQ8_K:
      internal::QuantizeQ8_K(src, static_cast<BlockQ8_K*>(dst), nb);
      return Status::Ok();
  }
  return Status::Unimplemented("QuantizeRow: unsupported tensor type " +
                               std::to_string(static_cast<uint32_t>(type)));
}

}  // namespace locai::engine

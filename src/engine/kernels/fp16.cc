#include "engine/kernels/fp16.h"

#include "engine/kernels/cpu_features.h"

#if LOCAI_X86
#include <immintrin.h>
#endif

namespace locai::engine {

namespace {

#if LOCAI_X86
LOCAI_TARGET_AVX2 void Fp16ToF32RowF16c(const uint16_t* src, float* dst, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i));
    _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(h));
  }
  for (; i < n; ++i) dst[i] = Fp16ToF32(src[i]);
}

LOCAI_TARGET_AVX2 void F32ToFp16RowF16c(const float* src, uint16_t* dst, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i), h);
  }
  for (; i < n; ++i) dst[i] = F32ToFp16(src[i]);
}

LOCAI_TARGET_AVX2 void Bf16ToF32RowAvx2(const uint16_t* src, float* dst, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i));
    const __m256i w = _mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16);
    _mm256_storeu_ps(dst + i, _mm256_castsi256_ps(w));
  }
  for (; i < n; ++i) dst[i] = Bf16ToF32(src[i]);
}
#endif

}  // namespace

void Fp16ToF32Row(const uint16_t* src, float* dst, int64_t n) {
#if LOCAI_X86
  if (HostCpuFeatures().avx2_fma_f16c) return Fp16ToF32RowF16c(src, dst, n);
#endif
  for (int64_t i = 0; i < n; ++i) dst[i] = Fp16ToF32(src[i]);
}

void F32ToFp16Row(const float* src, uint16_t* dst, int64_t n) {
#if LOCAI_X86
  if (HostCpuFeatures().avx2_fma_f16c) return F32ToFp16RowF16c(src, dst, n);
#endif
  for (int64_t i = 0; i < n; ++i) dst[i] = F32ToFp16(src[i]);
}

void Bf16ToF32Row(const uint16_t* src, float* dst, int64_t n) {
#if LOCAI_X86
  if (HostCpuFeatures().avx2_fma_f16c) return Bf16ToF32RowAvx2(src, dst, n);
#endif
  for (int64_t i = 0; i < n; ++i) dst[i] = Bf16ToF32(src[i]);
}

void F32ToBf16Row(const float* src, uint16_t* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] = F32ToBf16(src[i]);
}

}  // namespace locai::engine

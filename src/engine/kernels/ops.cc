#include "engine/kernels/ops.h"

#include <cmath>

#include "engine/kernels/cpu_features.h"
#include "engine/kernels/fp16.h"

#if LOCAI_X86
#include <immintrin.h>
#endif

namespace locai::engine {

namespace {

// ----- portable versions -----

float SumSquaresScalar(const float* x, int64_t n) {
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(x[i]) * x[i];
  return static_cast<float>(sum);
}

float DotF32Scalar(const float* a, const float* b, int64_t n) {
  float sum = 0.0f;
  for (int64_t i = 0; i < n; ++i) sum += a[i] * b[i];
  return sum;
}

#if LOCAI_X86

LOCAI_TARGET_AVX2 inline float HorizontalSum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// exp(x) for 8 lanes: x = n ln2 + r with |r| <= ln2/2, exp(r) by a degree-6 Taylor polynomial
// (relative error ~2e-7), 2^n through the exponent bits. Inputs below -87.3 give 0.
LOCAI_TARGET_AVX2 inline __m256 Exp8(__m256 x) {
  const __m256 underflow = _mm256_cmp_ps(x, _mm256_set1_ps(-87.3f), _CMP_LT_OQ);
  x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.3f)), _mm256_set1_ps(88.0f));
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.0f / 720.0f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
  const __m256i bits =
      _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  const __m256 result = _mm256_mul_ps(p, _mm256_castsi256_ps(bits));
  return _mm256_andnot_ps(underflow, result);
}

LOCAI_TARGET_AVX2 float SumSquaresAvx2(const float* x, int64_t n) {
  __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m256 v0 = _mm256_loadu_ps(x + i), v1 = _mm256_loadu_ps(x + i + 8);
    a0 = _mm256_fmadd_ps(v0, v0, a0);
    a1 = _mm256_fmadd_ps(v1, v1, a1);
  }
  float sum = HorizontalSum(_mm256_add_ps(a0, a1));
  for (; i < n; ++i) sum += x[i] * x[i];
  return sum;
}

LOCAI_TARGET_AVX2 void ScaleMulAvx2(const float* x, const float* weight, float scale, float* out,
                                    int64_t n) {
  const __m256 s = _mm256_set1_ps(scale);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256 v = _mm256_mul_ps(_mm256_loadu_ps(x + i), s);
    if (weight != nullptr) v = _mm256_mul_ps(v, _mm256_loadu_ps(weight + i));
    _mm256_storeu_ps(out + i, v);
  }
  for (; i < n; ++i) out[i] = x[i] * scale * (weight != nullptr ? weight[i] : 1.0f);
}

LOCAI_TARGET_AVX2 float DotF32Avx2(const float* a, const float* b, int64_t n) {
  __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    a0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), a0);
    a1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), a1);
  }
  for (; i + 8 <= n; i += 8) {
    a0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), a0);
  }
  float sum = HorizontalSum(_mm256_add_ps(a0, a1));
  for (; i < n; ++i) sum += a[i] * b[i];
  return sum;
}

LOCAI_TARGET_AVX2 inline __m256 LoadF16(const uint16_t* p) {
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}

LOCAI_TARGET_AVX2 float DotF16F32Avx2(const uint16_t* a, const float* b, int64_t n) {
  __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    a0 = _mm256_fmadd_ps(LoadF16(a + i), _mm256_loadu_ps(b + i), a0);
    a1 = _mm256_fmadd_ps(LoadF16(a + i + 8), _mm256_loadu_ps(b + i + 8), a1);
  }
  for (; i + 8 <= n; i += 8) a0 = _mm256_fmadd_ps(LoadF16(a + i), _mm256_loadu_ps(b + i), a0);
  float sum = HorizontalSum(_mm256_add_ps(a0, a1));
  for (; i < n; ++i) sum += Fp16ToF32(a[i]) * b[i];
  return sum;
}

LOCAI_TARGET_AVX2 void AxpyF16Avx2(float a, const uint16_t* x, float* y, int64_t n) {
  const __m256 av = _mm256_set1_ps(a);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    _mm256_storeu_ps(y + i, _mm256_fmadd_ps(av, LoadF16(x + i), _mm256_loadu_ps(y + i)));
  }
  for (; i < n; ++i) y[i] += a * Fp16ToF32(x[i]);
}

LOCAI_TARGET_AVX2 void AxpyF32Avx2(float a, const float* x, float* y, int64_t n) {
  const __m256 av = _mm256_set1_ps(a);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    _mm256_storeu_ps(y + i, _mm256_fmadd_ps(av, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
  }
  for (; i < n; ++i) y[i] += a * x[i];
}

LOCAI_TARGET_AVX2 void SoftmaxAvx2(float* x, int64_t n) {
  float max = x[0];
  for (int64_t i = 1; i < n; ++i) max = x[i] > max ? x[i] : max;
  const __m256 mv = _mm256_set1_ps(max);
  __m256 sv = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 e = Exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i), mv));
    _mm256_storeu_ps(x + i, e);
    sv = _mm256_add_ps(sv, e);
  }
  float sum = HorizontalSum(sv);
  for (; i < n; ++i) {
    x[i] = std::exp(x[i] - max);
    sum += x[i];
  }
  const __m256 inv = _mm256_set1_ps(1.0f / sum);
  for (i = 0; i + 8 <= n; i += 8)
    _mm256_storeu_ps(x + i, _mm256_mul_ps(_mm256_loadu_ps(x + i), inv));
  for (; i < n; ++i) x[i] *= 1.0f / sum;
}

LOCAI_TARGET_AVX2 void SiluMulAvx2(const float* gate, const float* up, float* out, int64_t n) {
  const __m256 one = _mm256_set1_ps(1.0f);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 g = _mm256_loadu_ps(gate + i);
    const __m256 e = Exp8(_mm256_sub_ps(_mm256_setzero_ps(), g));
    const __m256 silu = _mm256_div_ps(g, _mm256_add_ps(one, e));
    _mm256_storeu_ps(out + i, _mm256_mul_ps(silu, _mm256_loadu_ps(up + i)));
  }
  for (; i < n; ++i) out[i] = gate[i] / (1.0f + std::exp(-gate[i])) * up[i];
}

bool HasAvx2() { return HostCpuFeatures().avx2_fma_f16c; }

#endif

}  // namespace

#if LOCAI_X86
#define LOCAI_DISPATCH_AVX2(call) \
  if (HasAvx2()) return call
#else
#define LOCAI_DISPATCH_AVX2(call)
#endif

void RmsNorm(const float* x, const float* weight, float* out, int64_t n, float eps) {
  float sum;
#if LOCAI_X86
  if (HasAvx2()) {
    sum = SumSquaresAvx2(x, n);
  } else {
    sum = SumSquaresScalar(x, n);
  }
#else
  sum = SumSquaresScalar(x, n);
#endif
  const float scale = 1.0f / std::sqrt(sum / static_cast<float>(n) + eps);
  LOCAI_DISPATCH_AVX2(ScaleMulAvx2(x, weight, scale, out, n));
  for (int64_t i = 0; i < n; ++i) out[i] = x[i] * scale * (weight != nullptr ? weight[i] : 1.0f);
}

float DotF32(const float* a, const float* b, int64_t n) {
  LOCAI_DISPATCH_AVX2(DotF32Avx2(a, b, n));
  return DotF32Scalar(a, b, n);
}

float DotF16F32(const uint16_t* f16, const float* b, int64_t n) {
  LOCAI_DISPATCH_AVX2(DotF16F32Avx2(f16, b, n));
  float sum = 0.0f;
  for (int64_t i = 0; i < n; ++i) sum += Fp16ToF32(f16[i]) * b[i];
  return sum;
}

void AxpyF16(float a, const uint16_t* f16_x, float* y, int64_t n) {
  LOCAI_DISPATCH_AVX2(AxpyF16Avx2(a, f16_x, y, n));
  for (int64_t i = 0; i < n; ++i) y[i] += a * Fp16ToF32(f16_x[i]);
}

void AxpyF32(float a, const float* x, float* y, int64_t n) {
  LOCAI_DISPATCH_AVX2(AxpyF32Avx2(a, x, y, n));
  for (int64_t i = 0; i < n; ++i) y[i] += a * x[i];
}

void SoftmaxInPlace(float* x, int64_t n) {
  LOCAI_DISPATCH_AVX2(SoftmaxAvx2(x, n));
  float max = x[0];
  for (int64_t i = 1; i < n; ++i) max = x[i] > max ? x[i] : max;
  float sum = 0.0f;
  for (int64_t i = 0; i < n; ++i) {
    x[i] = std::exp(x[i] - max);
    sum += x[i];
  }
  const float inv = 1.0f / sum;
  for (int64_t i = 0; i < n; ++i) x[i] *= inv;
}

void SiluMul(const float* gate, const float* up, float* out, int64_t n) {
  LOCAI_DISPATCH_AVX2(SiluMulAvx2(gate, up, out, n));
  for (int64_t i = 0; i < n; ++i) out[i] = gate[i] / (1.0f + std::exp(-gate[i])) * up[i];
}

}  // namespace locai::engine

// Vector helpers for the model forward pass: normalisation, attention dot products and
// activations. Each uses AVX2/FMA/F16C when the CPU has them, with a portable fallback; results
// match the fallback up to f32 summation order (and ~1e-7 relative for the exp-based ones).
// Pointers must not alias unless stated. Thread-safety: pure functions.
#pragma once

#include <cstdint>

namespace locai::engine {

// out[i] = x[i] / sqrt(mean(x^2) + eps) * weight[i] (weight may be null: no scaling).
// out may alias x.
void RmsNorm(const float* x, const float* weight, float* out, int64_t n, float eps);

// sum a[i] * b[i].
float DotF32(const float* a, const float* b, int64_t n);

// sum f16[i] * b[i], f16 holding IEEE half bits (an F16 KV-cache row).
float DotF16F32(const uint16_t* f16, const float* b, int64_t n);

// y[i] += a * f16_x[i].
void AxpyF16(float a, const uint16_t* f16_x, float* y, int64_t n);

// y[i] += a * x[i].
void AxpyF32(float a, const float* x, float* y, int64_t n);

// x = exp(x - max) / sum(exp(x - max)). n >= 1.
void SoftmaxInPlace(float* x, int64_t n);

// out[i] = silu(gate[i]) * up[i], silu(g) = g / (1 + exp(-g)). out may alias gate or up.
void SiluMul(const float* gate, const float* up, float* out, int64_t n);

}  // namespace locai::engine

// Half-precision conversions: IEEE fp16 and bfloat16 to and from f32.
//
// The scalar functions are exact bit manipulations (no hardware dependence): fp16 -> f32 and
// bf16 -> f32 are exact, f32 -> fp16 and f32 -> bf16 round to nearest even (NaN stays NaN, values
// beyond the fp16 range become infinity), which is what F16C and llama.cpp do.
// The row functions use F16C/AVX2 when the CPU has them and give identical results.
// Thread-safety: pure functions.
#pragma once

#include <bit>
#include <cstdint>

namespace locai::engine {

inline float Fp16ToF32(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exponent = (h >> 10) & 0x1fu;
  const uint32_t mantissa = h & 0x3ffu;
  uint32_t bits;
  if (exponent == 0x1f) {
    bits = sign | 0x7f800000u | (mantissa << 13);  // inf / NaN (payload kept)
  } else if (exponent != 0) {
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {
    bits = sign;
  } else {
    // Subnormal: value = mantissa * 2^-24, exactly representable in f32.
    const float magnitude = static_cast<float>(mantissa) * 5.9604644775390625e-8f;
    return sign ? -magnitude : magnitude;
  }
  return std::bit_cast<float>(bits);
}

inline uint16_t F32ToFp16(float f) {
  const uint32_t bits = std::bit_cast<uint32_t>(f);
  const uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000u);
  const uint32_t abs_bits = bits & 0x7fffffffu;
  if (abs_bits > 0x7f800000u) {  // NaN: keep it quiet and non-zero
    return static_cast<uint16_t>(sign | 0x7e00u | ((abs_bits >> 13) & 0x3ffu));
  }
  if (abs_bits >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);  // rounds to inf
  if (abs_bits < 0x38800000u) {
    // Result is subnormal or zero: scale so that the fp16 subnormal unit is 1 and round to
    // nearest even with an integer shift.
    const uint32_t exponent = abs_bits >> 23;
    if (exponent < 102) return sign;  // below half of the smallest subnormal
    const uint32_t mantissa = (abs_bits & 0x7fffffu) | 0x800000u;
    const uint32_t shift = 126 - exponent;  // 14..24
    uint32_t value = mantissa >> shift;
    const uint32_t remainder = mantissa & ((1u << shift) - 1);
    const uint32_t half = 1u << (shift - 1);
    if (remainder > half || (remainder == half && (value & 1u))) ++value;
    return static_cast<uint16_t>(sign | value);
  }
  // Normal: rebias the exponent and round the mantissa to 10 bits, nearest even. A carry out of
  // the mantissa correctly bumps the exponent.
  uint32_t value = abs_bits - (112u << 23);
  value += 0x0fffu + ((value >> 13) & 1u);
  return static_cast<uint16_t>(sign | (value >> 13));
}

inline float Bf16ToF32(uint16_t h) { return std::bit_cast<float>(static_cast<uint32_t>(h) << 16); }

inline uint16_t F32ToBf16(float f) {
  const uint32_t bits = std::bit_cast<uint32_t>(f);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((bits >> 16) | 0x40u);
  return static_cast<uint16_t>((bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16);
}

// Row conversions, n elements.
void Fp16ToF32Row(const uint16_t* src, float* dst, int64_t n);
void F32ToFp16Row(const float* src, uint16_t* dst, int64_t n);
void Bf16ToF32Row(const uint16_t* src, float* dst, int64_t n);
void F32ToBf16Row(const float* src, uint16_t* dst, int64_t n);

}  // namespace locai::engine

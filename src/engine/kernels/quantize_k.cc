// K-quant quantisers. Each sub-block gets its own scale (and min) from a small search: several
// candidate step sizes are tried, each rounding is followed by a least-squares refit of the
// scale (and offset) to the chosen integers, and the fit with the lowest squared error wins. The
// sub-block scales are then quantised against the super-block scale(s) and the values are
// re-rounded with the scales actually stored, so the decoder sees a consistent block.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "engine/kernels/fp16.h"
#include "engine/kernels/quantize_internal.h"

namespace locai::engine::internal {

namespace {

// Fits x ~= scale * q - min with integer q in [0, nmax] and min >= 0 (affine fit for the types
// with mins). Returns the squared error; writes scale >= 0 and min >= 0.
float FitScaleMin(const float* x, int n, int nmax, float* scale_out, float* min_out) {
  float lo = x[0], hi = x[0];
  for (int i = 1; i < n; ++i) {
    lo = std::min(lo, x[i]);
    hi = std::max(hi, x[i]);
  }
  lo = std::min(lo, 0.0f);
  if (hi <= lo) {
    *scale_out = 0.0f;
    *min_out = -lo;
    return 0.0f;
  }
  float best_err = INFINITY, best_scale = (hi - lo) / static_cast<float>(nmax), best_min = -lo;
  for (int step = -4; step <= 12; ++step) {
    const float iscale = (static_cast<float>(nmax) + 0.1f * static_cast<float>(step)) / (hi - lo);
    double sq = 0, sq2 = 0, sx = 0, sqx = 0;
    for (int i = 0; i < n; ++i) {
      const int q = std::clamp(RoundToInt((x[i] - lo) * iscale), 0, nmax);
      sq += q;
      sq2 += static_cast<double>(q) * q;
      sx += x[i];
      sqx += static_cast<double>(q) * x[i];
    }
    const double det = n * sq2 - sq * sq;
    if (det <= 0) continue;
    double a = (n * sqx - sq * sx) / det;
    double b = (sx - a * sq) / n;  // x ~= a*q + b
    if (b > 0) {                   // the format needs b = -min <= 0
      b = 0;
      a = sq2 > 0 ? sqx / sq2 : 0;
    }
    if (a <= 0) continue;
    // Error of this (a, b) with the integers re-chosen for it.
    float err = 0;
    for (int i = 0; i < n; ++i) {
      const int q = std::clamp(RoundToInt(static_cast<float>((x[i] - b) / a)), 0, nmax);
      const float diff = static_cast<float>(a * q + b) - x[i];
      err += diff * diff;
    }
    if (err < best_err) {
      best_err = err;
      best_scale = static_cast<float>(a);
      best_min = static_cast<float>(-b);
    }
  }
  *scale_out = best_scale;
  *min_out = best_min;
  return best_err;
}

// Fits x ~= scale * q with integer q in [-nmax, nmax - 1] (symmetric types). Returns the scale,
// which may be negative: the sign lets the largest-magnitude value use code -nmax.
float FitScaleSymmetric(const float* x, int n, int nmax) {
  float amax = 0.0f, max = 0.0f;
  for (int i = 0; i < n; ++i) {
    if (std::fabs(x[i]) > amax) {
      amax = std::fabs(x[i]);
      max = x[i];
    }
  }
  if (amax == 0.0f) return 0.0f;
  float best_scale = max / -static_cast<float>(nmax);
  double best_gain = -1;
  for (int step = -9; step <= 9; ++step) {
    const float iscale = -(static_cast<float>(nmax) + 0.1f * static_cast<float>(step)) / max;
    double sqx = 0, sq2 = 0;
    for (int i = 0; i < n; ++i) {
      const int q = std::clamp(RoundToInt(x[i] * iscale), -nmax, nmax - 1);
      sqx += static_cast<double>(q) * x[i];
      sq2 += static_cast<double>(q) * q;
    }
    // Least-squares scale sqx/sq2 reduces the error by sqx^2/sq2; maximise that.
    if (sq2 > 0 && sqx * sqx / sq2 > best_gain) {
      best_gain = sqx * sqx / sq2;
      best_scale = static_cast<float>(sqx / sq2);
    }
  }
  return best_scale;
}

// Quantises the sub-block scales (and mins) of one super-block to `levels` steps of a shared
// f16 super-scale; returns the stored super-scale.
uint16_t QuantizeScales(const float* values, int count, int levels, uint8_t* out) {
  float max = 0.0f;
  for (int j = 0; j < count; ++j) max = std::max(max, values[j]);
  const uint16_t d16 = F32ToFp16(max / static_cast<float>(levels));
  const float d = Fp16ToF32(d16);
  const float id = d > 0.0f ? 1.0f / d : 0.0f;
  for (int j = 0; j < count; ++j) {
    out[j] = static_cast<uint8_t>(std::clamp(RoundToInt(values[j] * id), 0, levels));
  }
  return d16;
}

// Picks the integer codes for one sub-block given the stored scale and min.
void RequantizeAffine(const float* x, int n, float scale, float min, int nmax, uint8_t* q) {
  const float is = scale != 0.0f ? 1.0f / scale : 0.0f;
  for (int i = 0; i < n; ++i) {
    q[i] = static_cast<uint8_t>(std::clamp(RoundToInt((x[i] + min) * is), 0, nmax));
  }
}

// Q4_K/Q5_K share the scale handling: 8 sub-blocks of 32, 6-bit scales and mins.
void QuantizeScaleMin8(const float* x, int nmax, uint16_t* d_out, uint16_t* dmin_out,
                       uint8_t* packed, uint8_t* codes) {
  float scales[8], mins[8];
  for (int j = 0; j < 8; ++j) FitScaleMin(x + 32 * j, 32, nmax, &scales[j], &mins[j]);
  uint8_t ls[8], lm[8];
  *d_out = QuantizeScales(scales, 8, 63, ls);
  *dmin_out = QuantizeScales(mins, 8, 63, lm);
  std::memset(packed, 0, 12);
  for (int j = 0; j < 8; ++j) {
    if (j < 4) {
      packed[j] = ls[j];
      packed[j + 4] = lm[j];
    } else {
      packed[j + 4] = static_cast<uint8_t>((ls[j] & 0x0f) | ((lm[j] & 0x0f) << 4));
      packed[j - 4] |= static_cast<uint8_t>((ls[j] >> 4) << 6);
      packed[j] |= static_cast<uint8_t>((lm[j] >> 4) << 6);
    }
  }
  const float d = Fp16ToF32(*d_out), dmin = Fp16ToF32(*dmin_out);
  for (int j = 0; j < 8; ++j) {
    RequantizeAffine(x + 32 * j, 32, d * ls[j], dmin * lm[j], nmax, codes + 32 * j);
  }
}

// Symmetric sub-block scales against one f16 super-scale: returns the stored super-scale and the
// integer sub-scales in [-levels, levels].
uint16_t QuantizeSignedScales(const float* scales, int count, int levels, int* out) {
  float amax = 0.0f;
  for (int j = 0; j < count; ++j) amax = std::max(amax, std::fabs(scales[j]));
  const uint16_t d16 = F32ToFp16(amax / static_cast<float>(levels));
  const float d = Fp16ToF32(d16);
  const float id = d > 0.0f ? 1.0f / d : 0.0f;
  for (int j = 0; j < count; ++j) out[j] = std::clamp(RoundToInt(scales[j] * id), -levels, levels);
  return d16;
}

int RequantizeSymmetric(float x, float scale, int nmax) {
  if (scale == 0.0f) return 0;
  return std::clamp(RoundToInt(x / scale), -nmax, nmax - 1);
}

}  // namespace

void QuantizeQ2_K(const float* x, BlockQ2_K* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQkK) {
    float scales[16], mins[16];
    for (int j = 0; j < 16; ++j) FitScaleMin(x + 16 * j, 16, 3, &scales[j], &mins[j]);
    uint8_t ls[16], lm[16];
    y[i].d = QuantizeScales(scales, 16, 15, ls);
    y[i].dmin = QuantizeScales(mins, 16, 15, lm);
    const float d = Fp16ToF32(y[i].d), dmin = Fp16ToF32(y[i].dmin);
    uint8_t codes[kQkK];
    for (int j = 0; j < 16; ++j) {
      y[i].scales[j] = static_cast<uint8_t>(ls[j] | (lm[j] << 4));
      RequantizeAffine(x + 16 * j, 16, d * ls[j], dmin * lm[j], 3, codes + 16 * j);
    }
    // Element e lives in qs[32*(e/128) + e%32] at bit 2*((e%128)/32).
    std::memset(y[i].qs, 0, sizeof(y[i].qs));
    for (int e = 0; e < kQkK; ++e) {
      y[i].qs[32 * (e / 128) + e % 32] |= static_cast<uint8_t>(codes[e] << (2 * ((e % 128) / 32)));
    }
  }
}

void QuantizeQ3_K(const float* x, BlockQ3_K* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQkK) {
    float scales[16];
    for (int j = 0; j < 16; ++j) scales[j] = FitScaleSymmetric(x + 16 * j, 16, 4);
    int ls[16];
    y[i].d = QuantizeSignedScales(scales, 16, 31, ls);
    const float d = Fp16ToF32(y[i].d);
    std::memset(y[i].scales, 0, sizeof(y[i].scales));
    for (int j = 0; j < 16; ++j) {
      const int l = ls[j] + 32;  // 1..63
      if (j < 8) {
        y[i].scales[j] |= static_cast<uint8_t>(l & 0x0f);
      } else {
        y[i].scales[j - 8] |= static_cast<uint8_t>((l & 0x0f) << 4);
      }
      y[i].scales[8 + j % 4] |= static_cast<uint8_t>((l >> 4) << (2 * (j / 4)));
    }
    std::memset(y[i].qs, 0, sizeof(y[i].qs));
    std::memset(y[i].hmask, 0, sizeof(y[i].hmask));
    for (int e = 0; e < kQkK; ++e) {
      const int code = RequantizeSymmetric(x[e], d * static_cast<float>(ls[e / 16]), 4) + 4;
      const int half = e / 128, group = (e % 128) / 32, l = e % 32;
      y[i].qs[32 * half + l] |= static_cast<uint8_t>((code & 3) << (2 * group));
      y[i].hmask[l] |= static_cast<uint8_t>((code >> 2) << (4 * half + group));
    }
  }
}

void QuantizeQ4_K(const float* x, BlockQ4_K* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQkK) {
    uint8_t codes[kQkK];
    QuantizeScaleMin8(x, 15, &y[i].d, &y[i].dmin, y[i].scales, codes);
    for (int chunk = 0; chunk < 4; ++chunk) {
      for (int l = 0; l < 32; ++l) {
        y[i].qs[32 * chunk + l] =
            static_cast<uint8_t>(codes[64 * chunk + l] | (codes[64 * chunk + 32 + l] << 4));
      }
    }
  }
}

void QuantizeQ5_K(const float* x, BlockQ5_K* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQkK) {
    uint8_t codes[kQkK];
    QuantizeScaleMin8(x, 31, &y[i].d, &y[i].dmin, y[i].scales, codes);
    std::memset(y[i].qh, 0, sizeof(y[i].qh));
    for (int chunk = 0; chunk < 4; ++chunk) {
      for (int l = 0; l < 32; ++l) {
        const uint8_t lo = codes[64 * chunk + l], hi = codes[64 * chunk + 32 + l];
        y[i].qs[32 * chunk + l] = static_cast<uint8_t>((lo & 0x0f) | ((hi & 0x0f) << 4));
        y[i].qh[l] |=
            static_cast<uint8_t>(((lo >> 4) << (2 * chunk)) | ((hi >> 4) << (2 * chunk + 1)));
      }
    }
  }
}

void QuantizeQ6_K(const float* x, BlockQ6_K* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQkK) {
    float scales[16];
    for (int j = 0; j < 16; ++j) scales[j] = FitScaleSymmetric(x + 16 * j, 16, 32);
    int ls[16];
    y[i].d = QuantizeSignedScales(scales, 16, 127, ls);
    const float d = Fp16ToF32(y[i].d);
    for (int j = 0; j < 16; ++j) y[i].scales[j] = static_cast<int8_t>(ls[j]);
    std::memset(y[i].ql, 0, sizeof(y[i].ql));
    std::memset(y[i].qh, 0, sizeof(y[i].qh));
    // Element e: half h = e/128, quarter g = (e%128)/32, l = e%32. Low nibble in
    // ql[64h + l + 32*(g&1)] (high half of the byte when g >= 2), top bits in qh[32h + l] at 2g.
    for (int e = 0; e < kQkK; ++e) {
      const int code = RequantizeSymmetric(x[e], d * static_cast<float>(ls[e / 16]), 32) + 32;
      const int half = e / 128, group = (e % 128) / 32, l = e % 32;
      y[i].ql[64 * half + l + 32 * (group & 1)] |=
          static_cast<uint8_t>((code & 0x0f) << (group >= 2 ? 4 : 0));
      y[i].qh[32 * half + l] |= static_cast<uint8_t>((code >> 4) << (2 * group));
    }
  }
}

void QuantizeQ8_K(const float* x, BlockQ8_K* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQkK) {
    float amax = 0.0f;
    for (int j = 0; j < kQkK; ++j) amax = std::max(amax, std::fabs(x[j]));
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[i].d = d;
    for (int g = 0; g < kQkK / 16; ++g) {
      int sum = 0;
      for (int j = 16 * g; j < 16 * g + 16; ++j) {
        y[i].qs[j] = static_cast<int8_t>(std::clamp(RoundToInt(x[j] * id), -127, 127));
        sum += y[i].qs[j];
      }
      y[i].bsums[g] = static_cast<int16_t>(sum);
    }
  }
}

}  // namespace locai::engine::internal

// Block decoders. The arithmetic mirrors llama.cpp's reference decoders operation by operation
// (products formed in the same order, no fused multiply-add: this file is compiled without
// -ffp-contract=fast), which is what makes the output bit-identical.
#include <cassert>
#include <cstring>

#include "engine/kernels/fp16.h"
#include "engine/kernels/quant.h"
#include "engine/kernels/quant_blocks.h"

namespace locai::engine {

namespace {

void DecodeQ4_0(const BlockQ4_0* blocks, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, y += kQk) {
    const float d = Fp16ToF32(blocks[i].d);
    for (int j = 0; j < kQk / 2; ++j) {
      const int x0 = (blocks[i].qs[j] & 0x0f) - 8;
      const int x1 = (blocks[i].qs[j] >> 4) - 8;
      y[j] = static_cast<float>(x0) * d;
      y[j + kQk / 2] = static_cast<float>(x1) * d;
    }
  }
}

void DecodeQ4_1(const BlockQ4_1* blocks, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, y += kQk) {
    const float d = Fp16ToF32(blocks[i].d);
    const float m = Fp16ToF32(blocks[i].m);
    for (int j = 0; j < kQk / 2; ++j) {
      const int x0 = blocks[i].qs[j] & 0x0f;
      const int x1 = blocks[i].qs[j] >> 4;
      y[j] = static_cast<float>(x0) * d + m;
      y[j + kQk / 2] = static_cast<float>(x1) * d + m;
    }
  }
}

uint32_t LoadU32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

void DecodeQ5_0(const BlockQ5_0* blocks, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, y += kQk) {
    const float d = Fp16ToF32(blocks[i].d);
    const uint32_t qh = LoadU32(blocks[i].qh);
    for (int j = 0; j < kQk / 2; ++j) {
      const int h0 = static_cast<int>(((qh >> j) << 4) & 0x10);
      const int h1 = static_cast<int>((qh >> (j + 12)) & 0x10);
      const int x0 = ((blocks[i].qs[j] & 0x0f) | h0) - 16;
      const int x1 = ((blocks[i].qs[j] >> 4) | h1) - 16;
      y[j] = static_cast<float>(x0) * d;
      y[j + kQk / 2] = static_cast<float>(x1) * d;
    }
  }
}

void DecodeQ5_1(const BlockQ5_1* blocks, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, y += kQk) {
    const float d = Fp16ToF32(blocks[i].d);
    const float m = Fp16ToF32(blocks[i].m);
    const uint32_t qh = LoadU32(blocks[i].qh);
    for (int j = 0; j < kQk / 2; ++j) {
      const int h0 = static_cast<int>(((qh >> j) << 4) & 0x10);
      const int h1 = static_cast<int>((qh >> (j + 12)) & 0x10);
      const int x0 = (blocks[i].qs[j] & 0x0f) | h0;
      const int x1 = (blocks[i].qs[j] >> 4) | h1;
      y[j] = static_cast<float>(x0) * d + m;
      y[j + kQk / 2] = static_cast<float>(x1) * d + m;
    }
  }
}

void DecodeQ8_0(const BlockQ8_0* blocks, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, y += kQk) {
    const float d = Fp16ToF32(blocks[i].d);
    for (int j = 0; j < kQk; ++j) y[j] = static_cast<float>(blocks[i].qs[j]) * d;
  }
}

void DecodeQ8_1(const BlockQ8_1* blocks, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, y += kQk) {
    const float d = Fp16ToF32(blocks[i].d);
    for (int j = 0; j < kQk; ++j) y[j] = static_cast<float>(blocks[i].qs[j]) * d;
  }
}

void DecodeQ2_K(const BlockQ2_K* blocks, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i) {
    const float d = Fp16ToF32(blocks[i].d);
    const float min = Fp16ToF32(blocks[i].dmin);
    const uint8_t* q = blocks[i].qs;
    int is = 0;
    for (int n = 0; n < kQkK; n += 128) {
      int shift = 0;
      for (int j = 0; j < 4; ++j) {
        for (int half = 0; half < 2; ++half) {
          const uint8_t sc = blocks[i].scales[is++];
          const float dl = d * static_cast<float>(sc & 0x0f);
          const float ml = min * static_cast<float>(sc >> 4);
          for (int l = 0; l < 16; ++l) {
            *y++ = dl * static_cast<float>((q[l + 16 * half] >> shift) & 3) - ml;
          }
        }
        shift += 2;
      }
      q += 32;
    }
  }
}

void DecodeQ3_K(const BlockQ3_K* blocks, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i) {
    const float d_all = Fp16ToF32(blocks[i].d);
    int8_t scales[16];
    UnpackQ3Scales(blocks[i].scales, scales);
    const uint8_t* q = blocks[i].qs;
    const uint8_t* hm = blocks[i].hmask;
    uint8_t m = 1;
    int is = 0;
    for (int n = 0; n < kQkK; n += 128) {
      int shift = 0;
      for (int j = 0; j < 4; ++j) {
        for (int half = 0; half < 2; ++half) {
          const float dl = d_all * static_cast<float>(scales[is++]);
          for (int l = 16 * half; l < 16 * half + 16; ++l) {
            const int value = ((q[l] >> shift) & 3) - ((hm[l] & m) ? 0 : 4);
            *y++ = dl * static_cast<float>(value);
          }
        }
        shift += 2;
        m = static_cast<uint8_t>(m << 1);
      }
      q += 32;
    }
  }
}

void DecodeQ4_K(const BlockQ4_K* blocks, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i) {
    const float d = Fp16ToF32(blocks[i].d);
    const float min = Fp16ToF32(blocks[i].dmin);
    const uint8_t* q = blocks[i].qs;
    for (int j = 0; j < 4; ++j) {
      uint8_t sc, m;
      GetScaleMinK4(2 * j, blocks[i].scales, &sc, &m);
      const float d1 = d * static_cast<float>(sc);
      const float m1 = min * static_cast<float>(m);
      GetScaleMinK4(2 * j + 1, blocks[i].scales, &sc, &m);
      const float d2 = d * static_cast<float>(sc);
      const float m2 = min * static_cast<float>(m);
      for (int l = 0; l < 32; ++l) *y++ = d1 * static_cast<float>(q[l] & 0x0f) - m1;
      for (int l = 0; l < 32; ++l) *y++ = d2 * static_cast<float>(q[l] >> 4) - m2;
      q += 32;
    }
  }
}

void DecodeQ5_K(const BlockQ5_K* blocks, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i) {
    const float d = Fp16ToF32(blocks[i].d);
    const float min = Fp16ToF32(blocks[i].dmin);
    const uint8_t* ql = blocks[i].qs;
    const uint8_t* qh = blocks[i].qh;
    uint8_t u1 = 1, u2 = 2;
    for (int j = 0; j < 4; ++j) {
      uint8_t sc, m;
      GetScaleMinK4(2 * j, blocks[i].scales, &sc, &m);
      const float d1 = d * static_cast<float>(sc);
      const float m1 = min * static_cast<float>(m);
      GetScaleMinK4(2 * j + 1, blocks[i].scales, &sc, &m);
      const float d2 = d * static_cast<float>(sc);
      const float m2 = min * static_cast<float>(m);
      for (int l = 0; l < 32; ++l) {
        *y++ = d1 * static_cast<float>((ql[l] & 0x0f) + (qh[l] & u1 ? 16 : 0)) - m1;
      }
      for (int l = 0; l < 32; ++l) {
        *y++ = d2 * static_cast<float>((ql[l] >> 4) + (qh[l] & u2 ? 16 : 0)) - m2;
      }
      ql += 32;
      u1 = static_cast<uint8_t>(u1 << 2);
      u2 = static_cast<uint8_t>(u2 << 2);
    }
  }
}

void DecodeQ6_K(const BlockQ6_K* blocks, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i) {
    const float d = Fp16ToF32(blocks[i].d);
    const uint8_t* ql = blocks[i].ql;
    const uint8_t* qh = blocks[i].qh;
    const int8_t* sc = blocks[i].scales;
    for (int n = 0; n < kQkK; n += 128) {
      for (int l = 0; l < 32; ++l) {
        const int is = l / 16;
        const int q1 = ((ql[l] & 0x0f) | (((qh[l] >> 0) & 3) << 4)) - 32;
        const int q2 = ((ql[l + 32] & 0x0f) | (((qh[l] >> 2) & 3) << 4)) - 32;
        const int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
        const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
        y[l] = d * static_cast<float>(sc[is + 0]) * static_cast<float>(q1);
        y[l + 32] = d * static_cast<float>(sc[is + 2]) * static_cast<float>(q2);
        y[l + 64] = d * static_cast<float>(sc[is + 4]) * static_cast<float>(q3);
        y[l + 96] = d * static_cast<float>(sc[is + 6]) * static_cast<float>(q4);
      }
      y += 128;
      ql += 64;
      qh += 32;
      sc += 8;
    }
  }
}

void DecodeQ8_K(const BlockQ8_K* blocks, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i) {
    for (int j = 0; j < kQkK; ++j) *y++ = blocks[i].d * static_cast<float>(blocks[i].qs[j]);
  }
}

}  // namespace

bool CanDequantize(TensorType type) {
  switch (type) {
    case TensorType::kF32:
    case TensorType::kF16:
    case TensorType::kBF16:
    case TensorType::kQ4_0:
    case TensorType::kQ4_1:
    case TensorType::kQ5_0:
    case TensorType::kQ5_1:
    case TensorType::kQ8_0:
    case TensorType::kQ8_1:
    case TensorType::kQ2_K:
    case TensorType::kQ3_K:
    case TensorType::kQ4_K:
    case TensorType::kQ5_K:
    case TensorType::kQ6_K:
    case TensorType::kQ8_K:
      return true;
  }
  return false;
}

void DequantizeRow(TensorType type, const void* src, float* dst, int64_t n) {
  const int64_t block = Traits(type).block_size;
  assert(n >= 0 && n % block == 0);
  const int64_t nb = n / block;
  switch (type) {
    case TensorType::kF32:
      std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
      return;
    case TensorType::kF16:
      return Fp16ToF32Row(static_cast<const uint16_t*>(src), dst, n);
    case TensorType::kBF16:
      return Bf16ToF32Row(static_cast<const uint16_t*>(src), dst, n);
    case TensorType::kQ4_0:
      return DecodeQ4_0(static_cast<const BlockQ4_0*>(src), dst, nb);
    case TensorType::kQ4_1:
      return DecodeQ4_1(static_cast<const BlockQ4_1*>(src), dst, nb);
    case TensorType::kQ5_0:
      return DecodeQ5_0(static_cast<const BlockQ5_0*>(src), dst, nb);
    case TensorType::kQ5_1:
      return DecodeQ5_1(static_cast<const BlockQ5_1*>(src), dst, nb);
    case TensorType::kQ8_0:
      return DecodeQ8_0(static_cast<const BlockQ8_0*>(src), dst, nb);
    case TensorType::kQ8_1:
      return DecodeQ8_1(static_cast<const BlockQ8_1*>(src), dst, nb);
    case TensorType::kQ2_K:
      return DecodeQ2_K(static_cast<const BlockQ2_K*>(src), dst, nb);
    case TensorType::kQ3_K:
      return DecodeQ3_K(static_cast<const BlockQ3_K*>(src), dst, nb);
    case TensorType::kQ4_K:
      return DecodeQ4_K(static_cast<const BlockQ4_K*>(src), dst, nb);
    case TensorType::kQ5_K:
      return DecodeQ5_K(static_cast<const BlockQ5_K*>(src), dst, nb);
    case TensorType::kQ6_K:
      return DecodeQ6_K(static_cast<const BlockQ6_K*>(src), dst, nb);
    case TensorType::kQ8_K:
      return DecodeQ8_K(static_cast<const BlockQ8_K*>(src), dst, nb);
  }
  assert(false && "DequantizeRow: unsupported type");
}

}  // namespace locai::engine

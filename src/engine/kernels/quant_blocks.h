// The byte layouts of GGUF's quantised blocks (docs/gguf.md), as packed structs, plus the
// engine-internal activation block used by the 32-element dot products.
//
// All multi-byte fields are little-endian; fp16 fields are raw IEEE half bits (see fp16.h).
// Decoding rules (element e of a block, d/dmin the fp16 super-scales):
//   Q4_0  x = d * ((qs[e%16] >> 4*(e/16)) & 15) - 8)
//   Q4_1  x = d * q + m                        (q as Q4_0 without the -8)
//   Q5_0  x = d * ((q4 | h << 4) - 16)          h = bit e of qh
//   Q5_1  x = d * (q4 | h << 4) + m
//   Q8_0  x = d * qs[e]
//   K-quants use 256-element super-blocks split into 16- or 32-element sub-blocks with their own
//   (packed) scales; see dequantize.cc for the exact bit positions.
// Thread-safety: plain data.
#pragma once

#include <cstdint>

namespace locai::engine {

inline constexpr int kQk = 32;    // elements per block of the 32-element types
inline constexpr int kQkK = 256;  // elements per K-quant super-block

struct BlockQ4_0 {
  uint16_t d;
  uint8_t qs[kQk / 2];
};
struct BlockQ4_1 {
  uint16_t d;
  uint16_t m;
  uint8_t qs[kQk / 2];
};
struct BlockQ5_0 {
  uint16_t d;
  uint8_t qh[4];
  uint8_t qs[kQk / 2];
};
struct BlockQ5_1 {
  uint16_t d;
  uint16_t m;
  uint8_t qh[4];
  uint8_t qs[kQk / 2];
};
struct BlockQ8_0 {
  uint16_t d;
  int8_t qs[kQk];
};
struct BlockQ8_1 {
  uint16_t d;
  uint16_t s;  // d * sum(qs)
  int8_t qs[kQk];
};

// 2-bit quants, x = d * (scales[i] & 15) * q - dmin * (scales[i] >> 4) per 16 elements.
struct BlockQ2_K {
  uint8_t scales[kQkK / 16];
  uint8_t qs[kQkK / 4];
  uint16_t d;
  uint16_t dmin;
};
// 3-bit quants: low 2 bits in qs, high bit in hmask, 16 signed 6-bit scales packed in 12 bytes.
struct BlockQ3_K {
  uint8_t hmask[kQkK / 8];
  uint8_t qs[kQkK / 4];
  uint8_t scales[12];
  uint16_t d;
};
// 4-bit quants with 8 6-bit (scale, min) pairs packed in 12 bytes.
struct BlockQ4_K {
  uint16_t d;
  uint16_t dmin;
  uint8_t scales[12];
  uint8_t qs[kQkK / 2];
};
// 5-bit quants: as Q4_K plus one high bit per element in qh.
struct BlockQ5_K {
  uint16_t d;
  uint16_t dmin;
  uint8_t scales[12];
  uint8_t qh[kQkK / 8];
  uint8_t qs[kQkK / 2];
};
// 6-bit quants: low 4 bits in ql, high 2 bits in qh, 16 int8 scales.
struct BlockQ6_K {
  uint8_t ql[kQkK / 2];
  uint8_t qh[kQkK / 4];
  int8_t scales[kQkK / 16];
  uint16_t d;
};
// 8-bit activations for the K-quant dot products: f32 scale, bsums = sums of 16 qs each.
struct BlockQ8_K {
  float d;
  int8_t qs[kQkK];
  int16_t bsums[kQkK / 16];
};

static_assert(sizeof(BlockQ4_0) == 18 && sizeof(BlockQ4_1) == 20);
static_assert(sizeof(BlockQ5_0) == 22 && sizeof(BlockQ5_1) == 24);
static_assert(sizeof(BlockQ8_0) == 34 && sizeof(BlockQ8_1) == 36);
static_assert(sizeof(BlockQ2_K) == 84 && sizeof(BlockQ3_K) == 110);
static_assert(sizeof(BlockQ4_K) == 144 && sizeof(BlockQ5_K) == 176);
static_assert(sizeof(BlockQ6_K) == 210 && sizeof(BlockQ8_K) == 292);

// Engine-internal 8-bit activation block for the 32-element weight types: x = d * qs, with
// s = d * sum(qs) for the types with a min (Q4_1, Q5_1). d is rounded through fp16 exactly as
// llama.cpp's Q8_0/Q8_1 do, but kept as f32 so the kernels need no conversion.
struct ActBlock32 {
  float d;
  float s;
  int8_t qs[kQk];
};
static_assert(sizeof(ActBlock32) == 40);

// Scale and min of sub-block j (0..7) from the 12 packed bytes of Q4_K/Q5_K: j < 4 keep 6 bits in
// bytes j and j+4; j >= 4 take their low nibbles from byte j+4 and top bits from bytes j-4 and j.
inline void GetScaleMinK4(int j, const uint8_t* q, uint8_t* scale, uint8_t* min) {
  if (j < 4) {
    *scale = q[j] & 63;
    *min = q[j + 4] & 63;
  } else {
    *scale = static_cast<uint8_t>((q[j + 4] & 0x0f) | ((q[j - 4] >> 6) << 4));
    *min = static_cast<uint8_t>((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
  }
}

// Unpacks Q3_K's twelve scale bytes into 16 signed scales (-32..31): low nibbles in bytes 0..7
// (j < 8: low half, else high half of byte j-8), top two bits in byte 8 + j%4 at bit 2*(j/4).
inline void UnpackQ3Scales(const uint8_t* packed, int8_t* scales) {
  for (int j = 0; j < 16; ++j) {
    const int low = j < 8 ? (packed[j] & 0x0f) : (packed[j - 8] >> 4);
    const int high = (packed[8 + j % 4] >> (2 * (j / 4))) & 3;
    scales[j] = static_cast<int8_t>((low | (high << 4)) - 32);
  }
}

}  // namespace locai::engine

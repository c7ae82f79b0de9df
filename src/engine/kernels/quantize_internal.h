// Per-type block quantisers behind QuantizeRow, shared by quantize.cc and quantize_k.cc.
// Each encodes `nb` whole blocks from `x`. Thread-safety: pure functions.
#pragma once

#include <cstdint>

#include "engine/kernels/quant_blocks.h"

namespace locai::engine::internal {

void QuantizeQ2_K(const float* x, BlockQ2_K* y, int64_t nb);
void QuantizeQ3_K(const float* x, BlockQ3_K* y, int64_t nb);
void QuantizeQ4_K(const float* x, BlockQ4_K* y, int64_t nb);
void QuantizeQ5_K(const float* x, BlockQ5_K* y, int64_t nb);
void QuantizeQ6_K(const float* x, BlockQ6_K* y, int64_t nb);
void QuantizeQ8_K(const float* x, BlockQ8_K* y, int64_t nb);

// Rounds to the nearest integer, ties away from zero (as roundf), saturating to int range.
int RoundToInt(float v);

}  // namespace locai::engine::internal

// Row conversion between f32 and every GGUF tensor type the engine handles.
//
// DequantizeRow decodes exactly as llama.cpp does (same bit layout, same f32 operation order), so a
// GGUF tensor decodes to the same floats here and there. QuantizeRow produces blocks in the GGUF
// layouts that llama.cpp reads; its rounding choices are our own (a scale/min search for the
// K-quants), so the bytes need not equal llama-quantize's, but decode to a close approximation.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>

#include "common/status.h"
#include "engine/kernels/tensor_type.h"

namespace locai::engine {

// Decodes `n` elements of `type` from `src` into `dst`. Precondition (asserted): `type` is one of
// F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1, Q2_K..Q6_K, Q8_K and `n` is a multiple of its
// block size. Use CanDequantize() to check untrusted input first.
void DequantizeRow(TensorType type, const void* src, float* dst, int64_t n);

// Whether DequantizeRow handles `type`.
bool CanDequantize(TensorType type);

// Encodes `n` floats as `type` into `dst` (RowBytes(type, n) bytes). Supported: F32, F16, BF16,
// Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, Q8_K.
// Errors: InvalidArgument when `n` is negative or not a multiple of the block size;
// Unimplemented for other types. Nothing is written on error.
Status QuantizeRow(TensorType type, const float* src, void* dst, int64_t n);

}  // namespace locai::engine

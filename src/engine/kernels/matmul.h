// MatMul: the engine's hot path, y = W x for a batch of tokens.
//
// W has `rows` rows of `cols` elements of `weight_type`, row r starting at
// weights + r * RowBytes(weight_type, cols) (the GGUF layout of a 2-D tensor whose first dimension
// is `cols`). For each token t, x + t*cols holds its input vector and y[t * rows + r] receives
// sum_c W[r][c] * x[t*cols + c].
//
// The activations are first converted to the weight type's partner format (kernels.h); the work
// is then cut into blocks of rows x tokens spread over `pool`, and each block runs the register-
// tiled kernel of the chosen KernelSet.
// Preconditions (asserted): IsMatMulType(weight_type), cols a multiple of the block size,
// rows, n_tokens >= 0; y does not alias x or weights.
// Thread-safety: uses `pool`, so one call at a time per pool; otherwise reentrant.
#pragma once

#include <cstdint>

#include "common/status.h"
#include "common/thread_pool.h"
#include "engine/kernels/kernels.h"
#include "engine/kernels/tensor_type.h"

namespace locai::engine {

// Checks MatMul's preconditions on a weight type and row length (for shapes read from a file):
// Unimplemented when MatMul has no kernel for `weight_type`, InvalidArgument when `cols` is not
// a positive multiple of its block size.
Status ValidateMatMul(TensorType weight_type, int64_t cols);

// Uses BestKernels().
void MatMul(TensorType weight_type, const void* weights, int64_t rows, int64_t cols, const float* x,
            int64_t n_tokens, float* y, ThreadPool& pool);

// Uses `kernels`, falling back to the scalar kernel where the set has none for the type.
void MatMul(const KernelSet& kernels, TensorType weight_type, const void* weights, int64_t rows,
            int64_t cols, const float* x, int64_t n_tokens, float* y, ThreadPool& pool);

}  // namespace locai::engine

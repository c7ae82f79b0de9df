#include "engine/kernels/matmul.h"

#include <algorithm>
#include <cassert>
#include <memory>
#include <optional>
#include <string>

namespace locai::engine {

namespace {

// A block of work: kRowBlock weight rows (~70 KB of Q4_0 at 2048 columns: stays in L2 while the
// token block streams past it) by kTokenBlock tokens. Multiples of every kernel's register tile.
constexpr int64_t kRowBlock = 64;
constexpr int64_t kTokenBlock = 64;

}  // namespace

Status ValidateMatMul(TensorType weight_type, int64_t cols) {
  if (!IsMatMulType(weight_type)) {
    return Status::Unimplemented("MatMul: no kernel for weights of type " +
                                 std::to_string(static_cast<uint32_t>(weight_type)));
  }
  const int64_t block = Traits(weight_type).block_size;
  if (cols <= 0 || cols % block != 0) {
    return Status::InvalidArgument("MatMul: row length " + std::to_string(cols) +
                                   " is not a positive multiple of " + std::to_string(block) +
                                   " for " + std::string(Traits(weight_type).name));
  }
  return Status::Ok();
}

void MatMul(TensorType weight_type, const void* weights, int64_t rows, int64_t cols, const float* x,
            int64_t n_tokens, float* y, ThreadPool& pool) {
  MatMul(BestKernels(), weight_type, weights, rows, cols, x, n_tokens, y, pool);
}

void MatMul(const KernelSet& kernels, TensorType weight_type, const void* weights, int64_t rows,
            int64_t cols, const float* x, int64_t n_tokens, float* y, ThreadPool& pool) {
  assert(IsMatMulType(weight_type));
  assert(rows >= 0 && n_tokens >= 0 && cols >= 0);
  const std::optional<uint64_t> row_bytes_opt = RowBytes(weight_type, static_cast<uint64_t>(cols));
  assert(row_bytes_opt.has_value());
  if (rows == 0 || n_tokens == 0) return;
  const auto row_bytes = static_cast<int64_t>(row_bytes_opt.value_or(0));

  GemmFn gemm = kernels.Gemm(weight_type);
  if (gemm == nullptr) gemm = ScalarKernels().Gemm(weight_type);

  // Activations in the partner format; f32 activations are used in place.
  const int64_t act_bytes = ActivationRowBytes(weight_type, cols);
  const uint8_t* act = reinterpret_cast<const uint8_t*>(x);
  std::unique_ptr<uint8_t[]> act_buffer;
  if (ActivationFormatFor(weight_type) != ActivationFormat::kF32) {
    act_buffer =
        std::make_unique_for_overwrite<uint8_t[]>(static_cast<size_t>(act_bytes * n_tokens));
    uint8_t* dst = act_buffer.get();
    const bool k_quant = ActivationFormatFor(weight_type) == ActivationFormat::kQ8K;
    QuantizeActFn quantize = k_quant ? kernels.quantize_q8_k : kernels.quantize_q8_block32;
    if (quantize == nullptr) {
      quantize = k_quant ? ScalarKernels().quantize_q8_k : ScalarKernels().quantize_q8_block32;
    }
    pool.ParallelFor(n_tokens, [&](int64_t begin, int64_t end, int) {
      for (int64_t t = begin; t < end; ++t) quantize(x + t * cols, dst + t * act_bytes, cols);
    });
    act = dst;
  }

  const int64_t row_block = std::min(rows, kRowBlock);
  const int64_t token_block = std::min(n_tokens, kTokenBlock);
  const int64_t row_blocks = (rows + row_block - 1) / row_block;
  const int64_t token_blocks = (n_tokens + token_block - 1) / token_block;
  const auto* w = static_cast<const uint8_t*>(weights);
  // Items are ordered row-block-major, so each thread's contiguous share of items covers a
  // contiguous band of weight rows: weights are read from memory once per call.
  pool.ParallelFor(row_blocks * token_blocks, [&](int64_t begin, int64_t end, int) {
    for (int64_t item = begin; item < end; ++item) {
      const int64_t r0 = item / token_blocks * row_block;
      const int64_t t0 = item % token_blocks * token_block;
      GemmArgs args;
      args.n = cols;
      args.w = w + r0 * row_bytes;
      args.w_stride = row_bytes;
      args.rows = std::min(row_block, rows - r0);
      args.act = act + t0 * act_bytes;
      args.act_stride = act_bytes;
      args.tokens = std::min(token_block, n_tokens - t0);
      args.y = y + t0 * rows + r0;
      args.y_stride = rows;
      gemm(args);
    }
  });
}

}  // namespace locai::engine

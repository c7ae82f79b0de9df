// engine_kernels_bench: MatMul throughput at the shapes of a Llama-3.2-1B-sized model (dim 2048,
// ffn 8192, 8 kv heads of 64, vocab 128256, 16 layers) on 2 threads.
//
// For each weight type it times one layer's projections (q, k, v, o, gate, up, down) and the
// output projection, for 1 token (generation) and for a 512-token batch (prompt processing), and
// prints GFLOP/s and the tokens/s these matrix products alone would allow for the whole model
// (attention, norms and the rest of the forward pass are not included).
// Usage: engine_kernels_bench [--cpu-time] [threads] [types...]   e.g. ... 2 q4_0 q4_K
// --cpu-time measures process CPU time / threads instead of wall time (for loaded machines).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "common/thread_pool.h"
#include "engine/kernels/kernels.h"
#include "engine/kernels/matmul.h"
#include "engine/kernels/quant.h"

namespace locai::engine {
namespace {

constexpr int64_t kDim = 2048, kKvDim = 512, kFfn = 8192, kVocab = 128256, kLayers = 16;
constexpr int64_t kBatch = 512;

struct Matrix {
  int64_t rows, cols;
  std::vector<uint8_t> data;
};

// A rows x cols matrix of `type`: 64 distinct random rows, repeated (quantising the whole thing
// would take longer than the benchmark; the bytes still all have to come from memory).
Matrix MakeMatrix(TensorType type, int64_t rows, int64_t cols, uint32_t seed) {
  const int64_t row_bytes =
      static_cast<int64_t>(RowBytes(type, static_cast<uint64_t>(cols)).value());
  constexpr int64_t kDistinct = 64;
  std::vector<float> values(static_cast<size_t>(cols));
  std::vector<uint8_t> pattern(static_cast<size_t>(kDistinct * row_bytes));
  uint32_t state = seed;
  for (int64_t r = 0; r < kDistinct; ++r) {
    for (auto& v : values) {
      state = state * 1664525u + 1013904223u;
      v = static_cast<float>(static_cast<int32_t>(state >> 8) - (1 << 23)) /
          static_cast<float>(1 << 23);
    }
    if (!QuantizeRow(type, values.data(), pattern.data() + r * row_bytes, cols).ok()) std::abort();
  }
  Matrix m{rows, cols, std::vector<uint8_t>(static_cast<size_t>(rows * row_bytes))};
  for (int64_t r = 0; r < rows; r += kDistinct) {
    const int64_t count = std::min(kDistinct, rows - r);
    std::memcpy(m.data.data() + r * row_bytes, pattern.data(),
                static_cast<size_t>(count * row_bytes));
  }
  return m;
}

// Wall-clock seconds, or with kCpuTime the process CPU seconds divided by the thread count: on a
// machine shared with other work the CPU time shows what dedicated cores would do.
struct Clock {
  bool cpu_time;
  int threads;
  double Now() const {
    if (cpu_time) return static_cast<double>(std::clock()) / CLOCKS_PER_SEC / threads;
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
};

// Runs every matrix once with n_tokens and returns the seconds taken (best of `repeats`).
double TimeMatrices(TensorType type, const std::vector<const Matrix*>& matrices, int64_t n_tokens,
                    int repeats, ThreadPool& pool, const Clock& clock, std::vector<float>& x,
                    std::vector<float>& y) {
  double best = 1e30;
  for (int rep = 0; rep < repeats; ++rep) {
    const double start = clock.Now();
    for (const Matrix* m : matrices) {
      MatMul(type, m->data.data(), m->rows, m->cols, x.data(), n_tokens, y.data(), pool);
    }
    best = std::min(best, clock.Now() - start);
  }
  return best;
}

void Run(TensorType type, ThreadPool& pool, const Clock& clock) {
  const Matrix q = MakeMatrix(type, kDim, kDim, 1), k = MakeMatrix(type, kKvDim, kDim, 2),
               v = MakeMatrix(type, kKvDim, kDim, 3), o = MakeMatrix(type, kDim, kDim, 4),
               gate = MakeMatrix(type, kFfn, kDim, 5), up = MakeMatrix(type, kFfn, kDim, 6),
               down = MakeMatrix(type, kDim, kFfn, 7), out = MakeMatrix(type, kVocab, kDim, 8);
  const std::vector<const Matrix*> layer = {&q, &k, &v, &o, &gate, &up, &down};
  double layer_params = 0;
  for (const Matrix* m : layer) layer_params += static_cast<double>(m->rows * m->cols);
  const double out_params = static_cast<double>(kVocab * kDim);

  std::vector<float> x(static_cast<size_t>(kFfn * kBatch)), y(static_cast<size_t>(kVocab * kBatch));
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i % 17) * 0.1f - 0.8f;

  // Generation: one token through every layer (each layer's weights read from memory once) and
  // the output projection.
  const double gen_layer = TimeMatrices(type, layer, 1, 5, pool, clock, x, y);
  const double gen_out = TimeMatrices(type, {&out}, 1, 3, pool, clock, x, y);
  const double gen_token = kLayers * gen_layer + gen_out;
  // Prompt: 512 tokens through the layers; the output projection only for the last token.
  const double pp_layer = TimeMatrices(type, layer, kBatch, 1, pool, clock, x, y);
  const double pp_batch = kLayers * pp_layer + gen_out;

  std::printf("%-5s gen: %7.1f GFLOP/s %6.1f tok/s   |  pp512: %7.1f GFLOP/s %6.1f tok/s\n",
              std::string(Traits(type).name).c_str(), 2.0 * layer_params / gen_layer * 1e-9,
              1.0 / gen_token, 2.0 * layer_params * kBatch / pp_layer * 1e-9,
              static_cast<double>(kBatch) / pp_batch);
  std::printf("      (1 token: layer %.2f ms, output %.2f ms; 512 tokens: layer %.1f ms)\n",
              gen_layer * 1e3, gen_out * 1e3, pp_layer * 1e3);
  (void)out_params;
}

}  // namespace
}  // namespace locai::engine

int main(int argc, char** argv) {
  using namespace locai::engine;
  int arg = 1;
  const bool cpu_time = argc > arg && std::strcmp(argv[arg], "--cpu-time") == 0;
  if (cpu_time) ++arg;
  const int threads = argc > arg ? std::atoi(argv[arg++]) : 2;
  std::vector<TensorType> types;
  for (int i = arg; i < argc; ++i) {
    const auto type = TensorTypeFromName(argv[i]);
    if (!type || !IsMatMulType(*type)) {
      std::fprintf(stderr, "unknown or unsupported type %s\n", argv[i]);
      return 2;
    }
    types.push_back(*type);
  }
  if (types.empty()) {
    types = {TensorType::kQ4_0, TensorType::kQ4_K, TensorType::kQ6_K, TensorType::kQ8_0,
             TensorType::kF16};
  }
  locai::ThreadPool pool(threads);
  std::printf("kernels: %s, threads: %d, Llama-3.2-1B shapes (matrix products only)%s\n",
              std::string(BestKernels().name).c_str(), threads,
              cpu_time ? ", timed by CPU time per thread" : "");
  const Clock clock{cpu_time, threads};
  for (TensorType type : types) Run(type, pool, clock);
  return 0;
}

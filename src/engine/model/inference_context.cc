#include "engine/model/inference_context.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "engine/kernels/fp16.h"
#include "engine/kernels/matmul.h"
#include "engine/kernels/ops.h"
#include "engine/kernels/quant.h"

namespace locai::engine {

namespace {

void MatMulView(const MatrixView& w, const float* x, int64_t n_tokens, float* y, ThreadPool& pool) {
  MatMul(w.type, w.data, w.rows, w.cols, x, n_tokens, y, pool);
}

void AddBias(float* rows, const std::vector<float>& bias, int64_t n_tokens) {
  if (bias.empty()) return;
  const auto dim = static_cast<int64_t>(bias.size());
  for (int64_t t = 0; t < n_tokens; ++t) {
    float* row = rows + t * dim;
    for (int64_t i = 0; i < dim; ++i) row[i] += bias[static_cast<size_t>(i)];
  }
}

}  // namespace

InferenceContext::InferenceContext(std::shared_ptr<const Model> model, const ContextOptions& options)
    : model_(std::move(model)), options_(options), pool_(options.n_threads) {}

InferenceContext::~InferenceContext() = default;

Result<std::unique_ptr<InferenceContext>> InferenceContext::Create(
    std::shared_ptr<const Model> model, const ContextOptions& requested) {
  if (model == nullptr) return Err(Status::InvalidArgument("no model"));
  ContextOptions options = requested;
  if (options.context_length <= 0) options.context_length = model->context_length();
  if (options.n_sequences <= 0 || options.n_sequences > 1024) {
    return Err(Status::InvalidArgument("n_sequences must be between 1 and 1024"));
  }
  if (options.max_batch <= 0) return Err(Status::InvalidArgument("max_batch must be positive"));
  if (options.context_length > (int64_t{1} << 24)) {
    return Err(Status::InvalidArgument("context length is larger than 16M positions"));
  }
  const ModelConfig& c = model->config();
  const uint64_t kv_bytes = KvCacheBytes(c, options.context_length * options.n_sequences);
  constexpr uint64_t kMaxKvBytes = uint64_t{1} << 40;
  if (kv_bytes > kMaxKvBytes) {
    return Err(Status::ResourceExhausted("KV cache of " + std::to_string(kv_bytes >> 20) +
                                         " MiB is too large"));
  }
  auto ctx = std::unique_ptr<InferenceContext>(new InferenceContext(std::move(model), options));
  const auto cache_elems = static_cast<size_t>(options.context_length * options.n_sequences *
                                               c.kv_dim());
  ctx->k_cache_.resize(static_cast<size_t>(c.n_layer));
  ctx->v_cache_.resize(static_cast<size_t>(c.n_layer));
  for (int64_t l = 0; l < c.n_layer; ++l) {
    ctx->k_cache_[static_cast<size_t>(l)].resize(cache_elems);
    ctx->v_cache_[static_cast<size_t>(l)].resize(cache_elems);
  }
  ctx->seq_length_.assign(static_cast<size_t>(options.n_sequences), 0);

  const int64_t pairs = c.rope_dim / 2;
  const auto& factors = ctx->model_->rope_freq_factors();
  ctx->rope_inv_freq_.resize(static_cast<size_t>(pairs));
  for (int64_t i = 0; i < pairs; ++i) {
    double inv = std::pow(static_cast<double>(c.rope_freq_base),
                          -2.0 * static_cast<double>(i) / static_cast<double>(c.rope_dim));
    if (!factors.empty()) inv /= factors[static_cast<size_t>(i)];
    ctx->rope_inv_freq_[static_cast<size_t>(i)] = static_cast<float>(inv);
  }

  const auto b = static_cast<size_t>(std::min(options.max_batch, options.context_length *
                                                                     options.n_sequences));
  ctx->x_.resize(b * static_cast<size_t>(c.n_embd));
  ctx->xn_.resize(b * static_cast<size_t>(c.n_embd));
  ctx->q_.resize(b * static_cast<size_t>(c.q_dim()));
  ctx->k_.resize(b * static_cast<size_t>(c.kv_dim()));
  ctx->v_.resize(b * static_cast<size_t>(c.kv_dim()));
  ctx->attn_out_.resize(b * static_cast<size_t>(c.q_dim()));
  ctx->gate_.resize(b * static_cast<size_t>(c.n_ff));
  ctx->up_.resize(b * static_cast<size_t>(c.n_ff));
  ctx->ffn_out_.resize(b * static_cast<size_t>(c.n_embd));
  ctx->attn_scores_.resize(static_cast<size_t>(ctx->pool_.num_threads()));
  for (auto& scores : ctx->attn_scores_) scores.resize(static_cast<size_t>(options.context_length));
  return ctx;
}

int64_t InferenceContext::SequenceLength(int32_t sequence) const {
  if (sequence < 0 || sequence >= options_.n_sequences) return 0;
  return seq_length_[static_cast<size_t>(sequence)];
}

void InferenceContext::TruncateSequence(int32_t sequence, int64_t length) {
  if (sequence < 0 || sequence >= options_.n_sequences) return;
  auto& len = seq_length_[static_cast<size_t>(sequence)];
  len = std::clamp<int64_t>(length, 0, len);
}

std::span<const float> InferenceContext::Logits(size_t output_index) const {
  const auto n_vocab = static_cast<size_t>(model_->config().n_vocab);
  if (!options_.logits || output_index >= num_outputs_) return {};
  return {logits_.data() + output_index * n_vocab, n_vocab};
}

std::span<const float> InferenceContext::Embedding(size_t output_index) const {
  const auto n_embd = static_cast<size_t>(model_->config().n_embd);
  if (!options_.embeddings || output_index >= num_outputs_) return {};
  return {embeddings_.data() + output_index * n_embd, n_embd};
}

Status InferenceContext::Decode(std::span<const BatchEntry> batch) {
  const ModelConfig& c = model_->config();
  // Validate everything first, so that a bad entry changes nothing.
  std::vector<int64_t> positions(batch.size());
  std::vector<int64_t> next = seq_length_;
  size_t outputs = 0;
  for (size_t i = 0; i < batch.size(); ++i) {
    const BatchEntry& e = batch[i];
    if (e.token < 0 || e.token >= c.n_vocab) {
      return Status::OutOfRange("token id " + std::to_string(e.token) +
                                " is outside the vocabulary of " + std::to_string(c.n_vocab));
    }
    if (e.sequence < 0 || e.sequence >= options_.n_sequences) {
      return Status::OutOfRange("sequence " + std::to_string(e.sequence) + " is out of range");
    }
    int64_t& pos = next[static_cast<size_t>(e.sequence)];
    if (pos >= options_.context_length) {
      return Status::ResourceExhausted("sequence " + std::to_string(e.sequence) +
                                       " would pass the context length of " +
                                       std::to_string(options_.context_length) + " tokens");
    }
    positions[i] = pos++;
    if (e.output) ++outputs;
  }
  num_outputs_ = outputs;
  logits_.resize(options_.logits ? outputs * static_cast<size_t>(c.n_vocab) : 0);
  if (options_.embeddings) embeddings_.resize(outputs * static_cast<size_t>(c.n_embd));
  size_t output_base = 0;
  for (size_t start = 0; start < batch.size();) {
    const size_t len = std::min(batch.size() - start, static_cast<size_t>(options_.max_batch));
    auto chunk = batch.subspan(start, len);
    LOCAI_RETURN_IF_ERROR(DecodeChunk(chunk, std::span<const int64_t>(positions).subspan(start, len)));
    // DecodeChunk left this chunk's outputs at the front of out_rows_/logits scratch; place them.
    const size_t chunk_outputs = static_cast<size_t>(
        std::count_if(chunk.begin(), chunk.end(), [](const BatchEntry& e) { return e.output; }));
    if (chunk_outputs > 0) {
      float* dst = logits_.data() + output_base * static_cast<size_t>(c.n_vocab);
      if (options_.logits) {
        MatMulView(model_->output(), out_rows_.data(), static_cast<int64_t>(chunk_outputs), dst,
                   pool_);
      }
      if (options_.embeddings) {
        std::copy_n(out_rows_.data(), chunk_outputs * static_cast<size_t>(c.n_embd),
                    embeddings_.data() + output_base * static_cast<size_t>(c.n_embd));
      }
    }
    output_base += chunk_outputs;
    start += len;
  }
  seq_length_ = std::move(next);
  return Status::Ok();
}

void InferenceContext::PrepareRope(std::span<const int64_t> positions) {
  const auto pairs = static_cast<size_t>(model_->config().rope_dim / 2);
  rope_cos_.resize(positions.size() * pairs);
  rope_sin_.resize(positions.size() * pairs);
  for (size_t t = 0; t < positions.size(); ++t) {
    for (size_t i = 0; i < pairs; ++i) {
      const double theta = static_cast<double>(positions[t]) * rope_inv_freq_[i];
      rope_cos_[t * pairs + i] = static_cast<float>(std::cos(theta));
      rope_sin_[t * pairs + i] = static_cast<float>(std::sin(theta));
    }
  }
}

void InferenceContext::ApplyRope(float* vec, int64_t n_heads, int64_t token) const {
  const ModelConfig& c = model_->config();
  const int64_t pairs = c.rope_dim / 2;
  const float* cos_row = rope_cos_.data() + token * pairs;
  const float* sin_row = rope_sin_.data() + token * pairs;
  const bool adjacent = c.rope_style == RopeStyle::kAdjacentPairs;
  for (int64_t h = 0; h < n_heads; ++h) {
    float* head = vec + h * c.head_dim;
    for (int64_t i = 0; i < pairs; ++i) {
      const int64_t a = adjacent ? 2 * i : i;
      const int64_t b = adjacent ? 2 * i + 1 : i + pairs;
      const float x0 = head[a];
      const float x1 = head[b];
      head[a] = x0 * cos_row[i] - x1 * sin_row[i];
      head[b] = x0 * sin_row[i] + x1 * cos_row[i];
    }
  }
}

void InferenceContext::Attention(int64_t layer, int64_t n_tokens, std::span<const BatchEntry> chunk,
                                 std::span<const int64_t> positions) {
  const ModelConfig& c = model_->config();
  const int64_t hd = c.head_dim;
  const int64_t kv_dim = c.kv_dim();
  const int64_t group = c.n_head / c.n_head_kv;
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  const uint16_t* k_cache = k_cache_[static_cast<size_t>(layer)].data();
  const uint16_t* v_cache = v_cache_[static_cast<size_t>(layer)].data();
  pool_.ParallelFor(n_tokens * c.n_head, [&](int64_t begin, int64_t end, int thread_idx) {
    float* scores = attn_scores_[static_cast<size_t>(thread_idx)].data();
    for (int64_t idx = begin; idx < end; ++idx) {
      const int64_t t = idx / c.n_head;
      const int64_t h = idx % c.n_head;
      const int64_t kvh = h / group;
      const int64_t n_pos = positions[static_cast<size_t>(t)] + 1;
      const int64_t seq_base = static_cast<int64_t>(chunk[static_cast<size_t>(t)].sequence) *
                               options_.context_length;
      const float* q = q_.data() + t * c.q_dim() + h * hd;
      for (int64_t p = 0; p < n_pos; ++p) {
        scores[p] = DotF16F32(k_cache + (seq_base + p) * kv_dim + kvh * hd, q, hd) * scale;
      }
      SoftmaxInPlace(scores, n_pos);
      float* out = attn_out_.data() + t * c.q_dim() + h * hd;
      std::fill(out, out + hd, 0.0f);
      for (int64_t p = 0; p < n_pos; ++p) {
        AxpyF16(scores[p], v_cache + (seq_base + p) * kv_dim + kvh * hd, out, hd);
      }
    }
  });
}

Status InferenceContext::DecodeChunk(std::span<const BatchEntry> chunk,
                                     std::span<const int64_t> positions) {
  const ModelConfig& c = model_->config();
  const auto n = static_cast<int64_t>(chunk.size());
  const int64_t d = c.n_embd;
  PrepareRope(positions);

  // Token embeddings (rows of a possibly quantised matrix).
  const MatrixView& embd = model_->token_embedding();
  for (int64_t t = 0; t < n; ++t) {
    const auto token = static_cast<uint64_t>(chunk[static_cast<size_t>(t)].token);
    DequantizeRow(embd.type, embd.data + token * embd.row_bytes, x_.data() + t * d, d);
  }

  for (int64_t l = 0; l < c.n_layer; ++l) {
    const LayerWeights& w = model_->layers()[static_cast<size_t>(l)];
    for (int64_t t = 0; t < n; ++t) {
      RmsNorm(x_.data() + t * d, w.attn_norm.data(), xn_.data() + t * d, d, c.rms_eps);
    }
    MatMulView(w.wq, xn_.data(), n, q_.data(), pool_);
    MatMulView(w.wk, xn_.data(), n, k_.data(), pool_);
    MatMulView(w.wv, xn_.data(), n, v_.data(), pool_);
    AddBias(q_.data(), w.bq, n);
    AddBias(k_.data(), w.bk, n);
    AddBias(v_.data(), w.bv, n);
    // RoPE, then store K and V for each token at its sequence position.
    uint16_t* k_cache = k_cache_[static_cast<size_t>(l)].data();
    uint16_t* v_cache = v_cache_[static_cast<size_t>(l)].data();
    for (int64_t t = 0; t < n; ++t) {
      const int64_t pos = positions[static_cast<size_t>(t)];
      ApplyRope(q_.data() + t * c.q_dim(), c.n_head, t);
      ApplyRope(k_.data() + t * c.kv_dim(), c.n_head_kv, t);
      const int64_t slot = static_cast<int64_t>(chunk[static_cast<size_t>(t)].sequence) *
                               options_.context_length + pos;
      F32ToFp16Row(k_.data() + t * c.kv_dim(), k_cache + slot * c.kv_dim(), c.kv_dim());
      F32ToFp16Row(v_.data() + t * c.kv_dim(), v_cache + slot * c.kv_dim(), c.kv_dim());
    }
    Attention(l, n, chunk, positions);
    MatMulView(w.wo, attn_out_.data(), n, ffn_out_.data(), pool_);
    for (int64_t i = 0; i < n * d; ++i) x_[static_cast<size_t>(i)] += ffn_out_[static_cast<size_t>(i)];

    for (int64_t t = 0; t < n; ++t) {
      RmsNorm(x_.data() + t * d, w.ffn_norm.data(), xn_.data() + t * d, d, c.rms_eps);
    }
    MatMulView(w.w_gate, xn_.data(), n, gate_.data(), pool_);
    MatMulView(w.w_up, xn_.data(), n, up_.data(), pool_);
    SiluMul(gate_.data(), up_.data(), gate_.data(), n * c.n_ff);
    MatMulView(w.w_down, gate_.data(), n, ffn_out_.data(), pool_);
    for (int64_t i = 0; i < n * d; ++i) x_[static_cast<size_t>(i)] += ffn_out_[static_cast<size_t>(i)];
  }

  // Final norm for the entries that want output, packed to the front of out_rows_.
  out_rows_.resize(chunk.size() * static_cast<size_t>(d));
  int64_t k = 0;
  for (int64_t t = 0; t < n; ++t) {
    if (!chunk[static_cast<size_t>(t)].output) continue;
    RmsNorm(x_.data() + t * d, model_->output_norm().data(), out_rows_.data() + k * d, d, c.rms_eps);
    ++k;
  }
  return Status::Ok();
}

}  // namespace locai::engine

// InferenceContext: runs a Model's forward pass over batches of tokens from several independent
// sequences, with an F16 KV cache per sequence slot.
//
// Each batch entry appends one token to one sequence; entries of different sequences are computed
// together in one pass (every matrix product runs once over the whole batch), which is what lets
// the node serve concurrent requests with continuous batching. Batches larger than
// `max_batch` are processed in chunks, so a long prompt never needs more scratch than one chunk.
//
// Thread-safety: a context is confined to one thread (the engine thread that owns it); it uses its
// own ThreadPool for the kernels. The Model it runs may be shared with other contexts.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "common/status.h"
#include "common/thread_pool.h"
#include "engine/model/model.h"

namespace locai::engine {

struct ContextOptions {
  int64_t context_length = 0;  // positions per sequence; 0: the model's context length
  int32_t n_sequences = 1;     // independent sequence slots
  int32_t n_threads = 0;       // 0: the machine's hardware threads
  int64_t max_batch = 512;     // tokens per forward chunk
  bool embeddings = false;     // keep the final hidden state of the tokens that ask for output
  bool logits = true;          // compute logits for them (off for an embeddings-only context)
};

struct BatchEntry {
  int32_t token = 0;
  int32_t sequence = 0;
  bool output = false;  // compute logits (and embeddings) for this entry
};

class InferenceContext {
 public:
  // Allocates the KV cache; fails with ResourceExhausted when the sizes are absurd.
  static Result<std::unique_ptr<InferenceContext>> Create(std::shared_ptr<const Model> model,
                                                          const ContextOptions& options);
  ~InferenceContext();

  // Appends every entry's token to its sequence and runs the forward pass. On success,
  // Logits(k) is the row of the k-th entry that asked for output. Fails, changing nothing, when
  // a token id is outside the vocabulary, a sequence id is out of range, or a sequence would pass
  // the context length.
  Status Decode(std::span<const BatchEntry> batch);

  // Logits of the k-th output of the last Decode, n_vocab floats.
  std::span<const float> Logits(size_t output_index) const;
  // Final normalised hidden state of the k-th output (when options.embeddings), n_embd floats.
  std::span<const float> Embedding(size_t output_index) const;
  size_t num_outputs() const { return num_outputs_; }

  int64_t SequenceLength(int32_t sequence) const;
  // Forgets the sequence's tokens from `length` on (0 clears it), keeping the prefix's cache.
  void TruncateSequence(int32_t sequence, int64_t length);

  const Model& model() const { return *model_; }
  const ContextOptions& options() const { return options_; }
  ThreadPool& pool() { return pool_; }

 private:
  InferenceContext(std::shared_ptr<const Model> model, const ContextOptions& options);
  Status DecodeChunk(std::span<const BatchEntry> chunk, std::span<const int64_t> positions);
  void Attention(int64_t layer, int64_t n_tokens, std::span<const BatchEntry> chunk,
                 std::span<const int64_t> positions);
  // Fills rope_cos_/rope_sin_ for the chunk's positions, once for all layers and heads.
  void PrepareRope(std::span<const int64_t> positions);
  // Rotates the `n_heads` heads of `vec` for the chunk's token `token`.
  void ApplyRope(float* vec, int64_t n_heads, int64_t token) const;

  std::shared_ptr<const Model> model_;
  ContextOptions options_;
  ThreadPool pool_;

  // KV cache: per layer, [sequence][position][kv_dim] in F16.
  std::vector<std::vector<uint16_t>> k_cache_;
  std::vector<std::vector<uint16_t>> v_cache_;
  std::vector<int64_t> seq_length_;

  // RoPE inverse frequencies per rotated pair, with the model's frequency factors applied.
  std::vector<float> rope_inv_freq_;
  std::vector<float> rope_cos_, rope_sin_;  // [chunk token][pair]

  // Scratch for one chunk, sized at creation.
  std::vector<float> x_, xn_, q_, k_, v_, attn_out_, gate_, up_, ffn_out_;
  std::vector<std::vector<float>> attn_scores_;  // per pool thread, context_length floats
  std::vector<float> logits_;
  std::vector<float> embeddings_;
  std::vector<float> out_rows_;  // normed hidden states of the output entries of a chunk
  size_t num_outputs_ = 0;
};

}  // namespace locai::engine

// Sampler: turns one step's logits into a token, following the request's SamplingParams.
//
// The chain, in order: logit bias, repetition penalty, presence/frequency penalties, then either
// greedy argmax (temperature 0 or top_k 1; ties go to the lowest id) or top-k, top-p, min-p,
// temperature and one seeded random draw. Stages that would do nothing are left out of the chain.
// Note that top-p and min-p see the distribution before temperature is applied.
//
// Usage per step: `SampledToken t = sampler.Sample(logits); sampler.Accept(t.id);`. Sample() does
// not accept the token itself, so a caller may reject or replace it (e.g. a stop string).
//
// Reported log-probabilities (unless params.compute_logprobs is false) are the log-softmax of the
// logits given to Sample(), before any stage (what OpenAI's `logprobs` reports). If the caller
// masks logits first (JSON mode), they describe the masked distribution.
//
// Determinism: the same params, seed and sequence of logits and accepted tokens give the same
// tokens on every run and platform (own RNG, a total order for every sort, fixed summation
// order), assuming std::exp is correctly rounded or equal on both platforms.
//
// Memory: the sampler owns its scratch buffers; after the first Sample() it allocates nothing per
// token except through the returned SampledToken (use the overload taking `out` to reuse one).
// Thread-safety: not thread-safe; one sampler per sequence, used from the engine thread.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "engine/sampling/sampler_stages.h"
#include "engine/sampling/sampling_params.h"

namespace locai::engine {

struct SampledToken {
  int32_t id = -1;       // -1 only when Sample() was given no logits
  float logprob = 0.0f;  // log-softmax of the raw logits at `id`
  // The params.top_logprobs most likely tokens by raw logit, (id, logprob), descending; equal
  // logits are ordered by ascending id.
  std::vector<std::pair<int32_t, float>> top;
};

class Sampler {
 public:
  // Expects params that passed Validate(params, n_vocab); otherwise values are clamped and bad
  // bias ids ignored (no undefined behaviour). Prefer Create() for untrusted params.
  Sampler(SamplingParams params, int32_t n_vocab);
  // Validate() then construct: InvalidArgument as Validate() reports it.
  static Result<Sampler> Create(SamplingParams params, int32_t n_vocab);

  Sampler(Sampler&&) noexcept = default;
  Sampler& operator=(Sampler&&) noexcept = default;
  Sampler(const Sampler&) = delete;
  Sampler& operator=(const Sampler&) = delete;

  // Samples from `logits` (n_vocab values; NaN counts as -infinity; extra values are ignored).
  SampledToken Sample(std::span<const float> logits);
  // Same, writing into `out` and reusing its `top` capacity.
  void Sample(std::span<const float> logits, SampledToken& out);

  // Records a generated token: it feeds all penalties.
  void Accept(int32_t token);
  // Records prompt tokens: they feed the repetition penalty window only (as in llama.cpp);
  // presence/frequency penalties count generated tokens only (OpenAI).
  void AcceptPrompt(std::span<const int32_t> tokens);
  // Forgets accepted tokens and restarts the random stream from the seed.
  void Reset();

  // Inspection hook: the candidates that survived the chain in the last Sample(), in the order the
  // draw walked them, with their final probabilities (greedy: the chosen one has prob 1, the rest
  // 0). Valid until the next Sample().
  std::span<const TokenCandidate> LastCandidates() const { return candidates_.items; }
  // The stage names of the chain in order, e.g. {"top_k", "temperature", "distribution"}.
  std::vector<std::string_view> StageNames() const;

  const SamplingParams& params() const { return params_; }
  int32_t n_vocab() const { return n_vocab_; }
  bool greedy() const { return greedy_; }

 private:
  void ComputeLogprobs(std::span<const float> logits, SampledToken& out) const;

  SamplingParams params_;
  int32_t n_vocab_;
  bool greedy_;
  std::vector<std::unique_ptr<SamplerStage>> stages_;
  CandidateList candidates_;
};

}  // namespace locai::engine

// SamplingParams: what a request asks of the sampler, already turned into native values by api/.
//
// Validate() checks the ranges once per request; a Sampler built from params that failed
// Validate() still behaves safely (out-of-range values are clamped, bad bias ids are ignored) but
// the caller is expected to reject the request instead.
// Thread-safety: a plain value.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "common/status.h"

namespace locai::engine {

// The most alternatives a SampledToken can report (OpenAI's top_logprobs limit).
inline constexpr int32_t kMaxTopLogprobs = 20;
// The largest repetition window a Sampler keeps.
inline constexpr int32_t kMaxRepeatLastN = 1 << 20;

struct SamplingParams {
  // 0 means greedy (argmax). Applied last, after the truncation stages.
  float temperature = 1.0f;
  // Keep the k most likely tokens; 0 disables. top_k == 1 is greedy.
  int32_t top_k = 0;
  // Keep the smallest set of most likely tokens whose probability sums to at least top_p.
  float top_p = 1.0f;
  // Keep tokens whose probability is at least min_p times that of the most likely token.
  float min_p = 0.0f;
  // llama.cpp repetition penalty over the last repeat_last_n accepted tokens (prompt tokens given
  // to AcceptPrompt() included): positive logits are divided by it, negative ones multiplied.
  float repeat_penalty = 1.0f;
  int32_t repeat_last_n = 64;
  // OpenAI penalties over generated tokens:
  // logit -= presence_penalty * (count > 0) + frequency_penalty * count.
  float presence_penalty = 0.0f;
  float frequency_penalty = 0.0f;
  // Seeds the random draw; the same seed and logits give the same tokens on every platform.
  uint64_t seed = 0;
  // (token id, bias) added to the raw logits; -infinity bans a token. Repeated ids add up.
  std::vector<std::pair<int32_t, float>> logit_bias;
  // How many alternatives (by raw log-probability) each SampledToken reports, 0..20.
  int32_t top_logprobs = 0;
  // Whether SampledToken::logprob and ::top are computed: a pass of n_vocab exp() per token
  // (about 0.3 ms for 128k tokens). When false, logprob is 0 and top is empty.
  bool compute_logprobs = true;
};

// OK, or InvalidArgument naming the offending field (and token id for logit_bias). Ranges:
// temperature [0, 100]; top_k >= 0; top_p [0, 1]; min_p [0, 1]; repeat_penalty (0, 100];
// repeat_last_n [0, 2^20]; presence/frequency penalties [-2, 2]; logit_bias ids [0, n_vocab) with
// finite values or -infinity; top_logprobs [0, 20]; n_vocab > 0. NaN is rejected everywhere.
[[nodiscard]] Status Validate(const SamplingParams& params, int32_t n_vocab);

}  // namespace locai::engine

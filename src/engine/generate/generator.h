// Generate: the single-sequence generation loop (prompt, then sample until a stop), used by the
// CLI's `run` and `bench`. It streams text in whole UTF-8 characters with stop strings held back,
// and reports timings. The node's server drives many sequences through the same pieces
// (InferenceContext, Sampler, StreamingDetokenizer, StopMatcher) with its own batch scheduler.
// Thread-safety: runs on the thread that owns the context.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "engine/model/inference_context.h"
#include "engine/sampling/sampling_params.h"
#include "engine/tokenizer/tokenizer.h"

namespace locai::engine {

enum class FinishReason { kStop, kLength, kCancelled };
std::string_view FinishReasonName(FinishReason reason);

struct GenerateOptions {
  SamplingParams sampling;
  int32_t max_tokens = 256;  // generated tokens at most (also capped by the context)
  std::vector<std::string> stop;
  bool ignore_eos = false;   // keep going past end-of-generation tokens (benchmarks)
  int32_t sequence = 0;      // the context's sequence slot to use; it is cleared first
};

struct GenerateResult {
  std::string text;                  // everything emitted
  std::vector<int32_t> tokens;       // generated ids
  FinishReason finish = FinishReason::kStop;
  int64_t prompt_tokens = 0;
  double prompt_seconds = 0.0;       // prompt processing, first token's logits included
  double generation_seconds = 0.0;   // the rest
};

// Called with each piece of text as it becomes safe to show; return false to cancel.
using TextCallback = std::function<bool(std::string_view piece)>;

// Runs `prompt` through the context then samples up to max_tokens. Errors: empty prompt, a token
// outside the vocabulary, invalid sampling parameters, a prompt longer than the context.
Result<GenerateResult> Generate(InferenceContext& ctx, const Tokenizer& tokenizer,
                                std::span<const int32_t> prompt, const GenerateOptions& options,
                                const TextCallback& on_text = nullptr);

}  // namespace locai::engine

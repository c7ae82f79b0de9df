#include "engine/generate/generator.h"

#include <chrono>

#include "engine/sampling/sampler.h"
#include "engine/sampling/stop_matcher.h"
#include "engine/tokenizer/streaming_detokenizer.h"

namespace locai::engine {

std::string_view FinishReasonName(FinishReason reason) {
  switch (reason) {
    case FinishReason::kStop: return "stop";
    case FinishReason::kLength: return "length";
    case FinishReason::kCancelled: return "cancelled";
  }
  return "unknown";
}

Result<GenerateResult> Generate(InferenceContext& ctx, const Tokenizer& tokenizer,
                                std::span<const int32_t> prompt, const GenerateOptions& options,
                                const TextCallback& on_text) {
  using Clock = std::chrono::steady_clock;
  if (prompt.empty()) return Err(Status::InvalidArgument("the prompt is empty"));
  if (options.max_tokens < 0) return Err(Status::InvalidArgument("max_tokens must not be negative"));
  const int64_t n_ctx = ctx.options().context_length;
  if (static_cast<int64_t>(prompt.size()) > n_ctx) {
    return Err(Status::InvalidArgument("the prompt has " + std::to_string(prompt.size()) +
                                       " tokens, more than the context of " + std::to_string(n_ctx)));
  }
  const auto n_vocab = static_cast<int32_t>(ctx.model().config().n_vocab);
  LOCAI_ASSIGN_OR_RETURN(Sampler sampler, Sampler::Create(options.sampling, n_vocab));
  sampler.AcceptPrompt(prompt);

  const int32_t seq = options.sequence;
  ctx.TruncateSequence(seq, 0);
  std::vector<BatchEntry> batch;
  batch.reserve(prompt.size());
  for (size_t i = 0; i < prompt.size(); ++i) batch.push_back({prompt[i], seq, i + 1 == prompt.size()});

  GenerateResult result;
  result.prompt_tokens = static_cast<int64_t>(prompt.size());
  const auto start = Clock::now();
  LOCAI_RETURN_IF_ERROR(ctx.Decode(batch));
  const auto prompt_done = Clock::now();
  result.prompt_seconds = std::chrono::duration<double>(prompt_done - start).count();

  StreamingDetokenizer detok(tokenizer, /*starts_text=*/true);
  StopMatcher stops(options.stop);
  auto emit = [&](const std::string& piece) {
    if (piece.empty()) return true;
    result.text += piece;
    return !on_text || on_text(piece);
  };
  const int64_t budget = std::min<int64_t>(options.max_tokens, n_ctx - static_cast<int64_t>(prompt.size()));
  result.finish = FinishReason::kLength;
  SampledToken sampled;
  for (int64_t i = 0; i < budget; ++i) {
    sampler.Sample(ctx.Logits(0), sampled);
    const int32_t token = sampled.id;
    if (!options.ignore_eos && tokenizer.IsEndOfGeneration(token)) {
      result.finish = FinishReason::kStop;
      break;
    }
    sampler.Accept(token);
    result.tokens.push_back(token);
    auto out = stops.Push(detok.Push(token));
    if (!emit(out.text)) {
      result.finish = FinishReason::kCancelled;
      break;
    }
    if (out.stopped) {
      result.finish = FinishReason::kStop;
      break;
    }
    if (i + 1 == budget) break;  // no need to run the last token through the model
    BatchEntry next{token, seq, true};
    LOCAI_RETURN_IF_ERROR(ctx.Decode({&next, 1}));
  }
  if (result.finish != FinishReason::kCancelled && !stops.stopped()) {
    auto tail = stops.Push(detok.Flush());
    std::string rest = tail.text + (tail.stopped ? "" : stops.Flush());
    emit(rest);
    if (tail.stopped) result.finish = FinishReason::kStop;
  }
  result.generation_seconds = std::chrono::duration<double>(Clock::now() - prompt_done).count();
  return result;
}

}  // namespace locai::engine

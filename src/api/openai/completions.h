// OpenAI legacy `POST /v1/completions`: request parsing into a GenerationRequest
// (api == kOpenAiCompletion) and serialisation of the `text_completion` body and stream.
// Thread-safety: pure functions; a CompletionStreamWriter is confined to one thread.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "api/common/api_error.h"
#include "api/common/generation.h"
#include "api/common/json_output.h"

namespace locai::api::openai {

// OpenAI's default when a completions request gives no max_tokens.
inline constexpr int64_t kDefaultCompletionMaxTokens = 16;
inline constexpr int kMaxCompletionLogprobs = 5;

// Parses a completions body into request.prompt and the shared fields (sampling_fields.h).
// `prompt` must be a string or an array of exactly one string. max_tokens: non-negative integer,
// default 16. `logprobs` (an integer 0..5 here) sets logprobs=true and top_logprobs.
// Errors (400 invalid_request_error, param naming the field): those of the shared fields; prompt
// missing, of another type, an array of token ids (unsupported) or of several prompts
// (unsupported); echo true; a non-empty suffix; best_of other than 1; logprobs outside 0..5.
ApiResult<GenerationRequest> ParseCompletionRequest(std::string_view body);

// {tokens, token_logprobs, top_logprobs:[{token: logprob}], text_offset}; offsets are byte
// offsets from `first_offset` (the start of the generated text is 0).
OrderedJson CompletionLogprobsJson(std::span<const TokenLogprob> logprobs, int64_t first_offset);

// {id, object:"text_completion", created, model, system_fingerprint, choices:[{text, index:0,
//  logprobs, finish_reason}], usage}. logprobs null unless `include_logprobs`.
std::string SerializeCompletion(const ResponseMeta& meta, const GenerationResult& result,
                                bool include_logprobs);

// SSE events of one streamed completion: Delta() per piece of text ({choices:[{text, index,
// logprobs, finish_reason:null}]}), then Finish(): a chunk with text "" and the finish_reason,
// the usage chunk (empty choices) when include_usage, and "data: [DONE]".
class CompletionStreamWriter {
 public:
  CompletionStreamWriter(ResponseMeta meta, bool include_usage, bool include_logprobs)
      : meta_(std::move(meta)),
        include_usage_(include_usage),
        include_logprobs_(include_logprobs) {}

  std::string Delta(std::string_view text, std::span<const TokenLogprob> logprobs = {});
  std::string Finish(FinishReason reason, const Usage& usage) const;
  std::string Error(const ApiError& error) const;

 private:
  OrderedJson Chunk(std::string_view text, OrderedJson logprobs, OrderedJson finish_reason) const;

  ResponseMeta meta_;
  bool include_usage_;
  bool include_logprobs_;
  int64_t text_offset_ = 0;  // bytes of text streamed so far
};

}  // namespace locai::api::openai

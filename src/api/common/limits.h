// Clamping of a request's token limit to what the model's context leaves room for. The parsers
// accept any non-negative max_tokens (10^9 included); the caller clamps once it has tokenised the
// prompt. Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "api/common/api_error.h"

namespace locai::api {

// The number of tokens to generate: min(requested, context_length - prompt_tokens), or the whole
// remaining context when `requested` is nullopt. Error: 400 invalid_request_error with code
// "context_length_exceeded" and param `prompt_param` ("messages" or "prompt") when the prompt
// leaves no room (prompt_tokens >= context_length) or when context_length is not positive.
ApiResult<int64_t> ClampMaxTokens(std::optional<int64_t> requested, int64_t prompt_tokens,
                                  int64_t context_length, std::string_view prompt_param);

}  // namespace locai::api

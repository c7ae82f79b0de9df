// The request fields that OpenAI's chat completions and (legacy) completions share: model,
// sampling parameters, stop, n, user, stream and stream_options. Used by chat_request.cc and
// completions.cc only.
// Thread-safety: pure functions.
#pragma once

#include "api/common/generation.h"
#include "api/common/json_input.h"

namespace locai::api::openai {

// Reads the shared fields of the top-level request object into `request`; the first error goes to
// reader.errors(). Rules: `model` required string; temperature 0..2; top_p 0..1; seed integer;
// presence_penalty and frequency_penalty -2..2; logit_bias an object of token-id strings to
// -100..100; stop a string or an array of at most 4 strings; n 1 (or null); user string;
// stream boolean; stream_options {include_usage: boolean} only with stream true.
void ReadSharedFields(ObjectReader& reader, GenerationRequest& request);

// Reads `key` as a max-tokens style limit: a non-negative integer (the caller clamps huge values);
// 0 is allowed only when `allow_zero`.
std::optional<int64_t> ReadTokenLimit(ObjectReader& reader, std::string_view key, bool allow_zero);

}  // namespace locai::api::openai

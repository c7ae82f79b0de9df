// Parsing of Anthropic `POST /v1/messages` request bodies into a GenerationRequest
// (api == kAnthropicMessages). Unknown fields are ignored.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "api/anthropic/version.h"
#include "api/common/api_error.h"
#include "api/common/generation.h"

namespace locai::api::anthropic {

// On success: `system` (a string or text blocks, joined with "\n") becomes a leading
// Role::kSystem message; consecutive messages of the same role are merged into one turn (their
// texts joined with "\n\n"), as Anthropic combines them; a final assistant message is a prefill
// the model continues (continue_final_message), an empty one is dropped. metadata.user_id goes
// to `user`, stop_sequences to `stop`.
//
// Errors, 400 invalid_request_error with `param` naming the field in Anthropic's dotted form
// (e.g. "messages.1.content.0.type"; Anthropic's body has no param, the message starts with it):
//   body not an object, too deep or invalid; model, max_tokens or messages missing;
//   max_tokens not a positive integer; messages empty or not starting with a user turn;
//   role not user/assistant; content not a string or an array of blocks; a block not of type
//   "text" (images, documents, tools: unsupported); empty content except in the final assistant
//   turn; a final assistant turn ending in whitespace; temperature or top_p outside 0..1; top_k
//   negative; non-empty `tools`; `thinking` enabled. Under version 2026-10-21 also: temperature,
//   top_p or top_k present at all ("Extra inputs are not permitted"), and non-empty `citations`
//   on a text block of a user message.
ApiResult<GenerationRequest> ParseMessagesRequest(std::string_view body, AnthropicVersion version);

// `POST /v1/messages/count_tokens`: the same body and rules, except that max_tokens is optional.
ApiResult<GenerationRequest> ParseCountTokensRequest(std::string_view body,
                                                     AnthropicVersion version);
// {"input_tokens": N}
std::string SerializeCountTokens(int64_t input_tokens);

}  // namespace locai::api::anthropic

// Serialises a GenerationRequest (parsed from either API) as a request body of either API, so the
// gateway can forward a client's request to an upstream that speaks the other format (cloud
// fallback). Parsing the result with the matching parser gives back the same request, up to the
// fields the target API cannot express (listed per function).
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "api/anthropic/version.h"
#include "api/common/api_error.h"
#include "api/common/generation.h"

namespace locai::api::translate {

// An OpenAI chat completions body for `upstream_model`. System messages keep their place with
// role "system"; a completions prompt becomes one user message. When streaming,
// stream_options.include_usage is always requested (the gateway meters usage). Not expressible:
// top_k and continue_final_message (the trailing assistant turn is sent as history).
std::string ToOpenAiChatBody(const GenerationRequest& request, std::string_view upstream_model);

// An Anthropic messages body for `upstream_model` under `version`. All system messages are joined
// with "\n\n" into `system`; max_tokens is request.max_tokens or `default_max_tokens` (Anthropic
// requires it); temperature is clamped to Anthropic's 0..1; sampling fields are left out under
// 2026-10-21; user goes to metadata.user_id. Not expressible (dropped): seed, penalties,
// logit_bias, logprobs, json_mode. Error (400 invalid_request_error, param "messages"): no user or
// assistant turn, or the first non-system turn is an assistant turn.
ApiResult<std::string> ToAnthropicMessagesBody(const GenerationRequest& request,
                                               std::string_view upstream_model,
                                               anthropic::AnthropicVersion version,
                                               int64_t default_max_tokens);

}  // namespace locai::api::translate

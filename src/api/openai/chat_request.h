// Parsing of OpenAI `POST /v1/chat/completions` request bodies into a GenerationRequest
// (api == kOpenAiChat). Fields and rules follow the official API; unknown fields are ignored.
// Thread-safety: pure functions.
#pragma once

#include <string_view>

#include "api/common/api_error.h"
#include "api/common/generation.h"

namespace locai::api::openai {

// Parses a chat completions body. On success the request holds the messages (system and developer
// roles as Role::kSystem; a message's text parts joined with "\n"), sampling fields, stop list,
// max_tokens (max_completion_tokens preferred over max_tokens), stream flags, logprobs,
// top_logprobs and json_mode.
//
// Errors, all 400 invalid_request_error with `param` naming the field:
//   body not a JSON object, nested deeper than kMaxJsonDepth, or invalid JSON (param empty);
//   `model` or `messages` missing; `messages` empty; a message not an object; role not one of
//   system/developer/user/assistant (tool and function roles: unsupported); content not a string
//   or an array of parts; a part whose type is not "text" (param messages[i].content[j].type);
//   assistant tool_calls, or non-empty `tools`/`functions` (unsupported); wrong types or ranges
//   of the sampling fields (see sampling_fields.h); max_tokens / max_completion_tokens not a
//   positive integer; top_logprobs outside 0..20 or given without logprobs=true;
//   response_format type json_schema (unsupported) or unknown.
ApiResult<GenerationRequest> ParseChatRequest(std::string_view body);

}  // namespace locai::api::openai

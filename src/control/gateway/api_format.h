// The gateway's answers in each API's own format: which API a request speaks, error responses
// (body, status, Retry-After), the error event that ends a stream after data was sent, and the
// route headers. Mirrors node/api_style.h (the control plane does not link the node).
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "api/common/api_error.h"
#include "common/status.h"
#include "net/http/http_message.h"

namespace locai::control::gateway {

enum class ApiFormat { kOpenAi, kAnthropic };

// Anthropic for /v1/messages and for any request carrying anthropic-version; OpenAI otherwise.
ApiFormat FormatOf(const net::HttpRequest& request);

// The error for `status` in `format` (api_error.h's mapping).
api::ApiError ErrorFor(ApiFormat format, const Status& status);
// Re-types an error for `format` (src/api parsers shared by both APIs give OpenAI types).
api::ApiError ForFormat(ApiFormat format, api::ApiError error);
// Every node busy and the wait over (or the queue full): OpenAI 429 rate_limit_error, Anthropic
// 529 overloaded_error.
api::ApiError OverloadedError(ApiFormat format, std::string message);

// The body of `error` in `format`, status and content-type set, Retry-After (seconds) when
// retry_after_s > 0. x-request-id is added by the server.
net::HttpResponse ErrorResponse(ApiFormat format, const api::ApiError& error,
                                int64_t retry_after_s = 0);

// The event that ends a stream after data was sent: OpenAI `data: {"error":{...}}` (no [DONE]),
// Anthropic `event: error` with {"type":"error","error":{"type":"api_error",...}}.
std::string StreamErrorEvent(ApiFormat format, std::string_view message);

// Sets x-locai-route and x-locai-route-target.
void SetRoute(net::HttpHeaders& headers, std::string_view route, std::string_view target);

}  // namespace locai::control::gateway

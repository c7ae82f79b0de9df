// How the node answers in each API's own format: which API a request speaks, error responses with
// the right body, status, x-request-id and Retry-After, the API-key check, and the renderer for
// errors the transport produces before any handler runs.
// Thread-safety: pure functions.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "api/common/api_error.h"
#include "common/status.h"
#include "net/http/error_renderer.h"
#include "net/http/http_message.h"
#include "net/http/response_writer.h"

namespace locai::node {

enum class ApiStyle { kOpenAi, kAnthropic };

// Where a response ran (issue 5): the names of control/router/route_info.h, copied here because the
// node does not link the control libraries. A node answers its own requests with "local"; a
// forwarded one carries what the control plane chose ("node" + node id, "cloud" + provider).
inline constexpr std::string_view kRouteHeader = "x-locai-route";
inline constexpr std::string_view kRouteTargetHeader = "x-locai-route-target";
inline constexpr std::string_view kRouteLocal = "local";
inline constexpr std::string_view kSessionHeader = "x-locai-session";

// True for the generation endpoints: /v1/chat/completions, /v1/completions, /v1/messages.
bool IsGenerationPath(std::string_view path);
// Adds `x-locai-route: local`.
void MarkServedLocally(net::HttpHeaders& headers);

// Anthropic for /v1/messages* and for any request carrying `anthropic-version` (the SDK sends it
// on every call, /v1/models included); OpenAI otherwise.
ApiStyle StyleOf(const net::HttpRequest& request);

// The error for `status` in `style` (see api_error.h for the mapping).
api::ApiError ErrorFromStatus(ApiStyle style, const Status& status);
// Re-types an error for `style` (parsers shared by both APIs produce OpenAI-typed errors).
api::ApiError ForStyle(ApiStyle style, api::ApiError error);

// The HTTP response for `error`: the API's body, x-request-id, and Retry-After (seconds) for 429,
// 503 and 529.
net::HttpResponse ErrorResponse(ApiStyle style, const api::ApiError& error,
                                std::string_view request_id, int retry_after_seconds);

// A JSON 200 (or `status`) response with x-request-id.
net::HttpResponse JsonResponse(int status, std::string body, std::string_view request_id);

// OK when no keys are configured or the request's key (x-api-key or Authorization: Bearer) is one
// of them; otherwise the 401 authentication_error for `style`.
bool Authorized(const net::HttpRequest& request, const std::vector<std::string>& api_keys);
api::ApiError UnauthorizedError(ApiStyle style, bool key_given);

// Transport errors (404, 405, 413, 431, 503, 500) in a body both SDKs parse:
// {"type":"error","error":{"type":...,"message":...,"param":null,"code":null}}.
net::RenderedError RenderTransportError(int status, std::string_view message);

}  // namespace locai::node

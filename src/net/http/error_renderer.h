// ErrorRenderer: turns an error that the server itself produces (404, 405, 413, 431, 500, ...)
// into a body in the caller's API format, so an OpenAI client sees OpenAI-shaped errors and an
// Anthropic client Anthropic-shaped ones even when no handler ran.
// Thread-safety: a renderer is called concurrently from the io threads; it must be thread-safe
// (a pure function is).
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace locai::net {

struct RenderedError {
  std::string content_type;
  std::string body;
};

using ErrorRenderer = std::function<RenderedError(int status, std::string_view message)>;

// {"error":{"message":"<message>","type":"<type>"}} with a type derived from the status
// (invalid_request_error, authentication_error, permission_error, not_found_error,
// request_too_large, rate_limit_error, api_error, overloaded_error, timeout_error).
RenderedError DefaultErrorRenderer(int status, std::string_view message);

// The default renderer's type name for `status`.
std::string_view DefaultErrorType(int status);

// `s` as a JSON string literal, quotes included (control characters escaped; other bytes
// passed through, so valid UTF-8 in gives valid UTF-8 out).
std::string JsonQuote(std::string_view s);

}  // namespace locai::net

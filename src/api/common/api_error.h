// ApiError: an error as the OpenAI and Anthropic HTTP APIs report it, and the mapping from
// locai::Status onto each API's error type and HTTP status.
//
// Parsers in api/ return ApiResult<T>; the HTTP layer writes `http_status` and the body from
// SerializeOpenAiError / SerializeAnthropicError. Thread-safety: values and pure functions.
#pragma once

#include <string>
#include <string_view>
#include <tl/expected.hpp>

#include "common/status.h"

namespace locai::api {

struct ApiError {
  int http_status = 500;
  std::string type;     // OpenAI or Anthropic error type, e.g. "invalid_request_error"
  std::string message;  // human-readable
  std::string param;    // OpenAI `param` (e.g. "messages[2].content"); empty -> null
  std::string code;     // OpenAI `code` (e.g. "model_not_found"); empty -> null

  bool operator==(const ApiError&) const = default;
};

template <typename T>
using ApiResult = tl::expected<T, ApiError>;

inline tl::unexpected<ApiError> ApiErr(ApiError error) {
  return tl::unexpected<ApiError>(std::move(error));
}

// A 400 invalid_request_error (the same type name in both APIs).
ApiError InvalidRequest(std::string message, std::string param = "", std::string code = "");

// A 413 for a body over the server's limit: OpenAI invalid_request_error / Anthropic
// request_too_large.
ApiError OpenAiRequestTooLarge(std::string message);
ApiError AnthropicRequestTooLarge(std::string message);

// A 404 for an unknown model: OpenAI not_found_error with code "model_not_found" and param
// "model"; Anthropic not_found_error.
ApiError OpenAiModelNotFound(std::string_view model);
ApiError AnthropicModelNotFound(std::string_view model);

// Maps a non-OK Status onto OpenAI's error types and statuses:
//   InvalidArgument, FailedPrecondition, OutOfRange, Unimplemented -> 400 invalid_request_error
//   Unauthenticated -> 401 authentication_error   PermissionDenied -> 403 permission_error
//   NotFound -> 404 not_found_error               AlreadyExists -> 409 invalid_request_error
//   ResourceExhausted -> 429 rate_limit_error     Unavailable -> 503 server_error
//   DeadlineExceeded -> 504 server_error          others (and OK, a caller bug) -> 500 server_error
// `param` fills ApiError::param.
ApiError OpenAiErrorFromStatus(const Status& status, std::string param = "");

// Maps a non-OK Status onto Anthropic's error types and statuses:
//   InvalidArgument, FailedPrecondition, OutOfRange, Unimplemented, AlreadyExists
//     -> 400 invalid_request_error
//   Unauthenticated -> 401 authentication_error   PermissionDenied -> 403 permission_error
//   NotFound -> 404 not_found_error               ResourceExhausted -> 429 rate_limit_error
//   Unavailable -> 529 overloaded_error           DeadlineExceeded -> 504 timeout_error
//   others (and OK) -> 500 api_error
ApiError AnthropicErrorFromStatus(const Status& status);

// Re-types an error for the other API by its HTTP status (used when a parser shared by both APIs
// or an upstream of the other format produced it): 401/403/404/429/413 keep their meaning,
// 5xx become server_error (OpenAI) or api_error / overloaded_error (Anthropic, 529 or 503).
ApiError ToOpenAiError(ApiError error);
ApiError ToAnthropicError(ApiError error);

// {"error":{"message":...,"type":...,"param":...|null,"code":...|null}}
std::string SerializeOpenAiError(const ApiError& error);
// {"type":"error","error":{"type":...,"message":...}}
std::string SerializeAnthropicError(const ApiError& error);

}  // namespace locai::api

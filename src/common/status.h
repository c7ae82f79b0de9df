// Status and Result<T>: the error-return types used across every library boundary.
//
// A Status is cheap when OK (no allocation) and otherwise carries a code and a message. The codes
// map one-to-one onto the OpenAI and Anthropic error types (see api/), so an engine error can be
// reported to a client without translation tables scattered through the code.
// Thread-safety: values; safe to copy between threads.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include <tl/expected.hpp>

namespace locai {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,    // bad input from a caller: 400 invalid_request_error
  kNotFound,           // 404 not_found_error / model_not_found
  kAlreadyExists,      // 409
  kPermissionDenied,   // 403 permission_error
  kUnauthenticated,    // 401 authentication_error
  kResourceExhausted,  // 429 rate_limit_error / queue full / does not fit
  kFailedPrecondition, // 400/409: state does not allow the operation
  kOutOfRange,         // 400: index or id outside the valid range
  kUnimplemented,      // 501 / 400: a feature we do not support (yet)
  kUnavailable,        // 503 overloaded_error
  kDataLoss,           // a file is corrupt or truncated
  kCancelled,          // the caller went away
  kDeadlineExceeded,   // 504 / timeout
  kInternal,           // 500 api_error: a bug
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK

  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string msg) { return {StatusCode::kInvalidArgument, std::move(msg)}; }
  static Status NotFound(std::string msg) { return {StatusCode::kNotFound, std::move(msg)}; }
  static Status AlreadyExists(std::string msg) { return {StatusCode::kAlreadyExists, std::move(msg)}; }
  static Status PermissionDenied(std::string msg) { return {StatusCode::kPermissionDenied, std::move(msg)}; }
  static Status Unauthenticated(std::string msg) { return {StatusCode::kUnauthenticated, std::move(msg)}; }
  static Status ResourceExhausted(std::string msg) { return {StatusCode::kResourceExhausted, std::move(msg)}; }
  static Status FailedPrecondition(std::string msg) { return {StatusCode::kFailedPrecondition, std::move(msg)}; }
  static Status OutOfRange(std::string msg) { return {StatusCode::kOutOfRange, std::move(msg)}; }
  static Status Unimplemented(std::string msg) { return {StatusCode::kUnimplemented, std::move(msg)}; }
  static Status Unavailable(std::string msg) { return {StatusCode::kUnavailable, std::move(msg)}; }
  static Status DataLoss(std::string msg) { return {StatusCode::kDataLoss, std::move(msg)}; }
  static Status Cancelled(std::string msg) { return {StatusCode::kCancelled, std::move(msg)}; }
  static Status DeadlineExceeded(std::string msg) { return {StatusCode::kDeadlineExceeded, std::move(msg)}; }
  static Status Internal(std::string msg) { return {StatusCode::kInternal, std::move(msg)}; }

  bool ok() const { return state_ == nullptr; }
  StatusCode code() const { return state_ ? state_->code : StatusCode::kOk; }
  // The message without the code; empty when OK.
  const std::string& message() const;
  // "InvalidArgument: message", or "OK".
  std::string ToString() const;

  // Returns a copy whose message is "prefix: message"; OK stays OK.
  Status WithContext(std::string_view prefix) const;

 private:
  struct State {
    StatusCode code;
    std::string message;
  };
  Status(StatusCode code, std::string msg)
      : state_(std::make_shared<const State>(State{code, std::move(msg)})) {}
  std::shared_ptr<const State> state_;  // null when OK; immutable, so copies may share it
};

template <typename T>
using Result = tl::expected<T, Status>;

// Wraps a failed Status for returning from a function that returns Result<T>.
inline tl::unexpected<Status> Err(Status status) { return tl::unexpected<Status>(std::move(status)); }

}  // namespace locai

namespace locai::internal {
// What LOCAI_RETURN_IF_ERROR returns: converts to a Status or to any Result<T>, so the macro works
// in functions of either return type.
struct ErrorReturn {
  Status status;
  operator Status() && { return std::move(status); }  // NOLINT(google-explicit-constructor)
  template <typename T>
  operator tl::expected<T, Status>() && {  // NOLINT(google-explicit-constructor)
    return tl::unexpected<Status>(std::move(status));
  }
};
}  // namespace locai::internal

// Returns early from the enclosing function (returning Status or Result<T>) when `expr`, a
// Status, is not OK.
#define LOCAI_RETURN_IF_ERROR(expr)                                       \
  do {                                                                    \
    ::locai::Status locai_status_tmp_ = (expr);                           \
    if (!locai_status_tmp_.ok()) {                                        \
      return ::locai::internal::ErrorReturn{std::move(locai_status_tmp_)}; \
    }                                                                     \
  } while (0)

#define LOCAI_CONCAT_INNER_(a, b) a##b
#define LOCAI_CONCAT_(a, b) LOCAI_CONCAT_INNER_(a, b)
// `LOCAI_ASSIGN_OR_RETURN(auto x, ExprReturningResult());` unwraps or returns the error.
#define LOCAI_ASSIGN_OR_RETURN(lhs, expr) \
  LOCAI_ASSIGN_OR_RETURN_IMPL_(LOCAI_CONCAT_(locai_result_, __LINE__), lhs, expr)
#define LOCAI_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp) return ::locai::internal::ErrorReturn{std::move(tmp).error()}; \
  lhs = std::move(*tmp)

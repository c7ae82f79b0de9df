#include "api/common/api_error.h"

#include <utility>

#include "api/common/json_output.h"

namespace locai::api {
namespace {

ApiError Make(int http_status, std::string type, std::string message, std::string param = "",
              std::string code = "") {
  return ApiError{http_status, std::move(type), std::move(message), std::move(param),
                  std::move(code)};
}

std::string MessageOf(const Status& status) {
  if (status.ok()) return "internal error: an OK status was reported as an error";
  return status.message().empty() ? std::string(StatusCodeName(status.code())) : status.message();
}

}  // namespace

ApiError InvalidRequest(std::string message, std::string param, std::string code) {
  return Make(400, "invalid_request_error", std::move(message), std::move(param), std::move(code));
}

ApiError OpenAiRequestTooLarge(std::string message) {
  return Make(413, "invalid_request_error", std::move(message));
}

ApiError AnthropicRequestTooLarge(std::string message) {
  return Make(413, "request_too_large", std::move(message));
}

ApiError OpenAiModelNotFound(std::string_view model) {
  return Make(
      404, "not_found_error",
      "The model '" + std::string(model) + "' does not exist or you do not have access to it.",
      "model", "model_not_found");
}

ApiError AnthropicModelNotFound(std::string_view model) {
  return Make(404, "not_found_error", "model: " + std::string(model));
}

ApiError OpenAiErrorFromStatus(const Status& status, std::string param) {
  std::string message = MessageOf(status);
  switch (status.code()) {
    case StatusCode::kInvalidArgument:
    case StatusCode::kFailedPrecondition:
    case StatusCode::kOutOfRange:
    case StatusCode::kUnimplemented:
      return Make(400, "invalid_request_error", std::move(message), std::move(param));
    case StatusCode::kUnauthenticated:
      return Make(401, "authentication_error", std::move(message), std::move(param));
    case StatusCode::kPermissionDenied:
      return Make(403, "permission_error", std::move(message), std::move(param));
    case StatusCode::kNotFound:
      return Make(404, "not_found_error", std::move(message), std::move(param));
    case StatusCode::kAlreadyExists:
      return Make(409, "invalid_request_error", std::move(message), std::move(param));
    case StatusCode::kResourceExhausted:
      return Make(429, "rate_limit_error", std::move(message), std::move(param));
    case StatusCode::kUnavailable:
      return Make(503, "server_error", std::move(message), std::move(param));
    case StatusCode::kDeadlineExceeded:
      return Make(504, "server_error", std::move(message), std::move(param));
    case StatusCode::kOk:
    case StatusCode::kDataLoss:
    case StatusCode::kCancelled:
    case StatusCode::kInternal:
      break;
  }
  return Make(500, "server_error", std::move(message), std::move(param));
}

ApiError AnthropicErrorFromStatus(const Status& status) {
  std::string message = MessageOf(status);
  switch (status.code()) {
    case StatusCode::kInvalidArgument:
    case StatusCode::kFailedPrecondition:
    case StatusCode::kOutOfRange:
    case StatusCode::kUnimplemented:
    case StatusCode::kAlreadyExists:
      return Make(400, "invalid_request_error", std::move(message));
    case StatusCode::kUnauthenticated:
      return Make(401, "authentication_error", std::move(message));
    case StatusCode::kPermissionDenied:
      return Make(403, "permission_error", std::move(message));
    case StatusCode::kNotFound:
      return Make(404, "not_found_error", std::move(message));
    case StatusCode::kResourceExhausted:
      return Make(429, "rate_limit_error", std::move(message));
    case StatusCode::kUnavailable:
      return Make(529, "overloaded_error", std::move(message));
    case StatusCode::kDeadlineExceeded:
      return Make(504, "timeout_error", std::move(message));
    case StatusCode::kOk:
    case StatusCode::kDataLoss:
    case StatusCode::kCancelled:
    case StatusCode::kInternal:
      break;
  }
  return Make(500, "api_error", std::move(message));
}

ApiError ToOpenAiError(ApiError error) {
  switch (error.http_status) {
    case 400:
    case 409:
    case 413:
    case 422:
      error.type = "invalid_request_error";
      break;
    case 401:
      error.type = "authentication_error";
      break;
    case 403:
      error.type = "permission_error";
      break;
    case 404:
      error.type = "not_found_error";
      break;
    case 429:
      error.type = "rate_limit_error";
      break;
    case 529:
      error.http_status = 503;
      error.type = "server_error";
      break;
    default:
      if (error.http_status >= 500) {
        error.type = "server_error";
      } else if (error.http_status >= 400) {
        error.type = "invalid_request_error";
      } else {
        error.http_status = 500;
        error.type = "server_error";
      }
  }
  return error;
}

ApiError ToAnthropicError(ApiError error) {
  error.param.clear();
  error.code.clear();
  switch (error.http_status) {
    case 400:
    case 409:
    case 422:
      error.http_status = 400;
      error.type = "invalid_request_error";
      break;
    case 401:
      error.type = "authentication_error";
      break;
    case 403:
      error.type = "permission_error";
      break;
    case 404:
      error.type = "not_found_error";
      break;
    case 413:
      error.type = "request_too_large";
      break;
    case 429:
      error.type = "rate_limit_error";
      break;
    case 503:
    case 529:
      error.http_status = 529;
      error.type = "overloaded_error";
      break;
    case 504:
      error.type = "timeout_error";
      break;
    default:
      if (error.http_status >= 400 && error.http_status < 500) {
        error.http_status = 400;
        error.type = "invalid_request_error";
      } else {
        error.http_status = 500;
        error.type = "api_error";
      }
  }
  return error;
}

std::string SerializeOpenAiError(const ApiError& error) {
  OrderedJson body;
  OrderedJson& inner = body["error"];
  inner["message"] = error.message;
  inner["type"] = error.type;
  inner["param"] = error.param.empty() ? OrderedJson(nullptr) : OrderedJson(error.param);
  inner["code"] = error.code.empty() ? OrderedJson(nullptr) : OrderedJson(error.code);
  return DumpJson(body);
}

std::string SerializeAnthropicError(const ApiError& error) {
  OrderedJson body;
  body["type"] = "error";
  body["error"]["type"] = error.type;
  body["error"]["message"] = error.message;
  return DumpJson(body);
}

}  // namespace locai::api

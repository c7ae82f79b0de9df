#include "control/gateway/api_format.h"

#include "control/router/route_info.h"

namespace locai::control::gateway {

ApiFormat FormatOf(const net::HttpRequest& request) {
  if (request.path.starts_with("/v1/messages")) return ApiFormat::kAnthropic;
  if (request.headers.Has("anthropic-version")) return ApiFormat::kAnthropic;
  return ApiFormat::kOpenAi;
}

api::ApiError ErrorFor(ApiFormat format, const Status& status) {
  return format == ApiFormat::kAnthropic ? api::AnthropicErrorFromStatus(status)
                                         : api::OpenAiErrorFromStatus(status);
}

api::ApiError ForFormat(ApiFormat format, api::ApiError error) {
  return format == ApiFormat::kAnthropic ? api::ToAnthropicError(std::move(error))
                                         : api::ToOpenAiError(std::move(error));
}

api::ApiError OverloadedError(ApiFormat format, std::string message) {
  api::ApiError error;
  if (format == ApiFormat::kAnthropic) {
    error.http_status = 529;
    error.type = "overloaded_error";
  } else {
    error.http_status = 429;
    error.type = "rate_limit_error";
  }
  error.message = std::move(message);
  return error;
}

net::HttpResponse ErrorResponse(ApiFormat format, const api::ApiError& error,
                                int64_t retry_after_s) {
  net::HttpResponse response = net::HttpResponse::Json(
      error.http_status, format == ApiFormat::kAnthropic ? api::SerializeAnthropicError(error)
                                                         : api::SerializeOpenAiError(error));
  if (retry_after_s > 0) response.headers.Set("Retry-After", std::to_string(retry_after_s));
  if (error.http_status == 401) response.headers.Set("WWW-Authenticate", "Bearer");
  return response;
}

std::string StreamErrorEvent(ApiFormat format, std::string_view message) {
  api::ApiError error;
  error.http_status = 500;
  error.message = std::string(message);
  if (format == ApiFormat::kAnthropic) {
    error.type = "api_error";
    return "event: error\ndata: " + api::SerializeAnthropicError(error) + "\n\n";
  }
  error.type = "server_error";
  return "data: " + api::SerializeOpenAiError(error) + "\n\n";
}

void SetRoute(net::HttpHeaders& headers, std::string_view route, std::string_view target) {
  headers.Set(std::string(router::kRouteHeader), std::string(route));
  if (!target.empty()) headers.Set(std::string(router::kRouteTargetHeader), std::string(target));
}

}  // namespace locai::control::gateway

#include "node/api_style.h"

#include <nlohmann/json.hpp>

#include "api/common/headers.h"

namespace locai::node {

ApiStyle StyleOf(const net::HttpRequest& request) {
  if (request.path.rfind("/v1/messages", 0) == 0) return ApiStyle::kAnthropic;
  if (request.headers.Has("anthropic-version")) return ApiStyle::kAnthropic;
  return ApiStyle::kOpenAi;
}

bool IsGenerationPath(std::string_view path) {
  return path == "/v1/chat/completions" || path == "/v1/completions" || path == "/v1/messages";
}

void MarkServedLocally(net::HttpHeaders& headers) {
  headers.Set(std::string(kRouteHeader), std::string(kRouteLocal));
}

api::ApiError ErrorFromStatus(ApiStyle style, const Status& status) {
  return style == ApiStyle::kAnthropic ? api::AnthropicErrorFromStatus(status)
                                       : api::OpenAiErrorFromStatus(status);
}

api::ApiError ForStyle(ApiStyle style, api::ApiError error) {
  return style == ApiStyle::kAnthropic ? api::ToAnthropicError(std::move(error))
                                       : api::ToOpenAiError(std::move(error));
}

net::HttpResponse ErrorResponse(ApiStyle style, const api::ApiError& error,
                                std::string_view request_id, int retry_after_seconds) {
  net::HttpResponse response = net::HttpResponse::Json(
      error.http_status, style == ApiStyle::kAnthropic ? api::SerializeAnthropicError(error)
                                                       : api::SerializeOpenAiError(error));
  response.headers.Set("x-request-id", std::string(request_id));
  if (error.http_status == 429 || error.http_status == 503 || error.http_status == 529) {
    response.headers.Set("Retry-After", std::to_string(retry_after_seconds));
  }
  return response;
}

net::HttpResponse JsonResponse(int status, std::string body, std::string_view request_id) {
  net::HttpResponse response = net::HttpResponse::Json(status, std::move(body));
  response.headers.Set("x-request-id", std::string(request_id));
  return response;
}

bool Authorized(const net::HttpRequest& request, const std::vector<std::string>& api_keys) {
  if (api_keys.empty()) return true;
  const auto key = api::ExtractApiKey(request.headers.entries());
  if (!key) return false;
  for (const auto& allowed : api_keys) {
    if (allowed.size() != key->size()) continue;
    // Constant time over the key's length.
    unsigned char diff = 0;
    for (size_t i = 0; i < allowed.size(); ++i) {
      diff |= static_cast<unsigned char>(allowed[i] ^ (*key)[i]);
    }
    if (diff == 0) return true;
  }
  return false;
}

api::ApiError UnauthorizedError(ApiStyle style, bool key_given) {
  if (style == ApiStyle::kAnthropic) {
    return api::ApiError{401, "authentication_error",
                         key_given ? "invalid x-api-key" : "x-api-key header is required", "",
                         ""};
  }
  return api::ApiError{401, "invalid_request_error",
                       key_given ? "Incorrect API key provided."
                                 : "You didn't provide an API key. Provide it in the "
                                   "Authorization header (Bearer auth).",
                       "", "invalid_api_key"};
}

net::RenderedError RenderTransportError(int status, std::string_view message) {
  nlohmann::ordered_json body;
  body["type"] = "error";
  body["error"]["type"] = std::string(net::DefaultErrorType(status));
  body["error"]["message"] = std::string(message);
  body["error"]["param"] = nullptr;
  body["error"]["code"] = nullptr;
  return net::RenderedError{"application/json",
                            body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)};
}

}  // namespace locai::node

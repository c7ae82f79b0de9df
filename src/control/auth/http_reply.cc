#include "control/auth/http_reply.h"

#include <string>
#include <utility>

#include "api/common/api_error.h"

namespace locai::control {

net::HttpResponse ErrorResponse(const Status& status) {
  const api::ApiError error = api::OpenAiErrorFromStatus(status);
  net::HttpResponse response =
      net::HttpResponse::Json(error.http_status, api::SerializeOpenAiError(error));
  if (status.code() == StatusCode::kUnauthenticated) {
    response.headers.Set("WWW-Authenticate", "Bearer");
  }
  return response;
}

net::HttpResponse JsonResponse(int http_status, const nlohmann::json& body) {
  // Replace invalid UTF-8 rather than throw: names come from clients.
  return net::HttpResponse::Json(http_status,
                                 body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

void SendError(net::ResponseWriter& writer, const Status& status) {
  writer.Send(ErrorResponse(status));
}

Result<nlohmann::json> ParseJsonObject(const std::string& body) {
  nlohmann::json parsed = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return Err(Status::InvalidArgument("the body is not valid JSON"));
  if (!parsed.is_object()) return Err(Status::InvalidArgument("the body must be a JSON object"));
  return parsed;
}

Result<std::string> RequiredString(const nlohmann::json& object, const char* field) {
  auto it = object.find(field);
  if (it == object.end() || it->is_null()) {
    return Err(Status::InvalidArgument(std::string("'") + field + "' is required"));
  }
  if (!it->is_string()) {
    return Err(Status::InvalidArgument(std::string("'") + field + "' must be a string"));
  }
  return it->get<std::string>();
}

Result<std::string> OptionalString(const nlohmann::json& object, const char* field,
                                   std::string fallback) {
  auto it = object.find(field);
  if (it == object.end() || it->is_null()) return fallback;
  if (!it->is_string()) {
    return Err(Status::InvalidArgument(std::string("'") + field + "' must be a string"));
  }
  return it->get<std::string>();
}

Result<int64_t> OptionalInt(const nlohmann::json& object, const char* field, int64_t fallback) {
  auto it = object.find(field);
  if (it == object.end() || it->is_null()) return fallback;
  if (!it->is_number_integer()) {
    return Err(Status::InvalidArgument(std::string("'") + field + "' must be an integer"));
  }
  return it->get<int64_t>();
}

}  // namespace locai::control

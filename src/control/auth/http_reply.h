// JSON replies of the control plane's HTTP API: success bodies and errors in the OpenAI shape
// `{"error":{"message","type","param","code"}}` with the HTTP status the Status code maps to
// (api::OpenAiErrorFromStatus), so the control plane answers like the node does. Every control
// library links auth, so the helpers live here.
// Thread-safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "net/http/http_message.h"
#include "net/http/response_writer.h"

namespace locai::control {

// The error response for a non-OK `status` (401 also carries `WWW-Authenticate: Bearer`).
net::HttpResponse ErrorResponse(const Status& status);
// A JSON response with `body` serialised.
net::HttpResponse JsonResponse(int http_status, const nlohmann::json& body);

// Sends ErrorResponse(status) through `writer`.
void SendError(net::ResponseWriter& writer, const Status& status);

// Parses `body` as a JSON object: InvalidArgument when it is not valid JSON or not an object.
Result<nlohmann::json> ParseJsonObject(const std::string& body);

// Field readers for a parsed object: InvalidArgument naming the field when it has the wrong type
// (or, for the Required ones, is missing).
Result<std::string> RequiredString(const nlohmann::json& object, const char* field);
Result<std::string> OptionalString(const nlohmann::json& object, const char* field,
                                   std::string fallback);
Result<int64_t> OptionalInt(const nlohmann::json& object, const char* field, int64_t fallback);

}  // namespace locai::control

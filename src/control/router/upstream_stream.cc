#include "control/router/upstream_stream.h"

#include <limits>
#include <utility>

#include "api/common/json_input.h"

namespace locai::control::router {
namespace {

using api::Json;

// Untrusted provider JSON: depth-checked, parsed without exceptions; discarded on failure.
Json ParseProviderJson(std::string_view text) {
  if (!api::JsonDepthWithin(text)) return Json(Json::value_t::discarded);
  return Json::parse(text.begin(), text.end(), nullptr, false);
}

const Json* Member(const Json& object, std::string_view key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

std::string Text(const Json& object, std::string_view key) {
  const Json* value = Member(object, key);
  return value != nullptr && value->is_string() ? value->get<std::string>() : std::string();
}

int64_t Count(const Json& object, std::string_view key, int64_t fallback) {
  const Json* value = Member(object, key);
  if (value == nullptr) return fallback;
  return api::IntegerValue(*value, 0, std::numeric_limits<int64_t>::max()).value_or(fallback);
}

StatusCode CodeForHttpStatus(int http_status) {
  switch (http_status) {
    case 400:
    case 413:
    case 422:
      return StatusCode::kInvalidArgument;
    case 401:
    case 403:
      return StatusCode::kPermissionDenied;
    case 404:
      return StatusCode::kNotFound;
    case 429:
      return StatusCode::kResourceExhausted;
    case 408:
    case 504:
      return StatusCode::kDeadlineExceeded;
    default:
      return StatusCode::kUnavailable;
  }
}

StatusCode CodeForErrorType(std::string_view type) {
  if (type == "invalid_request_error" || type == "request_too_large") {
    return StatusCode::kInvalidArgument;
  }
  if (type == "authentication_error" || type == "permission_error") {
    return StatusCode::kPermissionDenied;
  }
  if (type == "not_found_error") return StatusCode::kNotFound;
  if (type == "rate_limit_error") return StatusCode::kResourceExhausted;
  if (type == "timeout_error") return StatusCode::kDeadlineExceeded;
  return StatusCode::kUnavailable;
}

Status MakeStatus(StatusCode code, std::string message) {
  switch (code) {
    case StatusCode::kInvalidArgument:
      return Status::InvalidArgument(std::move(message));
    case StatusCode::kPermissionDenied:
      return Status::PermissionDenied(std::move(message));
    case StatusCode::kNotFound:
      return Status::NotFound(std::move(message));
    case StatusCode::kResourceExhausted:
      return Status::ResourceExhausted(std::move(message));
    case StatusCode::kDeadlineExceeded:
      return Status::DeadlineExceeded(std::move(message));
    default:
      return Status::Unavailable(std::move(message));
  }
}

// {"error":{"type","message"}} (OpenAI, Anthropic) or {"type":"error","error":{...}} (Anthropic).
struct ErrorFields {
  std::string type;
  std::string message;
};

ErrorFields ReadErrorBody(const Json& body) {
  ErrorFields fields;
  const Json* error = Member(body, "error");
  if (error != nullptr && error->is_object()) {
    fields.type = Text(*error, "type");
    fields.message = Text(*error, "message");
  } else if (error != nullptr && error->is_string()) {
    fields.message = error->get<std::string>();  // some OpenAI-compatible servers
  }
  return fields;
}

std::string Describe(std::string_view provider, int http_status, const ErrorFields& fields) {
  std::string text = "cloud provider '" + std::string(provider) + "' (";
  if (http_status > 0) text += "HTTP " + std::to_string(http_status);
  if (!fields.type.empty()) text += (http_status > 0 ? " " : "") + fields.type;
  if (http_status <= 0 && fields.type.empty()) text += "stream error";
  text += "): ";
  text += fields.message.empty() ? "no error message" : fields.message;
  return text;
}

}  // namespace

Status ProviderErrorStatus(std::string_view provider, int http_status, std::string_view body) {
  ErrorFields fields = ReadErrorBody(ParseProviderJson(body));
  return MakeStatus(CodeForHttpStatus(http_status), Describe(provider, http_status, fields));
}

Status UpstreamStreamReader::Malformed(std::string_view what) const {
  return Status::DataLoss("cloud provider '" + provider_ +
                          "' sent a malformed stream: " + std::string(what));
}

Result<std::string> UpstreamStreamReader::OnEvent(const api::SseMessage& event) {
  if (done_) return std::string();
  return kind_ == ProviderKind::kAnthropic ? OnAnthropicEvent(event) : OnOpenAiEvent(event);
}

Result<std::string> UpstreamStreamReader::OnOpenAiEvent(const api::SseMessage& event) {
  if (event.data == "[DONE]") {
    done_ = true;
    return std::string();
  }
  Json chunk = ParseProviderJson(event.data);
  if (!chunk.is_object()) return Err(Malformed("an event is not a JSON object"));
  if (Member(chunk, "error") != nullptr) {
    ErrorFields fields = ReadErrorBody(chunk);
    return Err(MakeStatus(CodeForErrorType(fields.type), Describe(provider_, 0, fields)));
  }
  if (std::string id = Text(chunk, "id"); !id.empty()) completion_.upstream_id = std::move(id);
  if (std::string model = Text(chunk, "model"); !model.empty()) {
    completion_.upstream_model = std::move(model);
  }
  const Json* choices = Member(chunk, "choices");
  if (choices == nullptr || !choices->is_array()) {
    return Err(Malformed("a chunk without choices"));
  }
  std::string text;
  for (const Json& choice : *choices) {
    // n is always 1 here; a provider that sends more choices gets the first one read.
    if (Count(choice, "index", 0) != 0) continue;
    if (const Json* delta = Member(choice, "delta")) text += Text(*delta, "content");
    std::string finish = Text(choice, "finish_reason");
    if (!finish.empty()) {
      completion_.finish_reason =
          api::FinishReasonFromOpenAi(finish).value_or(api::FinishReason::kStop);
    }
  }
  if (const Json* usage = Member(chunk, "usage"); usage != nullptr && usage->is_object()) {
    completion_.usage.prompt_tokens = Count(*usage, "prompt_tokens", 0);
    completion_.usage.completion_tokens = Count(*usage, "completion_tokens", 0);
  }
  return text;
}

Result<std::string> UpstreamStreamReader::OnAnthropicEvent(const api::SseMessage& event) {
  if (event.event == "ping") return std::string();
  Json data = ParseProviderJson(event.data);
  if (!data.is_object()) return Err(Malformed("an event is not a JSON object"));
  std::string type = Text(data, "type");
  if (type.empty()) type = event.event;
  if (type == "error") {
    ErrorFields fields = ReadErrorBody(data);
    return Err(MakeStatus(CodeForErrorType(fields.type), Describe(provider_, 0, fields)));
  }
  if (type == "message_start") {
    const Json* message = Member(data, "message");
    if (message == nullptr || !message->is_object()) {
      return Err(Malformed("message_start without a message"));
    }
    completion_.upstream_id = Text(*message, "id");
    completion_.upstream_model = Text(*message, "model");
    if (const Json* usage = Member(*message, "usage")) {
      completion_.usage.prompt_tokens = Count(*usage, "input_tokens", 0);
      completion_.usage.completion_tokens = Count(*usage, "output_tokens", 0);
    }
    return std::string();
  }
  if (type == "content_block_start") {
    const Json* block = Member(data, "content_block");
    return block != nullptr ? Text(*block, "text") : std::string();
  }
  if (type == "content_block_delta") {
    const Json* delta = Member(data, "delta");
    if (delta == nullptr || !delta->is_object()) {
      return Err(Malformed("content_block_delta without a delta"));
    }
    // Only text reaches the client; thinking or tool-input deltas are not forwarded.
    return Text(*delta, "type") == "text_delta" ? Text(*delta, "text") : std::string();
  }
  if (type == "message_delta") {
    if (const Json* delta = Member(data, "delta")) {
      std::string reason = Text(*delta, "stop_reason");
      if (!reason.empty()) {
        completion_.finish_reason =
            api::FinishReasonFromAnthropic(reason).value_or(api::FinishReason::kStop);
      }
      completion_.stop_sequence = Text(*delta, "stop_sequence");
    }
    if (const Json* usage = Member(data, "usage")) {
      completion_.usage.completion_tokens =
          Count(*usage, "output_tokens", completion_.usage.completion_tokens);
      completion_.usage.prompt_tokens =
          Count(*usage, "input_tokens", completion_.usage.prompt_tokens);
    }
    return std::string();
  }
  if (type == "message_stop") done_ = true;
  return std::string();  // content_block_stop and unknown events carry no text
}

}  // namespace locai::control::router

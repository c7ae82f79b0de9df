#include "api/openai/chat_request.h"

#include <string>
#include <utility>

#include "api/common/json_input.h"
#include "api/openai/sampling_fields.h"

namespace locai::api::openai {
namespace {

constexpr int kMaxTopLogprobs = 20;

std::optional<Role> ParseRole(ObjectReader& reader) {
  if (!reader.Require("role")) return std::nullopt;
  std::optional<std::string> role = reader.String("role");
  if (!role) return std::nullopt;
  if (*role == "system" || *role == "developer") return Role::kSystem;
  if (*role == "user") return Role::kUser;
  if (*role == "assistant") return Role::kAssistant;
  if (*role == "tool" || *role == "function") {
    reader.ValueError("role", "'" + *role + "' messages are not supported by this server.");
  } else {
    reader.ValueError("role",
                      "'" + *role + "' is not one of 'system', 'developer', 'user', 'assistant'.");
  }
  return std::nullopt;
}

// Text of a content value: a string, or an array of {type: "text", text} parts joined by "\n".
std::optional<std::string> ParseContent(ObjectReader& reader, const Json& content) {
  ParseErrors& errors = reader.errors();
  if (content.is_string()) return content.get<std::string>();
  if (!content.is_array()) {
    reader.TypeError("content", "a string or an array of content parts", content);
    return std::nullopt;
  }
  std::string text;
  std::string content_path = reader.PathOf("content");
  for (size_t j = 0; j < content.size(); ++j) {
    const Json& part = content[j];
    std::string part_path = errors.Index(content_path, j);
    if (!part.is_object()) {
      errors.Fail(part_path, "Invalid type for '" + part_path + "': expected an object, but got " +
                                 DescribeJsonType(part) + " instead.");
      return std::nullopt;
    }
    ObjectReader part_reader(part, part_path, errors);
    if (!part_reader.Require("type")) return std::nullopt;
    std::optional<std::string> type = part_reader.String("type");
    if (!type) return std::nullopt;
    if (*type != "text") {
      part_reader.ValueError("type", "content parts of type '" + *type +
                                         "' are not supported by this server; only 'text' is.");
      return std::nullopt;
    }
    if (!part_reader.Require("text")) return std::nullopt;
    std::optional<std::string> part_text = part_reader.String("text");
    if (!part_text) return std::nullopt;
    if (j > 0) text += '\n';
    text += *part_text;
  }
  return text;
}

void ParseMessages(ObjectReader& reader, GenerationRequest& request) {
  if (!reader.Require("messages")) return;
  const Json* messages = reader.Array("messages");
  if (messages == nullptr) return;
  ParseErrors& errors = reader.errors();
  if (messages->empty()) {
    errors.Fail("messages",
                "Invalid 'messages': empty array. Expected an array with minimum "
                "length 1, but got an empty array instead.");
    return;
  }
  for (size_t i = 0; i < messages->size(); ++i) {
    const Json& item = (*messages)[i];
    std::string path = errors.Index("messages", i);
    if (!item.is_object()) {
      errors.Fail(path, "Invalid type for '" + path + "': expected an object, but got " +
                            DescribeJsonType(item) + " instead.");
      return;
    }
    ObjectReader message_reader(item, path, errors);
    std::optional<Role> role = ParseRole(message_reader);
    if (!role) return;
    if (*role == Role::kAssistant) {
      const Json* tool_calls = message_reader.Find("tool_calls");
      if ((tool_calls != nullptr && !(tool_calls->is_array() && tool_calls->empty())) ||
          message_reader.Find("function_call") != nullptr) {
        errors.Fail(message_reader.PathOf(tool_calls ? "tool_calls" : "function_call"),
                    "Tool and function calls are not supported by this server.");
        return;
      }
    }
    ChatMessage message{*role, ""};
    const Json* content = message_reader.Find("content");
    if (content == nullptr) {
      // An assistant turn may omit its content; every other role needs one.
      if (*role != Role::kAssistant) {
        message_reader.Require("content");
        return;
      }
    } else {
      std::optional<std::string> text = ParseContent(message_reader, *content);
      if (!text) return;
      message.content = std::move(*text);
    }
    request.messages.push_back(std::move(message));
  }
}

void ParseResponseFormat(ObjectReader& reader, GenerationRequest& request) {
  const Json* format = reader.Object("response_format");
  if (format == nullptr) return;
  ObjectReader format_reader(*format, "response_format", reader.errors());
  if (!format_reader.Require("type")) return;
  std::optional<std::string> type = format_reader.String("type");
  if (!type) return;
  if (*type == "text") return;
  if (*type == "json_object") {
    request.json_mode = true;
  } else if (*type == "json_schema") {
    reader.errors().Fail("response_format",
                         "response_format of type 'json_schema' is not supported by this server "
                         "yet; use 'json_object'.");
  } else {
    format_reader.ValueError("type",
                             "'" + *type + "' is not one of 'text', 'json_object', 'json_schema'.");
  }
}

void RejectTools(ObjectReader& reader, std::string_view key) {
  const Json* tools = reader.Find(key);
  if (tools == nullptr || (tools->is_array() && tools->empty())) return;
  reader.errors().Fail(std::string(key), "'" + std::string(key) +
                                             "' (function calling) is not supported by this "
                                             "server.");
}

}  // namespace

ApiResult<GenerationRequest> ParseChatRequest(std::string_view body) {
  ApiResult<Json> parsed = ParseJsonObject(body);
  if (!parsed) return ApiErr(std::move(parsed).error());
  ParseErrors errors(PathStyle::kOpenAi);
  ObjectReader reader(*parsed, "", errors);
  GenerationRequest request;
  request.api = ApiKind::kOpenAiChat;
  ReadSharedFields(reader, request);
  ParseMessages(reader, request);
  std::optional<int64_t> max_tokens = ReadTokenLimit(reader, "max_tokens", false);
  std::optional<int64_t> max_completion_tokens =
      ReadTokenLimit(reader, "max_completion_tokens", false);
  request.max_tokens = max_completion_tokens ? max_completion_tokens : max_tokens;
  request.logprobs = reader.Bool("logprobs").value_or(false);
  if (std::optional<int64_t> top = reader.Integer("top_logprobs", 0, kMaxTopLogprobs)) {
    if (!request.logprobs) {
      errors.Fail("top_logprobs",
                  "Invalid value for 'top_logprobs': 'logprobs' must be set to "
                  "true when 'top_logprobs' is used.");
    }
    request.top_logprobs = static_cast<int>(*top);
  }
  ParseResponseFormat(reader, request);
  RejectTools(reader, "tools");
  RejectTools(reader, "functions");
  if (!errors.ok()) return ApiErr(errors.TakeError());
  return request;
}

}  // namespace locai::api::openai

#include "api/anthropic/messages_request.h"

#include <limits>
#include <string>
#include <utility>

#include "api/common/json_input.h"

namespace locai::api::anthropic {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Text of `content`: a string or an array of text blocks joined with "\n".
std::optional<std::string> ParseContent(ObjectReader& reader, std::string_view key,
                                        AnthropicVersion version, bool user_turn) {
  ParseErrors& errors = reader.errors();
  const Json& content = *reader.Find(key);
  if (content.is_string()) return content.get<std::string>();
  if (!content.is_array()) {
    reader.TypeError(key, "a string or an array of content blocks", content);
    return std::nullopt;
  }
  std::string text;
  std::string content_path = reader.PathOf(key);
  for (size_t j = 0; j < content.size(); ++j) {
    const Json& block = content[j];
    std::string block_path = errors.Index(content_path, j);
    if (!block.is_object()) {
      errors.Fail(block_path, block_path + ": Input should be an object, but got " +
                                  DescribeJsonType(block) + ".");
      return std::nullopt;
    }
    ObjectReader block_reader(block, block_path, errors);
    if (!block_reader.Require("type")) return std::nullopt;
    std::optional<std::string> type = block_reader.String("type");
    if (!type) return std::nullopt;
    if (*type != "text") {
      std::string param = block_reader.PathOf("type");
      errors.Fail(param, param + ": content blocks of type '" + *type +
                             "' are not supported by this server; only 'text' is.");
      return std::nullopt;
    }
    if (!block_reader.Require("text")) return std::nullopt;
    std::optional<std::string> block_text = block_reader.String("text");
    if (!block_text) return std::nullopt;
    if (version == AnthropicVersion::k20261021 && user_turn) {
      const Json* citations = block_reader.Find("citations");
      if (citations != nullptr && !(citations->is_array() && citations->empty())) {
        std::string param = block_reader.PathOf("citations");
        errors.Fail(param, param +
                               ": citations on text blocks of user messages are not "
                               "permitted in API version 2026-10-21.");
        return std::nullopt;
      }
    }
    if (j > 0) text += '\n';
    text += *block_text;
  }
  return text;
}

void ParseSystem(ObjectReader& reader, AnthropicVersion version, GenerationRequest& request) {
  if (reader.Find("system") == nullptr) return;
  std::optional<std::string> system = ParseContent(reader, "system", version, false);
  if (system && !system->empty()) request.messages.push_back({Role::kSystem, std::move(*system)});
}

void ParseMessages(ObjectReader& reader, AnthropicVersion version, GenerationRequest& request) {
  if (!reader.Require("messages")) return;
  const Json* messages = reader.Array("messages");
  if (messages == nullptr) return;
  ParseErrors& errors = reader.errors();
  if (messages->empty()) {
    errors.Fail("messages", "messages: at least one message is required");
    return;
  }
  const size_t first_turn = request.messages.size();
  for (size_t i = 0; i < messages->size(); ++i) {
    const Json& item = (*messages)[i];
    std::string path = errors.Index("messages", i);
    if (!item.is_object()) {
      errors.Fail(path,
                  path + ": Input should be an object, but got " + DescribeJsonType(item) + ".");
      return;
    }
    ObjectReader message_reader(item, path, errors);
    if (!message_reader.Require("role")) return;
    std::optional<std::string> role_name = message_reader.String("role");
    if (!role_name) return;
    Role role = Role::kUser;
    if (*role_name == "assistant") {
      role = Role::kAssistant;
    } else if (*role_name != "user") {
      std::string param = message_reader.PathOf("role");
      errors.Fail(param, param + ": Input should be 'user' or 'assistant'");
      return;
    }
    if (i == 0 && role != Role::kUser) {
      errors.Fail(message_reader.PathOf("role"),
                  "messages: first message must use the \"user\" role");
      return;
    }
    if (!message_reader.Require("content")) return;
    std::optional<std::string> text =
        ParseContent(message_reader, "content", version, role == Role::kUser);
    if (!text) return;
    bool is_last = i + 1 == messages->size();
    if (text->empty()) {
      if (is_last && role == Role::kAssistant) continue;  // an empty prefill adds nothing
      errors.Fail(message_reader.PathOf("content"),
                  path +
                      ": all messages must have non-empty content except for the optional "
                      "final assistant message");
      return;
    }
    if (is_last && role == Role::kAssistant) {
      if (IsSpace(text->back())) {
        errors.Fail(message_reader.PathOf("content"),
                    "messages: final assistant content cannot end with trailing whitespace");
        return;
      }
    }
    if (request.messages.size() > first_turn && request.messages.back().role == role) {
      request.messages.back().content += "\n\n";
      request.messages.back().content += *text;
    } else {
      request.messages.push_back({role, std::move(*text)});
    }
  }
  // An empty final assistant turn was dropped; a merged or earlier assistant turn may now be last.
  request.continue_final_message =
      request.messages.size() > first_turn && request.messages.back().role == Role::kAssistant;
}

void ParseSampling(ObjectReader& reader, AnthropicVersion version, GenerationRequest& request) {
  if (version == AnthropicVersion::k20261021) {
    for (const char* key : {"temperature", "top_p", "top_k"}) {
      // Rejected whenever the key is present, even at a default value or null.
      if (reader.Has(key)) {
        reader.errors().Fail(key, std::string(key) + ": Extra inputs are not permitted");
        return;
      }
    }
    return;
  }
  request.sampling.temperature = reader.Number("temperature", 0.0, 1.0);
  request.sampling.top_p = reader.Number("top_p", 0.0, 1.0);
  request.sampling.top_k = reader.Integer("top_k", 0, std::numeric_limits<int32_t>::max());
}

void RejectUnsupported(ObjectReader& reader) {
  const Json* tools = reader.Find("tools");
  if (tools != nullptr && !(tools->is_array() && tools->empty())) {
    reader.errors().Fail("tools", "tools: tool use is not supported by this server");
  }
  if (const Json* thinking = reader.Object("thinking")) {
    const Json* type = thinking->contains("type") ? &(*thinking)["type"] : nullptr;
    if (type == nullptr || !type->is_string() ||
        type->get_ref<const std::string&>() != "disabled") {
      reader.errors().Fail("thinking",
                           "thinking: extended thinking is not supported by this server");
    }
  }
}

ApiResult<GenerationRequest> ParseBody(std::string_view body, AnthropicVersion version,
                                       bool require_max_tokens) {
  ApiResult<Json> parsed = ParseJsonObject(body);
  if (!parsed) return ApiErr(std::move(parsed).error());
  ParseErrors errors(PathStyle::kAnthropic);
  ObjectReader reader(*parsed, "", errors);
  GenerationRequest request;
  request.api = ApiKind::kAnthropicMessages;
  if (reader.Require("model")) {
    if (auto model = reader.String("model")) request.model = std::move(*model);
  }
  if (!require_max_tokens || reader.Require("max_tokens")) {
    request.max_tokens = reader.Integer("max_tokens", 1, std::numeric_limits<int64_t>::max());
  }
  ParseSystem(reader, version, request);
  ParseMessages(reader, version, request);
  if (const Json* stops = reader.Array("stop_sequences")) {
    for (size_t i = 0; i < stops->size(); ++i) {
      const Json& stop = (*stops)[i];
      if (!stop.is_string()) {
        std::string param = errors.Index("stop_sequences", i);
        errors.Fail(param, param + ": Input should be a valid string");
        break;
      }
      if (!stop.get_ref<const std::string&>().empty())
        request.stop.push_back(stop.get<std::string>());
    }
  }
  ParseSampling(reader, version, request);
  request.stream = reader.Bool("stream").value_or(false);
  if (const Json* metadata = reader.Object("metadata")) {
    ObjectReader metadata_reader(*metadata, "metadata", errors);
    if (auto user = metadata_reader.String("user_id")) request.user = std::move(*user);
  }
  RejectUnsupported(reader);
  if (!errors.ok()) return ApiErr(errors.TakeError());
  return request;
}

}  // namespace

ApiResult<GenerationRequest> ParseMessagesRequest(std::string_view body, AnthropicVersion version) {
  return ParseBody(body, version, /*require_max_tokens=*/true);
}

ApiResult<GenerationRequest> ParseCountTokensRequest(std::string_view body,
                                                     AnthropicVersion version) {
  return ParseBody(body, version, /*require_max_tokens=*/false);
}

std::string SerializeCountTokens(int64_t input_tokens) {
  return "{\"input_tokens\":" + std::to_string(input_tokens) + "}";
}

}  // namespace locai::api::anthropic

#include "api/translate/request_translate.h"

#include <algorithm>
#include <utility>

#include "api/common/json_output.h"

namespace locai::api::translate {

std::string ToOpenAiChatBody(const GenerationRequest& request, std::string_view upstream_model) {
  OrderedJson body;
  body["model"] = upstream_model;
  OrderedJson messages = OrderedJson::array();
  for (const ChatMessage& message : request.messages) {
    OrderedJson item;
    item["role"] = RoleName(message.role);
    item["content"] = message.content;
    messages.push_back(std::move(item));
  }
  if (request.api == ApiKind::kOpenAiCompletion) {
    OrderedJson item;
    item["role"] = "user";
    item["content"] = request.prompt;
    messages.push_back(std::move(item));
  }
  body["messages"] = std::move(messages);
  if (request.max_tokens) body["max_completion_tokens"] = *request.max_tokens;
  const SamplingOptions& sampling = request.sampling;
  if (sampling.temperature) body["temperature"] = *sampling.temperature;
  if (sampling.top_p) body["top_p"] = *sampling.top_p;
  if (sampling.seed) body["seed"] = *sampling.seed;
  if (sampling.presence_penalty != 0.0) body["presence_penalty"] = sampling.presence_penalty;
  if (sampling.frequency_penalty != 0.0) body["frequency_penalty"] = sampling.frequency_penalty;
  if (!sampling.logit_bias.empty()) {
    OrderedJson bias = OrderedJson::object();
    for (const auto& [token, value] : sampling.logit_bias) bias[std::to_string(token)] = value;
    body["logit_bias"] = std::move(bias);
  }
  if (!request.stop.empty()) body["stop"] = request.stop;
  if (request.logprobs) {
    body["logprobs"] = true;
    if (request.top_logprobs > 0) body["top_logprobs"] = request.top_logprobs;
  }
  if (request.json_mode) body["response_format"]["type"] = "json_object";
  if (!request.user.empty()) body["user"] = request.user;
  if (request.stream) {
    body["stream"] = true;
    body["stream_options"]["include_usage"] = true;
  }
  return DumpJson(body);
}

ApiResult<std::string> ToAnthropicMessagesBody(const GenerationRequest& request,
                                               std::string_view upstream_model,
                                               anthropic::AnthropicVersion version,
                                               int64_t default_max_tokens) {
  OrderedJson body;
  body["model"] = upstream_model;
  body["max_tokens"] = request.max_tokens.value_or(default_max_tokens);
  std::string system;
  OrderedJson messages = OrderedJson::array();
  auto add_turn = [&messages](Role role, const std::string& text) {
    OrderedJson item;
    item["role"] = RoleName(role);
    item["content"] = text;
    messages.push_back(std::move(item));
  };
  for (const ChatMessage& message : request.messages) {
    if (message.role == Role::kSystem) {
      if (!system.empty()) system += "\n\n";
      system += message.content;
      continue;
    }
    if (messages.empty() && message.role != Role::kUser) {
      return ApiErr(InvalidRequest(
          "The conversation must start with a user message to be served by this model.",
          "messages"));
    }
    add_turn(message.role, message.content);
  }
  if (request.api == ApiKind::kOpenAiCompletion) add_turn(Role::kUser, request.prompt);
  if (messages.empty()) {
    return ApiErr(InvalidRequest("The conversation needs at least one user message.", "messages"));
  }
  if (!system.empty()) body["system"] = system;
  body["messages"] = std::move(messages);
  if (!request.stop.empty()) body["stop_sequences"] = request.stop;
  if (version == anthropic::AnthropicVersion::k20230601) {
    const SamplingOptions& sampling = request.sampling;
    if (sampling.temperature) body["temperature"] = std::clamp(*sampling.temperature, 0.0, 1.0);
    if (sampling.top_p) body["top_p"] = *sampling.top_p;
    if (sampling.top_k) body["top_k"] = *sampling.top_k;
  }
  if (request.stream) body["stream"] = true;
  if (!request.user.empty()) body["metadata"]["user_id"] = request.user;
  return DumpJson(body);
}

}  // namespace locai::api::translate

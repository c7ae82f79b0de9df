#include "api/translate/response_translate.h"

#include <limits>
#include <utility>

#include "api/common/json_input.h"

namespace locai::api::translate {
namespace {

ApiError UpstreamError(std::string message) {
  return ApiError{500, "api_error", "Upstream returned a malformed response: " + message, "", ""};
}

// Parses untrusted upstream JSON (depth-limited, no exceptions); any JSON value.
ApiResult<Json> ParseUpstream(std::string_view text) {
  if (!JsonDepthWithin(text)) return ApiErr(UpstreamError("nested too deeply"));
  Json parsed = Json::parse(text.begin(), text.end(), nullptr, false);
  if (parsed.is_discarded()) return ApiErr(UpstreamError("invalid JSON"));
  return parsed;
}

const Json* Member(const Json& object, std::string_view key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

std::string StringMember(const Json& object, std::string_view key) {
  const Json* value = Member(object, key);
  return value != nullptr && value->is_string() ? value->get<std::string>() : std::string();
}

int64_t CountMember(const Json& object, std::string_view key) {
  const Json* value = Member(object, key);
  if (value == nullptr) return 0;
  return IntegerValue(*value, 0, std::numeric_limits<int64_t>::max()).value_or(0);
}

std::vector<TokenLogprob> ParseLogprobs(const Json& choice) {
  std::vector<TokenLogprob> out;
  const Json* logprobs = Member(choice, "logprobs");
  const Json* content = logprobs != nullptr ? Member(*logprobs, "content") : nullptr;
  if (content == nullptr || !content->is_array()) return out;
  for (const Json& entry : *content) {
    TokenLogprob token;
    token.token = StringMember(entry, "token");
    const Json* logprob = Member(entry, "logprob");
    token.logprob = logprob != nullptr && logprob->is_number() ? logprob->get<double>() : 0.0;
    const Json* top = Member(entry, "top_logprobs");
    if (top != nullptr && top->is_array()) {
      for (const Json& alt : *top) {
        const Json* alt_logprob = Member(alt, "logprob");
        token.top.push_back(
            {StringMember(alt, "token"), alt_logprob != nullptr && alt_logprob->is_number()
                                             ? alt_logprob->get<double>()
                                             : 0.0});
      }
    }
    out.push_back(std::move(token));
  }
  return out;
}

}  // namespace

ApiResult<GenerationResult> ParseChatCompletion(std::string_view body) {
  ApiResult<Json> parsed = ParseUpstream(body);
  if (!parsed) return ApiErr(ToOpenAiError(std::move(parsed).error()));
  const Json* choices = Member(*parsed, "choices");
  if (choices == nullptr || !choices->is_array() || choices->empty()) {
    return ApiErr(ToOpenAiError(UpstreamError("no choices")));
  }
  const Json& choice = (*choices)[0];
  const Json* message = Member(choice, "message");
  if (message == nullptr || !message->is_object()) {
    return ApiErr(ToOpenAiError(UpstreamError("no message")));
  }
  GenerationResult result;
  result.text = StringMember(*message, "content");
  result.finish_reason =
      FinishReasonFromOpenAi(StringMember(choice, "finish_reason")).value_or(FinishReason::kStop);
  if (const Json* usage = Member(*parsed, "usage")) {
    result.usage.prompt_tokens = CountMember(*usage, "prompt_tokens");
    result.usage.completion_tokens = CountMember(*usage, "completion_tokens");
  }
  result.logprobs = ParseLogprobs(choice);
  return result;
}

ApiResult<GenerationResult> ParseAnthropicMessage(std::string_view body) {
  ApiResult<Json> parsed = ParseUpstream(body);
  if (!parsed) return ApiErr(std::move(parsed).error());
  const Json* content = Member(*parsed, "content");
  if (StringMember(*parsed, "type") != "message" || content == nullptr || !content->is_array()) {
    return ApiErr(UpstreamError("not a message"));
  }
  GenerationResult result;
  for (const Json& block : *content) {
    if (StringMember(block, "type") == "text") result.text += StringMember(block, "text");
  }
  result.finish_reason =
      FinishReasonFromAnthropic(StringMember(*parsed, "stop_reason")).value_or(FinishReason::kStop);
  result.stop_sequence = StringMember(*parsed, "stop_sequence");
  if (const Json* usage = Member(*parsed, "usage")) {
    result.usage.prompt_tokens = CountMember(*usage, "input_tokens");
    result.usage.completion_tokens = CountMember(*usage, "output_tokens");
  }
  return result;
}

ApiError ParseUpstreamError(int http_status, std::string_view body) {
  ApiError error{http_status, "api_error",
                 "Upstream error (HTTP " + std::to_string(http_status) + ")", "", ""};
  ApiResult<Json> parsed = ParseUpstream(body);
  if (!parsed) return error;
  const Json* inner = Member(*parsed, "error");
  if (inner == nullptr || !inner->is_object()) return error;
  if (std::string type = StringMember(*inner, "type"); !type.empty()) error.type = std::move(type);
  if (std::string message = StringMember(*inner, "message"); !message.empty()) {
    error.message = std::move(message);
  }
  error.param = StringMember(*inner, "param");
  error.code = StringMember(*inner, "code");
  return error;
}

ApiResult<std::string> AnthropicToOpenAiStream::OnEvent(const SseMessage& event) {
  if (done_ || event.event == "ping") return std::string();
  ApiResult<Json> parsed = ParseUpstream(event.data);
  if (!parsed) return ApiErr(ToOpenAiError(std::move(parsed).error()));
  const Json& data = *parsed;
  std::string type = StringMember(data, "type");
  if (type.empty()) type = event.event;
  std::string out;
  if (type == "error") {
    done_ = true;
    ApiError error = ParseUpstreamError(500, event.data);
    if (error.type == "overloaded_error") error.http_status = 529;
    return writer_.Error(ToOpenAiError(std::move(error)));
  }
  if (!started_ && (type == "message_start" || type == "content_block_delta")) {
    started_ = true;
    out += writer_.Start();
  }
  if (type == "message_start") {
    if (const Json* message = Member(data, "message")) {
      if (const Json* usage = Member(*message, "usage")) {
        usage_.prompt_tokens = CountMember(*usage, "input_tokens");
        usage_.completion_tokens = CountMember(*usage, "output_tokens");
      }
    }
  } else if (type == "content_block_delta") {
    const Json* delta = Member(data, "delta");
    if (delta == nullptr) return ApiErr(ToOpenAiError(UpstreamError("delta without content")));
    if (StringMember(*delta, "type") == "text_delta")
      out += writer_.Delta(StringMember(*delta, "text"));
  } else if (type == "message_delta") {
    if (const Json* delta = Member(data, "delta")) {
      finish_reason_ = FinishReasonFromAnthropic(StringMember(*delta, "stop_reason"))
                           .value_or(FinishReason::kStop);
    }
    if (const Json* usage = Member(data, "usage")) {
      usage_.completion_tokens = CountMember(*usage, "output_tokens");
      if (Member(*usage, "input_tokens") != nullptr) {
        usage_.prompt_tokens = CountMember(*usage, "input_tokens");
      }
    }
  } else if (type == "message_stop") {
    if (!started_) {
      started_ = true;
      out += writer_.Start();
    }
    out += writer_.Finish(finish_reason_, usage_);
    done_ = true;
  }
  return out;
}

ApiResult<std::string> OpenAiToAnthropicStream::OnEvent(const SseMessage& event) {
  if (done_) return std::string();
  std::string out;
  if (event.data == "[DONE]") {
    if (!started_) out += writer_.Start(usage_.prompt_tokens);
    out += writer_.Finish(finish_reason_, "", usage_);
    done_ = true;
    return out;
  }
  ApiResult<Json> parsed = ParseUpstream(event.data);
  if (!parsed) return ApiErr(ToAnthropicError(std::move(parsed).error()));
  const Json& data = *parsed;
  if (Member(data, "error") != nullptr) {
    done_ = true;
    return writer_.Error(ToAnthropicError(ParseUpstreamError(500, event.data)));
  }
  if (!started_) {
    started_ = true;
    out += writer_.Start(0);
  }
  const Json* choices = Member(data, "choices");
  if (choices == nullptr || !choices->is_array()) {
    return ApiErr(ToAnthropicError(UpstreamError("chunk without choices")));
  }
  for (const Json& choice : *choices) {
    if (const Json* delta = Member(choice, "delta")) {
      std::string text = StringMember(*delta, "content");
      if (!text.empty()) out += writer_.Delta(text);
    }
    std::string finish = StringMember(choice, "finish_reason");
    if (!finish.empty()) {
      finish_reason_ = FinishReasonFromOpenAi(finish).value_or(FinishReason::kStop);
    }
  }
  if (const Json* usage = Member(data, "usage"); usage != nullptr && usage->is_object()) {
    usage_.prompt_tokens = CountMember(*usage, "prompt_tokens");
    usage_.completion_tokens = CountMember(*usage, "completion_tokens");
  }
  return out;
}

}  // namespace locai::api::translate

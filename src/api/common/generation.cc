#include "api/common/generation.h"

namespace locai::api {

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kSystem:
      return "system";
    case Role::kUser:
      return "user";
    case Role::kAssistant:
      return "assistant";
  }
  return "user";
}

std::string_view OpenAiFinishReason(FinishReason reason) {
  return reason == FinishReason::kLength ? "length" : "stop";
}

std::string_view AnthropicStopReason(FinishReason reason) {
  switch (reason) {
    case FinishReason::kStop:
      return "end_turn";
    case FinishReason::kStopSequence:
      return "stop_sequence";
    case FinishReason::kLength:
      return "max_tokens";
  }
  return "end_turn";
}

std::optional<FinishReason> FinishReasonFromOpenAi(std::string_view name) {
  if (name == "stop") return FinishReason::kStop;
  if (name == "length") return FinishReason::kLength;
  // content_filter, tool_calls and function_call all end the turn.
  if (name == "content_filter" || name == "tool_calls" || name == "function_call") {
    return FinishReason::kStop;
  }
  return std::nullopt;
}

std::optional<FinishReason> FinishReasonFromAnthropic(std::string_view name) {
  if (name == "end_turn" || name == "tool_use" || name == "pause_turn" || name == "refusal") {
    return FinishReason::kStop;
  }
  if (name == "stop_sequence") return FinishReason::kStopSequence;
  if (name == "max_tokens" || name == "model_context_window_exceeded") {
    return FinishReason::kLength;
  }
  return std::nullopt;
}

std::string MakeResponseId(std::string_view prefix, uint64_t random_hi, uint64_t random_lo) {
  static constexpr std::string_view kAlphabet =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  std::string id(prefix);
  // 12 characters from each word: 62^12 < 2^72, so each word is consumed in full.
  for (uint64_t word : {random_hi, random_lo}) {
    for (int i = 0; i < 12; ++i) {
      id += kAlphabet[word % kAlphabet.size()];
      word /= kAlphabet.size();
    }
  }
  return id;
}

}  // namespace locai::api

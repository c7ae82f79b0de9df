#include "node/prompt.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "api/common/limits.h"
#include "engine/chat_template/chat_template.h"

namespace locai::node {

api::ApiResult<std::vector<int32_t>> BuildPrompt(const api::GenerationRequest& request,
                                                 const std::string& chat_template,
                                                 const engine::Tokenizer& tokenizer) {
  if (request.api == api::ApiKind::kOpenAiCompletion) {
    auto ids = tokenizer.Encode(request.prompt, tokenizer.add_bos_default(),
                                /*parse_special=*/false);
    if (!ids) return api::ApiErr(api::OpenAiErrorFromStatus(Status::Internal(ids.error().message())));
    return std::move(*ids);
  }
  std::vector<engine::ChatMessage> messages;
  std::string prefill;
  for (size_t i = 0; i < request.messages.size(); ++i) {
    const api::ChatMessage& message = request.messages[i];
    if (request.continue_final_message && i + 1 == request.messages.size() &&
        message.role == api::Role::kAssistant) {
      prefill = message.content;
      continue;
    }
    messages.push_back(engine::ChatMessage{std::string(api::RoleName(message.role)),
                                           message.content});
  }
  engine::ChatTemplateOptions options;
  options.add_generation_prompt = true;
  if (tokenizer.bos_id() >= 0) options.bos_token = std::string(tokenizer.TokenText(tokenizer.bos_id()));
  if (tokenizer.eos_id() >= 0) options.eos_token = std::string(tokenizer.TokenText(tokenizer.eos_id()));
  auto rendered = engine::ApplyChatTemplate(chat_template, messages, options);
  if (!rendered) {
    return api::ApiErr(api::InvalidRequest("The chat template refused the conversation: " +
                                           rendered.error().message(), "messages"));
  }
  std::string text = std::move(*rendered) + prefill;
  // Templates that write the BOS text themselves must not get a second BOS from the tokenizer.
  const bool starts_with_bos =
      !options.bos_token.empty() && text.compare(0, options.bos_token.size(), options.bos_token) == 0;
  const bool add_bos = tokenizer.add_bos_default() && !starts_with_bos;
  auto ids = tokenizer.Encode(text, add_bos, /*parse_special=*/true);
  if (!ids) return api::ApiErr(api::OpenAiErrorFromStatus(Status::Internal(ids.error().message())));
  return std::move(*ids);
}

api::ApiResult<engine::GenerationRequest> ToEngineRequest(const api::GenerationRequest& request,
                                                          std::vector<int32_t> prompt,
                                                          int64_t context_length, int32_t n_vocab,
                                                          uint64_t random_seed) {
  const bool is_chat = request.api != api::ApiKind::kOpenAiCompletion;
  auto max_tokens = api::ClampMaxTokens(request.max_tokens, static_cast<int64_t>(prompt.size()),
                                        context_length, is_chat ? "messages" : "prompt");
  if (!max_tokens) return api::ApiErr(max_tokens.error());

  engine::GenerationRequest out;
  const api::SamplingOptions& s = request.sampling;
  out.sampling.temperature = static_cast<float>(s.temperature.value_or(1.0));
  out.sampling.top_p = static_cast<float>(s.top_p.value_or(1.0));
  out.sampling.top_k = s.top_k ? static_cast<int32_t>(std::min<int64_t>(*s.top_k, n_vocab)) : 0;
  out.sampling.min_p = 0.0f;
  out.sampling.repeat_penalty = 1.0f;
  out.sampling.presence_penalty = static_cast<float>(s.presence_penalty);
  out.sampling.frequency_penalty = static_cast<float>(s.frequency_penalty);
  out.sampling.seed = s.seed ? static_cast<uint64_t>(*s.seed) : random_seed;
  for (const auto& [id, bias] : s.logit_bias) {
    if (id < 0 || id >= n_vocab) {
      return api::ApiErr(api::InvalidRequest(
          "Invalid logit_bias: token id " + std::to_string(id) + " is outside the vocabulary (0.." +
              std::to_string(n_vocab - 1) + ").",
          "logit_bias"));
    }
    // OpenAI: -100 bans a token in practice.
    const float value = bias <= -100.0f ? -std::numeric_limits<float>::infinity() : bias;
    out.sampling.logit_bias.emplace_back(id, value);
  }
  out.sampling.compute_logprobs = request.logprobs;
  out.sampling.top_logprobs = request.logprobs ? request.top_logprobs : 0;
  out.max_tokens = static_cast<int32_t>(*max_tokens);
  out.stop = request.stop;
  out.json_mode = request.json_mode;
  out.prompt = std::move(prompt);
  return out;
}

std::string MatchedStopSequence(const std::vector<std::string>& stops, const std::string& emitted,
                                const std::string& raw) {
  for (const auto& stop : stops) {
    if (!stop.empty() && raw.size() >= emitted.size() + stop.size() &&
        raw.compare(emitted.size(), stop.size(), stop) == 0) {
      return stop;
    }
  }
  size_t best = std::string::npos;
  std::string found;
  for (const auto& stop : stops) {
    if (stop.empty()) continue;
    const size_t pos = raw.find(stop);
    if (pos != std::string::npos && (best == std::string::npos || pos < best)) {
      best = pos;
      found = stop;
    }
  }
  return found;
}

}  // namespace locai::node

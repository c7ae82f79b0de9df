// The neutral representation of a text-generation request and its result, shared by the OpenAI
// (chat, completions) and Anthropic (messages) front ends. The node serves both APIs through one
// code path on these structs; the gateway translates one API into the other through them. The
// engine never sees JSON.
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace locai::api {

enum class Role { kSystem, kUser, kAssistant };

// "system", "user", "assistant".
std::string_view RoleName(Role role);

struct ChatMessage {
  Role role = Role::kUser;
  std::string content;  // text parts of one message joined with "\n"

  bool operator==(const ChatMessage&) const = default;
};

// Sampling parameters; an absent optional means "the model's default".
struct SamplingOptions {
  std::optional<double> temperature;  // OpenAI 0..2, Anthropic 0..1
  std::optional<double> top_p;        // 0..1
  std::optional<int64_t> top_k;       // Anthropic only; >= 0
  std::optional<int64_t> seed;        // OpenAI only
  double presence_penalty = 0.0;      // -2..2
  double frequency_penalty = 0.0;     // -2..2
  // (token id, bias in -100..100), in the order given.
  std::vector<std::pair<int32_t, float>> logit_bias;

  bool operator==(const SamplingOptions&) const = default;
};

enum class ApiKind { kOpenAiChat, kOpenAiCompletion, kAnthropicMessages };

struct GenerationRequest {
  ApiKind api = ApiKind::kOpenAiChat;
  std::string model;
  // Chat and messages requests: the conversation; system/developer messages have Role::kSystem
  // (an Anthropic `system` field becomes the first message). Completions: empty.
  std::vector<ChatMessage> messages;
  // Completions requests: the raw prompt. Chat requests: empty.
  std::string prompt;
  // True when the last message is an assistant turn the model must continue rather than answer
  // (Anthropic prefill). OpenAI chat requests never set it.
  bool continue_final_message = false;

  SamplingOptions sampling;
  std::vector<std::string> stop;  // stop sequences, empty strings dropped
  // Requested limit on generated tokens; nullopt = until the context is full (clamp with
  // ClampMaxTokens before generating).
  std::optional<int64_t> max_tokens;

  bool stream = false;
  bool include_usage = false;  // OpenAI stream_options.include_usage
  bool logprobs = false;
  int top_logprobs = 0;    // 0..20 (chat), 0..5 (completions)
  bool json_mode = false;  // response_format {type: json_object}
  std::string user;        // OpenAI `user` or Anthropic `metadata.user_id`

  bool operator==(const GenerationRequest&) const = default;
};

enum class FinishReason {
  kStop,          // the model ended its turn (OpenAI "stop", Anthropic "end_turn")
  kStopSequence,  // a stop sequence matched (OpenAI "stop", Anthropic "stop_sequence")
  kLength,        // max_tokens or the context ran out (OpenAI "length", Anthropic "max_tokens")
};

std::string_view OpenAiFinishReason(FinishReason reason);   // "stop" | "length"
std::string_view AnthropicStopReason(FinishReason reason);  // "end_turn" | "stop_sequence" | ...
std::optional<FinishReason> FinishReasonFromOpenAi(std::string_view name);
std::optional<FinishReason> FinishReasonFromAnthropic(std::string_view name);

struct TopLogprob {
  std::string token;  // raw bytes of the token's text (may be a partial UTF-8 sequence)
  double logprob = 0.0;

  bool operator==(const TopLogprob&) const = default;
};

struct TokenLogprob {
  std::string token;  // raw bytes of the sampled token
  double logprob = 0.0;
  std::vector<TopLogprob> top;  // the most likely alternatives, best first

  bool operator==(const TokenLogprob&) const = default;
};

struct Usage {
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;

  bool operator==(const Usage&) const = default;
};

struct GenerationResult {
  std::string text;
  FinishReason finish_reason = FinishReason::kStop;
  std::string stop_sequence;  // the matched stop sequence when finish_reason is kStopSequence
  Usage usage;
  std::vector<TokenLogprob> logprobs;  // one per generated token when requested

  bool operator==(const GenerationResult&) const = default;
};

// Identity of one response, chosen by the caller (ids from its own random source; `created` from
// its clock, Unix seconds).
struct ResponseMeta {
  std::string id;     // "chatcmpl-...", "cmpl-...", "msg_..."; see MakeResponseId
  std::string model;  // the model name echoed to the client
  int64_t created = 0;
  std::string system_fingerprint;  // OpenAI; empty -> null

  bool operator==(const ResponseMeta&) const = default;
};

// `prefix` followed by 24 base-62 characters drawn from the two words of caller randomness,
// e.g. MakeResponseId("chatcmpl-", r1, r2).
std::string MakeResponseId(std::string_view prefix, uint64_t random_hi, uint64_t random_lo);

}  // namespace locai::api

// Reads responses of an upstream that speaks either API back into the neutral GenerationResult,
// and re-emits an upstream stream in the client's API (cloud fallback across formats):
//
//   client API    upstream API   non-streaming                        streaming
//   OpenAI chat   Anthropic      ParseAnthropicMessage -> Serialize*  AnthropicToOpenAiStream
//   Anthropic     OpenAI chat    ParseChatCompletion -> Serialize*    OpenAiToAnthropicStream
//
// Upstream bodies are untrusted: every parse returns an error instead of throwing (502-style
// errors are reported as 500 api/server errors by the caller's mapping).
// Thread-safety: pure functions; a stream translator is confined to one thread.
#pragma once

#include <string>
#include <string_view>

#include "api/anthropic/messages_response.h"
#include "api/common/api_error.h"
#include "api/common/generation.h"
#include "api/common/sse.h"
#include "api/openai/chat_response.h"

namespace locai::api::translate {

// An OpenAI `chat.completion` body: text of choices[0].message.content (null -> ""),
// finish_reason, usage and choices[0].logprobs.content. Error: 500 server_error when the body is
// not such an object.
ApiResult<GenerationResult> ParseChatCompletion(std::string_view body);

// An Anthropic `message` body: text blocks concatenated, stop_reason, stop_sequence, usage.
// Error: 500 api_error when the body is not such an object.
ApiResult<GenerationResult> ParseAnthropicMessage(std::string_view body);

// The error in an upstream error body ({"error":{...}} or {"type":"error","error":{...}}),
// keeping `http_status`; a body that is neither gives a generic message. The result is typed for
// the API that produced it; re-type with ToOpenAiError / ToAnthropicError.
ApiError ParseUpstreamError(int http_status, std::string_view body);

// Turns the events of an Anthropic messages stream into OpenAI chat.completion.chunk events.
// OnEvent() returns the client bytes for one upstream event (often empty); after message_stop it
// has emitted the finish chunk, the usage chunk (include_usage) and "data: [DONE]". An upstream
// `error` event becomes an OpenAI error event. Error: a malformed upstream event.
class AnthropicToOpenAiStream {
 public:
  AnthropicToOpenAiStream(ResponseMeta meta, bool include_usage)
      : writer_(std::move(meta), include_usage, false) {}

  ApiResult<std::string> OnEvent(const SseMessage& event);
  bool done() const { return done_; }
  const Usage& usage() const { return usage_; }  // as reported so far

 private:
  openai::ChatStreamWriter writer_;
  Usage usage_;
  FinishReason finish_reason_ = FinishReason::kStop;
  bool started_ = false;
  bool done_ = false;
};

// Turns the events of an OpenAI chat completions stream (requested with include_usage) into
// Anthropic message stream events. The first chunk opens the message (input_tokens 0: OpenAI
// reports usage last); "[DONE]" closes it with the finish reason and the usage chunk's counts.
// An error payload becomes an Anthropic `error` event. Error: a malformed upstream chunk.
class OpenAiToAnthropicStream {
 public:
  explicit OpenAiToAnthropicStream(ResponseMeta meta) : writer_(std::move(meta)) {}

  ApiResult<std::string> OnEvent(const SseMessage& event);
  bool done() const { return done_; }
  const Usage& usage() const { return usage_; }

 private:
  anthropic::MessageStreamWriter writer_;
  Usage usage_;
  FinishReason finish_reason_ = FinishReason::kStop;
  bool started_ = false;
  bool done_ = false;
};

}  // namespace locai::api::translate

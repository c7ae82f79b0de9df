// Reading a cloud provider's streamed answer into neutral pieces: the text deltas, then the
// finish reason and usage (CloudCompletion), whatever the provider's API. src/api has stream
// translators from one API's events straight into the other's (translate/response_translate.h);
// the router needs the neutral text in between, to restore PII placeholders before re-emitting
// it in the client's format, so the readers are here.
//
// OpenAI chat completions stream: `data: {chat.completion.chunk}` events (choices[].delta.content,
// finish_reason, a last chunk with usage), `data: [DONE]`; an error arrives as
// `data: {"error":{...}}`.
// Anthropic messages stream: message_start (id, model, input_tokens), content_block_delta
// (text_delta), message_delta (stop_reason, stop_sequence, output_tokens), message_stop; ping is
// ignored; `event: error` carries {"type":"error","error":{type, message}}.
//
// Provider errors map onto Status by HTTP status (or, for a streamed error event, by error type):
//   400, 413, 422 / invalid_request_error, request_too_large  -> InvalidArgument
//   401, 403 / authentication_error, permission_error         -> PermissionDenied (the admin's
//        provider key is at fault, not the client's)
//   404 / not_found_error -> NotFound        429 / rate_limit_error -> ResourceExhausted
//   408, 504 / timeout_error -> DeadlineExceeded
//   other (500, 502, 503, 529 / api_error, overloaded_error) -> Unavailable
// The message is "cloud provider 'NAME' (HTTP 429 rate_limit_error): <provider's message>".
// Threading: an UpstreamStreamReader belongs to one stream (one thread at a time); the functions
// are pure.
#pragma once

#include <string>
#include <string_view>

#include "api/common/generation.h"
#include "api/common/sse.h"
#include "common/status.h"
#include "control/router/routing_policy.h"

namespace locai::control::router {

// How a provider's answer ended.
struct CloudCompletion {
  api::FinishReason finish_reason = api::FinishReason::kStop;
  std::string stop_sequence;  // Anthropic, when finish_reason is kStopSequence
  api::Usage usage;           // as the provider reported it
  std::string upstream_id;    // the provider's response id ("chatcmpl-...", "msg_...")
  std::string upstream_model;

  bool operator==(const CloudCompletion&) const = default;
};

// The Status for an error response (`http_status` and its body, either API's error shape or
// anything else).
Status ProviderErrorStatus(std::string_view provider, int http_status, std::string_view body);

class UpstreamStreamReader {
 public:
  UpstreamStreamReader(std::string provider, ProviderKind kind)
      : provider_(std::move(provider)), kind_(kind) {}

  // The text this event adds (often empty). Errors: the provider's error event (mapped as
  // above); DataLoss for a malformed event ("cloud provider 'NAME' sent a malformed stream:
  // ..."). Events after the end are ignored.
  Result<std::string> OnEvent(const api::SseMessage& event);

  // True once the provider ended the stream properly ([DONE] / message_stop).
  bool done() const { return done_; }
  const CloudCompletion& completion() const { return completion_; }

 private:
  Result<std::string> OnOpenAiEvent(const api::SseMessage& event);
  Result<std::string> OnAnthropicEvent(const api::SseMessage& event);
  Status Malformed(std::string_view what) const;

  std::string provider_;
  ProviderKind kind_;
  CloudCompletion completion_;
  bool done_ = false;
};

}  // namespace locai::control::router

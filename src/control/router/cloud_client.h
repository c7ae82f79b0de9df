// CloudClient: one request to one cloud provider, streamed, in the provider's own API, with the
// answer read back as neutral text deltas and a CloudCompletion (upstream_stream.h).
//
//   provider kind  endpoint                          body (src/api/translate)
//   openai         POST <base>/v1/chat/completions   ToOpenAiChatBody, stream + include_usage
//   anthropic      POST <base>/v1/messages           ToAnthropicMessagesBody (2023-06-01), stream
//
// The request may have been parsed from either API (GenerationRequest is neutral), so an OpenAI
// client can fall back to an Anthropic provider and the other way round; the caller re-emits the
// deltas with the client's stream writer. Every connection goes through the egress Connector with
// purpose "cloud:<provider name>"; a denied destination is PermissionDenied before any byte is
// sent.
//
// A provider that ignores `stream` and answers 200 with one JSON body is read with
// api::translate::ParseChatCompletion / ParseAnthropicMessage and its text handed over as one
// delta.
// Errors: the provider's error response or streamed error event mapped as upstream_stream.h
// says; InvalidArgument when the request cannot be expressed for the provider (e.g. no user turn
// for Anthropic), or the provider restricts models and `upstream_model` is not one of them;
// Unavailable("... ended the stream before it finished") when the connection closes without the
// provider's end event; the HttpClient's errors (PermissionDenied for egress, Unavailable,
// DeadlineExceeded) otherwise; Cancelled when `on_delta` returned false. Whether any delta was
// delivered before an error is the caller's to know (it saw them).
// Threading: not thread-safe (it owns one keep-alive HttpClient); use one per thread or per
// request. The Connector is shared and must outlive the client.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "api/common/generation.h"
#include "common/status.h"
#include "control/router/routing_policy.h"
#include "control/router/upstream_stream.h"
#include "net/egress/connector.h"
#include "net/http/http_client.h"

namespace locai::control::router {

struct CloudClientOptions {
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds read_timeout{120'000};  // per wait for the next bytes
  int64_t default_max_tokens = 4096;  // Anthropic requires max_tokens; used when none was asked
  // A body that is not an SSE stream (an error response, or a whole answer from a provider that
  // ignored `stream`) is kept up to this much; a longer one is DataLoss when it is an answer.
  size_t max_document_bytes = 4 << 20;
  size_t max_event_bytes = 4 << 20;  // a single SSE event larger than this is refused
  std::string ca_file;               // PEM CA bundle for https; empty: the system's
};

// Receives each piece of answer text as it arrives; false stops the stream (Cancelled).
using DeltaCallback = std::function<bool(std::string_view text)>;

class CloudClient {
 public:
  CloudClient(ProviderConfig provider, net::egress::Connector& connector,
              CloudClientOptions options = {});
  ~CloudClient();
  CloudClient(const CloudClient&) = delete;
  CloudClient& operator=(const CloudClient&) = delete;

  // Sends `request` as `upstream_model` with stream on, calls `on_delta` for each text piece, and
  // returns how the answer ended. Errors as above.
  Result<CloudCompletion> Stream(const api::GenerationRequest& request,
                                 std::string_view upstream_model, const DeltaCallback& on_delta);

  // Stream() with the deltas joined: the whole answer as a GenerationResult.
  Result<api::GenerationResult> Complete(const api::GenerationRequest& request,
                                         std::string_view upstream_model);

  const ProviderConfig& provider() const { return provider_; }

  // The full endpoint URL for this provider (base_url + the API's path, see routing_policy.h).
  std::string EndpointUrl() const;

 private:
  Result<net::ClientRequest> BuildRequest(const api::GenerationRequest& request,
                                          std::string_view upstream_model) const;
  // A 200 answer that came as one JSON document instead of a stream.
  Result<CloudCompletion> ReadWholeAnswer(std::string_view body,
                                          const DeltaCallback& on_delta) const;

  ProviderConfig provider_;
  CloudClientOptions options_;
  std::unique_ptr<net::HttpClient> http_;
};

}  // namespace locai::control::router

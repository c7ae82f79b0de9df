#include "control/router/cloud_client.h"

#include <algorithm>
#include <utility>

#include "api/anthropic/version.h"
#include "api/common/sse.h"
#include "api/translate/request_translate.h"
#include "api/translate/response_translate.h"

namespace locai::control::router {
namespace {

bool EndsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// What the body turned out to be, decided on its first byte that is not white space: an SSE
// stream, or a JSON / HTML document (an error response, or a provider that ignored `stream`).
enum class BodyShape { kUnknown, kEvents, kDocument };

}  // namespace

CloudClient::CloudClient(ProviderConfig provider, net::egress::Connector& connector,
                         CloudClientOptions options)
    : provider_(std::move(provider)), options_(std::move(options)) {
  net::HttpClientOptions http;
  http.connect_timeout = options_.connect_timeout;
  http.read_timeout = options_.read_timeout;
  http.purpose = "cloud:" + provider_.name;
  http.ca_file = options_.ca_file;
  http_ = std::make_unique<net::HttpClient>(connector, std::move(http));
}

CloudClient::~CloudClient() = default;

std::string CloudClient::EndpointUrl() const {
  std::string base = provider_.base_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  std::string_view path =
      provider_.kind == ProviderKind::kAnthropic ? "/messages" : "/chat/completions";
  if (!EndsWith(base, "/v1")) base += "/v1";
  return base + std::string(path);
}

Result<net::ClientRequest> CloudClient::BuildRequest(const api::GenerationRequest& request,
                                                     std::string_view upstream_model) const {
  if (!provider_.models.empty()) {
    bool listed = false;
    for (const std::string& model : provider_.models) listed = listed || model == upstream_model;
    if (!listed) {
      return Err(Status::InvalidArgument("cloud provider '" + provider_.name +
                                         "' is not configured for model '" +
                                         std::string(upstream_model) + "'"));
    }
  }
  api::GenerationRequest upstream = request;
  upstream.stream = true;
  upstream.include_usage = true;
  net::ClientRequest http_request;
  http_request.method = "POST";
  http_request.url = EndpointUrl();
  http_request.purpose = "cloud:" + provider_.name;
  http_request.headers.Set("Content-Type", "application/json");
  http_request.headers.Set("Accept", "text/event-stream");
  if (provider_.kind == ProviderKind::kAnthropic) {
    // The provider's API version, not the client's: 2023-06-01 is the one every Anthropic
    // endpoint accepts, and it keeps the sampling fields.
    api::ApiResult<std::string> body = api::translate::ToAnthropicMessagesBody(
        upstream, upstream_model, api::anthropic::AnthropicVersion::k20230601,
        options_.default_max_tokens);
    if (!body) {
      return Err(Status::InvalidArgument("the request cannot be sent to cloud provider '" +
                                         provider_.name + "': " + body.error().message));
    }
    http_request.body = *std::move(body);
    http_request.headers.Set("anthropic-version", "2023-06-01");
    if (!provider_.api_key.empty()) http_request.headers.Set("x-api-key", provider_.api_key);
  } else {
    http_request.body = api::translate::ToOpenAiChatBody(upstream, upstream_model);
    if (!provider_.api_key.empty()) {
      http_request.headers.Set("Authorization", "Bearer " + provider_.api_key);
    }
  }
  return http_request;
}

Result<CloudCompletion> CloudClient::Stream(const api::GenerationRequest& request,
                                            std::string_view upstream_model,
                                            const DeltaCallback& on_delta) {
  LOCAI_ASSIGN_OR_RETURN(net::ClientRequest http_request, BuildRequest(request, upstream_model));

  UpstreamStreamReader reader(provider_.name, provider_.kind);
  api::SseParser parser;
  BodyShape shape = BodyShape::kUnknown;
  std::string document;  // a non-SSE body (error or whole answer), up to max_document_bytes
  bool document_truncated = false;
  Status stopped;  // why the callback stopped the transfer
  auto on_chunk = [&](std::string_view bytes) -> bool {
    if (shape == BodyShape::kUnknown) {
      size_t first = bytes.find_first_not_of(" \t\r\n");
      if (first == std::string_view::npos) return true;
      shape =
          (bytes[first] == '{' || bytes[first] == '<') ? BodyShape::kDocument : BodyShape::kEvents;
    }
    if (shape == BodyShape::kDocument) {
      size_t room =
          options_.max_document_bytes - std::min(options_.max_document_bytes, document.size());
      if (bytes.size() > room) document_truncated = true;
      document.append(bytes.substr(0, room));
      return true;  // read to the end, so the connection can be reused
    }
    for (const api::SseMessage& event : parser.Feed(bytes)) {
      Result<std::string> text = reader.OnEvent(event);
      if (!text) {
        stopped = std::move(text).error();
        return false;
      }
      if (!text->empty() && !on_delta(*text)) {
        stopped = Status::Cancelled("the caller stopped the cloud stream");
        return false;
      }
    }
    if (parser.buffered_bytes() > options_.max_event_bytes) {
      stopped = Status::DataLoss("cloud provider '" + provider_.name + "' sent an event over " +
                                 std::to_string(options_.max_event_bytes) + " bytes");
      return false;
    }
    return true;
  };
  Result<net::ClientResponse> response = http_->Stream(http_request, on_chunk);
  if (!stopped.ok()) {
    // A stopped transfer leaves the connection mid-body: it is not reused.
    http_->CloseIdleConnections();
    return Err(stopped);
  }
  if (!response) {
    return Err(response.error().WithContext("cloud provider '" + provider_.name + "'"));
  }
  if (response->status < 200 || response->status > 299) {
    return Err(ProviderErrorStatus(provider_.name, response->status, document));
  }
  if (shape == BodyShape::kDocument) {
    if (document_truncated) {
      return Err(Status::DataLoss("cloud provider '" + provider_.name + "' answered with over " +
                                  std::to_string(options_.max_document_bytes) + " bytes"));
    }
    return ReadWholeAnswer(document, on_delta);
  }
  if (!reader.done()) {
    return Err(Status::Unavailable("cloud provider '" + provider_.name +
                                   "' ended the stream before it finished"));
  }
  return reader.completion();
}

Result<CloudCompletion> CloudClient::ReadWholeAnswer(std::string_view body,
                                                     const DeltaCallback& on_delta) const {
  api::ApiResult<api::GenerationResult> parsed = provider_.kind == ProviderKind::kAnthropic
                                                     ? api::translate::ParseAnthropicMessage(body)
                                                     : api::translate::ParseChatCompletion(body);
  if (!parsed) {
    return Err(Status::DataLoss("cloud provider '" + provider_.name +
                                "' sent a malformed answer: " + parsed.error().message));
  }
  if (!parsed->text.empty() && !on_delta(parsed->text)) {
    return Err(Status::Cancelled("the caller stopped the cloud stream"));
  }
  CloudCompletion completion;
  completion.finish_reason = parsed->finish_reason;
  completion.stop_sequence = parsed->stop_sequence;
  completion.usage = parsed->usage;
  return completion;
}

Result<api::GenerationResult> CloudClient::Complete(const api::GenerationRequest& request,
                                                    std::string_view upstream_model) {
  api::GenerationResult result;
  LOCAI_ASSIGN_OR_RETURN(CloudCompletion completion,
                         Stream(request, upstream_model, [&result](std::string_view text) {
                           result.text.append(text);
                           return true;
                         }));
  result.finish_reason = completion.finish_reason;
  result.stop_sequence = completion.stop_sequence;
  result.usage = completion.usage;
  return result;
}

}  // namespace locai::control::router

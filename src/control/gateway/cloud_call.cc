// Cloud calls on the worker pool: the provider's answer, behind the PII guard, re-emitted in the
// client's own API (stream or whole body).
#include <ctime>
#include <random>

#include "api/anthropic/messages_response.h"
#include "api/openai/chat_response.h"
#include "api/openai/completions.h"
#include "control/gateway/gateway_core.h"
#include "control/router/pii_cloud_guard.h"

namespace locai::control::gateway {
namespace {

// The client's stream or body for one answer, in the API it asked in.
class ClientEmitter {
 public:
  explicit ClientEmitter(const GatewayRequest& request, api::ResponseMeta meta)
      : api_(request.parsed.api),
        chat_(meta, request.parsed.include_usage, false),
        completion_(meta, request.parsed.include_usage, false),
        message_(meta),
        meta_(std::move(meta)) {}

  std::string Start() const {
    if (api_ == api::ApiKind::kOpenAiChat) return chat_.Start();
    if (api_ == api::ApiKind::kAnthropicMessages) return message_.Start(0);
    return "";
  }
  std::string Delta(std::string_view text) {
    if (api_ == api::ApiKind::kOpenAiChat) return chat_.Delta(text);
    if (api_ == api::ApiKind::kAnthropicMessages) return message_.Delta(text);
    return completion_.Delta(text);
  }
  std::string Finish(const router::CloudCompletion& done) const {
    if (api_ == api::ApiKind::kOpenAiChat) return chat_.Finish(done.finish_reason, done.usage);
    if (api_ == api::ApiKind::kAnthropicMessages) {
      return message_.Finish(done.finish_reason, done.stop_sequence, done.usage);
    }
    return completion_.Finish(done.finish_reason, done.usage);
  }
  std::string Body(const router::CloudCompletion& done, std::string text) const {
    api::GenerationResult result;
    result.text = std::move(text);
    result.finish_reason = done.finish_reason;
    result.stop_sequence = done.stop_sequence;
    result.usage = done.usage;
    if (api_ == api::ApiKind::kOpenAiChat) {
      return api::openai::SerializeChatCompletion(meta_, result, false);
    }
    if (api_ == api::ApiKind::kAnthropicMessages) {
      return api::anthropic::SerializeMessage(meta_, result);
    }
    return api::openai::SerializeCompletion(meta_, result, false);
  }

 private:
  api::ApiKind api_;
  api::openai::ChatStreamWriter chat_;
  api::openai::CompletionStreamWriter completion_;
  api::anthropic::MessageStreamWriter message_;
  api::ResponseMeta meta_;
};

uint64_t TextBytes(const api::GenerationRequest& request) {
  uint64_t bytes = request.prompt.size();
  for (const auto& message : request.messages) bytes += message.content.size();
  return bytes;
}

}  // namespace

void GatewayCore::CloudLoop() {
  while (true) {
    std::shared_ptr<GatewayRequest> request;
    {
      std::unique_lock lock(cloud_mu_);
      cloud_cv_.wait(lock, [this] { return cloud_stopping_ || !cloud_tasks_.empty(); });
      if (cloud_stopping_) return;
      request = std::move(cloud_tasks_.front());
      cloud_tasks_.pop_front();
    }
    RunCloud(request);
  }
}

void GatewayCore::RunCloud(const std::shared_ptr<GatewayRequest>& request) {
  GatewayRequest& r = *request;
  const router::CloudTarget& target = *r.cloud_target;
  auto provider = deps_.policies->GetProvider(r.caller.org_id, target.provider);
  if (!provider) {
    Fail(r,
         ErrorFor(r.format,
                  Status::Unavailable("cloud provider '" + target.provider +
                                      "' is not available: " + provider.error().message())),
         0, "cloud", target.provider);
    return;
  }
  router::CloudClient client(*provider, *deps_.connector, options_.cloud);

  thread_local std::mt19937_64 random(std::random_device{}());
  api::ResponseMeta meta;
  const char* prefix = r.parsed.api == api::ApiKind::kOpenAiChat         ? "chatcmpl-"
                       : r.parsed.api == api::ApiKind::kOpenAiCompletion ? "cmpl-"
                                                                         : "msg_";
  meta.id = api::MakeResponseId(prefix, random(), random());
  meta.model = r.parsed.model;
  meta.created = static_cast<int64_t>(std::time(nullptr));
  ClientEmitter emitter(r, meta);

  net::HttpHeaders stream_headers;
  stream_headers.Set("Content-Type", "text/event-stream");
  stream_headers.Set("Cache-Control", "no-cache");
  SetRoute(stream_headers, "cloud", target.provider);

  std::string text;
  uint64_t received = 0;
  auto on_delta = [&](std::string_view delta) -> bool {
    if (r.closed.load() || stopped_.load()) return false;
    received += delta.size();
    text.append(delta);
    if (!r.parsed.stream) return true;
    std::lock_guard lock(r.mu);
    if (r.finished) return false;
    if (!r.started) {
      r.started = true;
      r.head_status = 200;
      r.writer->StartStream(200, stream_headers);
      r.writer->Write(emitter.Start());
    }
    r.writer->Write(emitter.Delta(delta));
    return true;
  };
  policy::PiiDecision decision;
  auto done = router::GuardedCloudStream(detector_, r.policy.pii_action, client, r.parsed,
                                         target.model, on_delta, &decision);
  {
    std::lock_guard lock(r.mu);
    for (const auto& [type, count] : decision.detections) r.record.pii_detections[type] = count;
    if (!(decision.action == policy::PiiAction::kBlock && decision.found())) {
      r.record.cloud_bytes_sent = TextBytes(r.parsed);
    }
    r.record.cloud_bytes_received = received;
  }
  if (!done) {
    if (r.closed.load()) return;  // ClientClosed records it
    Fail(r, ErrorFor(r.format, done.error()), 0, "cloud", target.provider);
    return;
  }
  std::string stream_tail;  // what ends the stream
  bool start_stream = false;
  {
    std::lock_guard lock(r.mu);
    if (r.finished) return;
    r.finished = true;  // nobody else writes from here on
    if (r.parsed.stream) {
      start_stream = !r.started;
      r.started = true;
      r.head_status = 200;
      if (start_stream) stream_tail = emitter.Start();
      stream_tail += emitter.Finish(*done);
    }
    r.record.route = "cloud";
    r.record.target = target.provider;
    r.record.prompt_tokens = done->usage.prompt_tokens;
    r.record.completion_tokens = done->usage.completion_tokens;
    if (r.capture) r.record.completion_text = text;
  }
  // The record goes first, so that it is there when the client has its answer.
  Record(r, 200, "");
  if (!r.parsed.stream) {
    net::HttpResponse response = net::HttpResponse::Json(200, emitter.Body(*done, text));
    SetRoute(response.headers, "cloud", target.provider);
    r.writer->Send(std::move(response));
    return;
  }
  if (start_stream) r.writer->StartStream(200, stream_headers);
  r.writer->Write(std::move(stream_tail));
  r.writer->End();
}

}  // namespace locai::control::gateway

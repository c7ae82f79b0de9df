// The generation endpoints: parse on the io thread, then on a worker: acquire the model (loading
// it if needed), build the prompt, submit to the scheduler with a RequestSink that answers.
#include <chrono>
#include <ctime>

#include "api/anthropic/messages_request.h"
#include "api/anthropic/version.h"
#include "api/openai/chat_request.h"
#include "api/openai/completions.h"
#include "node/generation_sink.h"
#include "node/handlers.h"
#include "node/prompt.h"

namespace locai::node {
namespace {

std::string PromptForLog(const api::GenerationRequest& request) {
  if (request.api == api::ApiKind::kOpenAiCompletion) return request.prompt;
  std::string text;
  for (const auto& message : request.messages) {
    text += std::string(api::RoleName(message.role)) + ": " + message.content + "\n";
  }
  return text;
}

// The error for a failed Acquire.
api::ApiError AcquireError(ApiStyle style, const Status& status, std::string_view model) {
  if (status.code() == StatusCode::kNotFound) {
    return style == ApiStyle::kAnthropic ? api::AnthropicModelNotFound(model)
                                         : api::OpenAiModelNotFound(model);
  }
  if (status.code() == StatusCode::kResourceExhausted) {
    // The model does not fit this device: a 503 whose message says why (the control plane
    // routes elsewhere on it); not retryable here, so no rate-limit type.
    return api::ApiError{503, style == ApiStyle::kAnthropic ? "api_error" : "server_error",
                         status.message(), "model",
                         style == ApiStyle::kAnthropic ? "" : "insufficient_memory"};
  }
  return ErrorFromStatus(style, status);
}

// When this node cannot serve the request (`why`) and a forwarder is set, offers the request to
// it. True when it took the request (it answers).
bool TryForward(NodeContext& ctx, const net::HttpRequest& http,
                const std::shared_ptr<net::ResponseWriter>& writer, std::string_view model,
                std::string_view why) {
  if (!ctx.options.forward || writer->closed()) return false;
  if (!ctx.options.forward(http, writer)) return false;
  ctx.logger.Event("info", "request " + http.request_id + " for model '" + std::string(model) +
                               "' forwarded to the control plane: " + std::string(why));
  return true;
}

bool Forwardable(const Status& status) {
  return status.code() == StatusCode::kNotFound ||
         status.code() == StatusCode::kResourceExhausted;
}

void RunGeneration(NodeContext& ctx, const net::HttpRequest& http, api::GenerationRequest request,
                   std::shared_ptr<net::ResponseWriter> writer) {
  const ApiStyle style =
      request.api == api::ApiKind::kAnthropicMessages ? ApiStyle::kAnthropic : ApiStyle::kOpenAi;
  if (writer->closed()) return;
  auto lease = ctx.models->Acquire(request.model);
  if (!lease) {
    if (Forwardable(lease.error()) &&
        TryForward(ctx, http, writer, request.model, lease.error().message())) {
      return;
    }
    SendAndLogError(ctx, http, *writer, style, AcquireError(style, lease.error(), request.model),
                    request.model);
    return;
  }
  LoadedModel& model = *lease->get();
  auto prompt = BuildPrompt(request, model.chat_template(), *model.tokenizer());
  if (!prompt) {
    SendAndLogError(ctx, http, *writer, style, ForStyle(style, prompt.error()), request.model);
    return;
  }
  const int64_t prompt_tokens = static_cast<int64_t>(prompt->size());
  auto engine_request = ToEngineRequest(request, std::move(*prompt), model.context_length(),
                                        model.tokenizer()->n_vocab(), ctx.random.Next());
  if (!engine_request) {
    SendAndLogError(ctx, http, *writer, style, ForStyle(style, engine_request.error()),
                    request.model);
    return;
  }

  api::ResponseMeta meta;
  const char* prefix = request.api == api::ApiKind::kOpenAiChat         ? "chatcmpl-"
                       : request.api == api::ApiKind::kOpenAiCompletion ? "cmpl-"
                                                                        : "msg_";
  meta.id = api::MakeResponseId(prefix, ctx.random.Next(), ctx.random.Next());
  meta.model = request.model;
  meta.created = static_cast<int64_t>(std::time(nullptr));
  if (style == ApiStyle::kOpenAi) meta.system_fingerprint = "fp_locai_" + model.id();

  RequestLogEntry log;
  log.request_id = http.request_id;
  log.endpoint = http.path;
  log.model = request.model;
  log.stream = request.stream;
  if (ctx.options.log_prompts) log.prompt = PromptForLog(request);

  auto sink = std::make_shared<RequestSink>(ctx, writer, std::move(*lease), request, meta,
                                            prompt_tokens, std::move(log));
  std::weak_ptr<RequestSink> weak = sink;
  writer->OnClose([weak] {
    if (auto s = weak.lock()) s->OnClientClosed();
  });
  Status status = sink->Submit(std::move(*engine_request));
  if (status.code() == StatusCode::kResourceExhausted &&
      TryForward(ctx, http, writer, request.model, "queue full: " + status.message())) {
    return;
  }
  if (!status.ok()) {
    api::ApiError error = ErrorFromStatus(style, status);
    if (status.code() == StatusCode::kResourceExhausted) {
      // The queue is full: OpenAI's 429 rate_limit_error, Anthropic's 529 overloaded_error.
      error = style == ApiStyle::kAnthropic
                  ? api::AnthropicErrorFromStatus(Status::Unavailable(
                        "The node is overloaded: " + status.message() + ". Retry later."))
                  : api::OpenAiErrorFromStatus(status);
      if (style == ApiStyle::kOpenAi) {
        error.message = "The node is overloaded: " + status.message() + ". Retry later.";
      }
    }
    SendAndLogError(ctx, http, *writer, style, error, request.model);
  }
}

template <typename Parse>
void HandleGeneration(NodeContext& ctx, net::HttpRequest request,
                      std::shared_ptr<net::ResponseWriter> writer, ApiStyle style, Parse parse) {
  api::ApiResult<api::GenerationRequest> parsed = parse(request);
  if (!parsed) {
    SendAndLogError(ctx, request, *writer, style, ForStyle(style, parsed.error()));
    return;
  }
  ctx.workers->Post([&ctx, request = std::move(request), parsed = std::move(*parsed),
                     writer = std::move(writer)]() mutable {
    RunGeneration(ctx, request, std::move(parsed), std::move(writer));
  });
}

}  // namespace

void HandleChatCompletions(NodeContext& ctx, net::HttpRequest request,
                           std::shared_ptr<net::ResponseWriter> writer) {
  HandleGeneration(ctx, std::move(request), std::move(writer), ApiStyle::kOpenAi,
                   [](const net::HttpRequest& r) { return api::openai::ParseChatRequest(r.body); });
}

void HandleCompletions(NodeContext& ctx, net::HttpRequest request,
                       std::shared_ptr<net::ResponseWriter> writer) {
  HandleGeneration(
      ctx, std::move(request), std::move(writer), ApiStyle::kOpenAi,
      [](const net::HttpRequest& r) { return api::openai::ParseCompletionRequest(r.body); });
}

void HandleMessages(NodeContext& ctx, net::HttpRequest request,
                    std::shared_ptr<net::ResponseWriter> writer) {
  HandleGeneration(ctx, std::move(request), std::move(writer), ApiStyle::kAnthropic,
                   [](const net::HttpRequest& r) -> api::ApiResult<api::GenerationRequest> {
                     auto version = api::anthropic::ParseAnthropicVersion(r.headers.entries());
                     if (!version) return api::ApiErr(version.error());
                     return api::anthropic::ParseMessagesRequest(r.body, *version);
                   });
}

void HandleCountTokens(NodeContext& ctx, net::HttpRequest request,
                       std::shared_ptr<net::ResponseWriter> writer) {
  auto version = api::anthropic::ParseAnthropicVersion(request.headers.entries());
  auto parsed = version ? api::anthropic::ParseCountTokensRequest(request.body, *version)
                        : api::ApiResult<api::GenerationRequest>(api::ApiErr(version.error()));
  if (!parsed) {
    SendAndLogError(ctx, request, *writer, ApiStyle::kAnthropic,
                    ForStyle(ApiStyle::kAnthropic, parsed.error()));
    return;
  }
  ctx.workers->Post([&ctx, request = std::move(request), parsed = std::move(*parsed),
                     writer = std::move(writer)]() {
    if (writer->closed()) return;
    auto lease = ctx.models->Acquire(parsed.model);
    if (!lease) {
      SendAndLogError(ctx, request, *writer, ApiStyle::kAnthropic,
                      AcquireError(ApiStyle::kAnthropic, lease.error(), parsed.model),
                      parsed.model);
      return;
    }
    LoadedModel& model = *lease->get();
    auto prompt = BuildPrompt(parsed, model.chat_template(), *model.tokenizer());
    if (!prompt) {
      SendAndLogError(ctx, request, *writer, ApiStyle::kAnthropic,
                      ForStyle(ApiStyle::kAnthropic, prompt.error()), parsed.model);
      return;
    }
    ctx.metrics.CountRequest(request.path, 200);
    writer->Send(JsonResponse(
        200, api::anthropic::SerializeCountTokens(static_cast<int64_t>(prompt->size())),
        request.request_id));
  });
}

}  // namespace locai::node

// POST /v1/embeddings: parse on the io thread; tokenise and pool on a worker thread through the
// model's embeddings context.
#include <chrono>

#include "api/openai/embeddings.h"
#include "node/handlers.h"

namespace locai::node {

void HandleEmbeddings(NodeContext& ctx, net::HttpRequest request,
                      std::shared_ptr<net::ResponseWriter> writer) {
  auto parsed = api::openai::ParseEmbeddingsRequest(request.body);
  if (!parsed) {
    SendAndLogError(ctx, request, *writer, ApiStyle::kOpenAi, parsed.error());
    return;
  }
  ctx.workers->Post([&ctx, request = std::move(request), parsed = std::move(*parsed),
                     writer = std::move(writer)]() {
    const auto start = std::chrono::steady_clock::now();
    if (writer->closed()) return;
    auto lease = ctx.models->Acquire(parsed.model);
    if (!lease) {
      api::ApiError error = lease.error().code() == StatusCode::kNotFound
                                ? api::OpenAiModelNotFound(parsed.model)
                                : api::OpenAiErrorFromStatus(lease.error());
      if (lease.error().code() == StatusCode::kResourceExhausted) {
        error = api::ApiError{503, "server_error", lease.error().message(), "model",
                              "insufficient_memory"};
      }
      SendAndLogError(ctx, request, *writer, ApiStyle::kOpenAi, error, parsed.model);
      return;
    }
    LoadedModel& model = *lease->get();
    const int64_t n_embd = model.model().config().n_embd;
    if (parsed.dimensions && *parsed.dimensions != n_embd) {
      SendAndLogError(ctx, request, *writer, ApiStyle::kOpenAi,
                      api::InvalidRequest("This model's embeddings have " +
                                              std::to_string(n_embd) +
                                              " dimensions and cannot be shortened.",
                                          "dimensions"),
                      parsed.model);
      return;
    }
    api::openai::EmbeddingsResult result;
    for (size_t i = 0; i < parsed.inputs.size(); ++i) {
      if (writer->closed()) return;
      const auto& tokenizer = *model.tokenizer();
      auto ids = tokenizer.Encode(parsed.inputs[i], tokenizer.add_bos_default(), false);
      Result<std::vector<float>> embedding =
          ids ? model.Embed(*ids) : Result<std::vector<float>>(Err(ids.error()));
      if (!embedding) {
        api::ApiError error = api::OpenAiErrorFromStatus(embedding.error());
        error.param = "input";
        if (parsed.inputs.size() > 1) error.param = "input[" + std::to_string(i) + "]";
        SendAndLogError(ctx, request, *writer, ApiStyle::kOpenAi, error, parsed.model);
        return;
      }
      result.prompt_tokens += static_cast<int64_t>(ids->size());
      result.embeddings.push_back(std::move(*embedding));
    }
    ctx.metrics.CountRequest(request.path, 200);
    ctx.metrics.CountTokens(result.prompt_tokens, 0);
    RequestLogEntry log;
    log.request_id = request.request_id;
    log.endpoint = request.path;
    log.model = parsed.model;
    log.status = 200;
    log.prompt_tokens = result.prompt_tokens;
    log.total_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() -
                                                             start)
                       .count();
    ctx.logger.Request(log);
    writer->Send(JsonResponse(
        200, api::openai::SerializeEmbeddings(parsed.model, result, parsed.base64),
        request.request_id));
  });
}

}  // namespace locai::node

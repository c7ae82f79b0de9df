// The handlers that answer at once: model listings, health, metrics, and the shared error path.
#include <nlohmann/json.hpp>

#include "api/anthropic/models.h"
#include "api/openai/models.h"
#include "node/handlers.h"
#include "node/memory.h"

namespace locai::node {
namespace {

const ModelFile* FileOf(const ModelDirectory& dir, const std::string& name) {
  return dir.Find(name);
}

void Respond(NodeContext& ctx, const net::HttpRequest& request, net::ResponseWriter& writer,
             net::HttpResponse response) {
  response.headers.Set("x-request-id", request.request_id);
  ctx.metrics.CountRequest(request.path.rfind("/v1/models/", 0) == 0 ? "/v1/models/{id}"
                                                                     : request.path,
                           response.status);
  writer.Send(std::move(response));
}

}  // namespace

void SendAndLogError(NodeContext& ctx, const net::HttpRequest& request, net::ResponseWriter& writer,
                     ApiStyle style, const api::ApiError& error, std::string_view model) {
  const std::string endpoint =
      request.path.rfind("/v1/models/", 0) == 0 ? "/v1/models/{id}" : request.path;
  ctx.metrics.CountRequest(endpoint, error.http_status);
  RequestLogEntry log;
  log.request_id = request.request_id;
  log.endpoint = endpoint;
  log.model = std::string(model);
  log.status = error.http_status;
  log.error = error.message;
  ctx.logger.Request(log);
  net::HttpResponse response =
      ErrorResponse(style, error, request.request_id, ctx.options.retry_after_seconds);
  if (IsGenerationPath(request.path)) MarkServedLocally(response.headers);
  writer.Send(std::move(response));
}

void HandleListModels(NodeContext& ctx, net::HttpRequest request,
                      std::shared_ptr<net::ResponseWriter> writer) {
  const std::shared_ptr<const ModelDirectory> snapshot = ctx.models->directory();
  const ModelDirectory& dir = *snapshot;
  const std::vector<std::string> names = dir.Names();
  std::string body;
  if (StyleOf(request) == ApiStyle::kAnthropic) {
    std::vector<api::anthropic::ModelInfo> models;
    for (const auto& name : names) {
      models.push_back({name, name, FileOf(dir, name)->modified});
    }
    body = api::anthropic::SerializeModelList(models);
  } else {
    std::vector<api::openai::ModelInfo> models;
    for (const auto& name : names) {
      models.push_back({name, FileOf(dir, name)->modified, "locai"});
    }
    body = api::openai::SerializeModelList(models);
  }
  Respond(ctx, request, *writer, net::HttpResponse::Json(200, std::move(body)));
}

void HandleGetModel(NodeContext& ctx, net::HttpRequest request,
                    std::shared_ptr<net::ResponseWriter> writer) {
  const std::string id = request.PathParam("id");
  const ApiStyle style = StyleOf(request);
  const std::shared_ptr<const ModelDirectory> dir = ctx.models->directory();
  const ModelFile* file = dir->Find(id);
  if (file == nullptr) {
    SendAndLogError(ctx, request, *writer, style,
                    style == ApiStyle::kAnthropic ? api::AnthropicModelNotFound(id)
                                                  : api::OpenAiModelNotFound(id));
    return;
  }
  std::string body = style == ApiStyle::kAnthropic
                         ? api::anthropic::SerializeModel({id, id, file->modified})
                         : api::openai::SerializeModel({id, file->modified, "locai"});
  Respond(ctx, request, *writer, net::HttpResponse::Json(200, std::move(body)));
}

void HandleHealth(NodeContext& ctx, net::HttpRequest request,
                  std::shared_ptr<net::ResponseWriter> writer) {
  nlohmann::ordered_json body;
  bool loading = false;
  bool overloaded = false;
  int64_t queued = 0;
  int64_t running = 0;
  nlohmann::ordered_json models = nlohmann::ordered_json::array();
  for (const ModelStatus& status : ctx.models->Snapshot()) {
    nlohmann::ordered_json model;
    model["id"] = status.id;
    model["state"] = status.loading ? "loading" : "loaded";
    if (status.loading) {
      loading = true;
    } else {
      model["running"] = status.stats.running;
      model["queued"] = status.stats.queued;
      model["memory_bytes"] = status.memory_bytes;
      // Overloaded: the next request would be refused (no free slot and the queue is full).
      if (status.stats.running >= status.n_parallel && status.stats.queued >= status.max_queue) {
        overloaded = true;
      }
    }
    queued += status.stats.queued;
    running += status.stats.running;
    models.push_back(std::move(model));
  }
  body["status"] = overloaded ? "overloaded" : (loading ? "loading" : "ready");
  body["models"] = std::move(models);
  body["running"] = running;
  body["queued"] = queued;
  body["available_models"] = ctx.models->directory()->models().size();
  Respond(ctx, request, *writer, net::HttpResponse::Json(200, body.dump()));
}

void HandleMetrics(NodeContext& ctx, net::HttpRequest request,
                   std::shared_ptr<net::ResponseWriter> writer) {
  Gauges gauges;
  for (const ModelStatus& status : ctx.models->Snapshot()) {
    if (status.loading) {
      ++gauges.loading_models;
      continue;
    }
    ++gauges.loaded_models;
    gauges.queue_depth += status.stats.queued;
    gauges.running += status.stats.running;
    gauges.model_memory_bytes += status.memory_bytes;
  }
  gauges.resident_bytes = ReadProcessRss();
  if (ctx.options.models.memory_limit) {
    const uint64_t limit = *ctx.options.models.memory_limit;
    gauges.available_bytes = limit > gauges.model_memory_bytes ? limit - gauges.model_memory_bytes : 0;
  } else {
    gauges.available_bytes = ReadMemAvailable().value_or(0);
  }
  // Count this request before rendering so the scrape sees itself.
  ctx.metrics.CountRequest(request.path, 200);
  net::HttpResponse response =
      net::HttpResponse::Text(200, ctx.metrics.Render(gauges));
  response.headers.Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
  response.headers.Set("x-request-id", request.request_id);
  writer->Send(std::move(response));
}

}  // namespace locai::node

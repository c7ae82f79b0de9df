// The node's HTTP handlers. Each runs on an io thread with the request and its writer, answers at
// once (models, health, metrics, parse errors) or hands the blocking part to the worker pool
// (model load, tokenising, submit, embeddings) and answers from there or from the engine thread.
// Every response carries x-request-id and errors come in the API's own format (api_style.h).
// Thread-safety: the handlers may run concurrently; they share only the NodeContext.
#pragma once

#include <memory>
#include <string_view>

#include "api/common/api_error.h"

#include "net/http/http_message.h"
#include "net/http/response_writer.h"
#include "node/api_style.h"
#include "node/node_context.h"

namespace locai::node {

// POST /v1/chat/completions, /v1/completions, /v1/messages.
void HandleChatCompletions(NodeContext& ctx, net::HttpRequest request,
                           std::shared_ptr<net::ResponseWriter> writer);
void HandleCompletions(NodeContext& ctx, net::HttpRequest request,
                       std::shared_ptr<net::ResponseWriter> writer);
void HandleMessages(NodeContext& ctx, net::HttpRequest request,
                    std::shared_ptr<net::ResponseWriter> writer);
// POST /v1/messages/count_tokens (Anthropic): {"input_tokens": N} of the rendered prompt.
void HandleCountTokens(NodeContext& ctx, net::HttpRequest request,
                       std::shared_ptr<net::ResponseWriter> writer);
// POST /v1/embeddings.
void HandleEmbeddings(NodeContext& ctx, net::HttpRequest request,
                      std::shared_ptr<net::ResponseWriter> writer);
// GET /v1/models and /v1/models/{id...}: OpenAI's shape, or Anthropic's when the request has
// anthropic-version. Every name of the directory is listed (ids, then aliases).
void HandleListModels(NodeContext& ctx, net::HttpRequest request,
                      std::shared_ptr<net::ResponseWriter> writer);
void HandleGetModel(NodeContext& ctx, net::HttpRequest request,
                    std::shared_ptr<net::ResponseWriter> writer);
// GET /health: always 200 with {"status":"ready"|"loading"|"overloaded","models":[{id,state,
// running,queued,memory_bytes}],"running","queued","available_models"}; overloaded when a model's
// queue is full, loading while a model loads.
void HandleHealth(NodeContext& ctx, net::HttpRequest request,
                  std::shared_ptr<net::ResponseWriter> writer);
// GET /metrics: Prometheus text.
void HandleMetrics(NodeContext& ctx, net::HttpRequest request,
                   std::shared_ptr<net::ResponseWriter> writer);

// Sends `error` and records the request in metrics and the log.
void SendAndLogError(NodeContext& ctx, const net::HttpRequest& request, net::ResponseWriter& writer,
                     ApiStyle style, const api::ApiError& error, std::string_view model = "");

}  // namespace locai::node

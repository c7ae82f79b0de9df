#include "node/node_server.h"

#include "api/common/headers.h"
#include "net/http/http_server.h"
#include "net/http/router.h"
#include "node/api_style.h"
#include "node/handlers.h"
#include "node/node_context.h"

namespace locai::node {
namespace {

using HandlerFn = void (*)(NodeContext&, net::HttpRequest, std::shared_ptr<net::ResponseWriter>);

// Wraps a handler with the API-key check and a catch-all that turns a stray exception into a 500
// in the API's format (a bug, logged).
net::Handler Wrap(NodeContext& ctx, HandlerFn fn, bool needs_key) {
  return [&ctx, fn, needs_key](net::HttpRequest request,
                               std::shared_ptr<net::ResponseWriter> writer) {
    const ApiStyle style = StyleOf(request);
    if (needs_key && !Authorized(request, ctx.options.api_keys)) {
      const bool key_given = api::ExtractApiKey(request.headers.entries()).has_value();
      SendAndLogError(ctx, request, *writer, style, UnauthorizedError(style, key_given));
      return;
    }
    const std::string request_id = request.request_id;
    try {
      fn(ctx, std::move(request), writer);
    } catch (const std::exception& e) {
      ctx.logger.Event("error", std::string("handler exception (bug): ") + e.what());
      writer->Send(ErrorResponse(style, ErrorFromStatus(style, Status::Internal("internal error")),
                                 request_id, ctx.options.retry_after_seconds));
    }
  };
}

struct Route {
  const char* method;
  const char* pattern;
  HandlerFn fn;
  bool needs_key;
};

constexpr Route kRoutes[] = {
    {"GET", "/v1/models", &HandleListModels, true},
    {"GET", "/v1/models/{id...}", &HandleGetModel, true},
    {"POST", "/v1/chat/completions", &HandleChatCompletions, true},
    {"POST", "/v1/completions", &HandleCompletions, true},
    {"POST", "/v1/messages", &HandleMessages, true},
    {"POST", "/v1/messages/count_tokens", &HandleCountTokens, true},
    {"POST", "/v1/embeddings", &HandleEmbeddings, true},
    {"GET", "/health", &HandleHealth, false},
    {"GET", "/metrics", &HandleMetrics, false},
};

// The node's routes; `check_keys` false drops the API-key check (Dispatch).
Result<std::unique_ptr<net::Router>> BuildRouter(NodeContext& ctx, bool check_keys) {
  auto router = std::make_unique<net::Router>();
  for (const Route& route : kRoutes) {
    LOCAI_RETURN_IF_ERROR(router->Add(route.method, route.pattern,
                                      Wrap(ctx, route.fn, check_keys && route.needs_key)));
  }
  return router;
}

}  // namespace

bool IsLoopbackHost(const std::string& host) {
  return host == "localhost" || host == "::1" || host == "[::1]" || host.rfind("127.", 0) == 0;
}

Result<std::unique_ptr<NodeServer>> NodeServer::Create(NodeOptions options) {
  if (options.models.n_parallel < 1) return Err(Status::InvalidArgument("--parallel must be >= 1"));
  if (options.models.context_length < 16)
    return Err(Status::InvalidArgument("--ctx must be >= 16"));
  if (options.models.max_queue < 0) return Err(Status::InvalidArgument("--queue must be >= 0"));
  if (options.models.n_threads < 0) return Err(Status::InvalidArgument("--threads must be >= 0"));
  // Without a models directory the node starts empty (a fleet node's models are added at run
  // time through ModelManager::AddModel).
  ModelDirectory dir;
  if (!options.models_dir.empty()) {
    LOCAI_ASSIGN_OR_RETURN(dir, ModelDirectory::Scan(options.models_dir));
  }
  for (const auto& name : options.preload) {
    if (dir.Find(name) == nullptr) {
      return Err(Status::InvalidArgument("--preload: no model named '" + name + "' in " +
                                         options.models_dir));
    }
  }
  auto ctx = std::make_unique<NodeContext>(std::move(options));
  ctx->models = std::make_unique<ModelManager>(std::move(dir), ctx->options.models);
  ctx->workers = std::make_unique<WorkerPool>(ctx->options.worker_threads);
  if (ctx->options.on_request_done) ctx->logger.SetRequestObserver(ctx->options.on_request_done);
  LOCAI_ASSIGN_OR_RETURN(std::unique_ptr<net::Router> dispatch_router,
                         BuildRouter(*ctx, /*check_keys=*/false));
  std::unique_ptr<NodeServer> server(new NodeServer(std::move(ctx)));
  server->dispatch_router_ = std::move(dispatch_router);
  return server;
}

NodeServer::NodeServer(std::unique_ptr<NodeContext> ctx) : ctx_(std::move(ctx)) {}

NodeServer::~NodeServer() { Stop(); }

Status NodeServer::Start() {
  if (server_) return Status::FailedPrecondition("the node is already started");
  for (const auto& name : ctx_->options.preload) {
    auto lease = ctx_->models->Acquire(name);
    if (!lease) return lease.error();
    ctx_->logger.Event("info", "preloaded model " + name);
  }
  NodeContext& ctx = *ctx_;
  LOCAI_ASSIGN_OR_RETURN(std::unique_ptr<net::Router> router,
                         BuildRouter(ctx, /*check_keys=*/true));
  net::HttpServerOptions server_options;
  server_options.host = ctx.options.host;
  server_options.port = ctx.options.port;
  server_options.io_threads = ctx.options.io_threads;
  server_options.max_body_bytes = ctx.options.max_body_bytes;
  server_options.header_timeout = ctx.options.header_timeout;
  server_options.body_timeout = ctx.options.body_timeout;
  server_options.idle_timeout = ctx.options.idle_timeout;
  server_options.shutdown_grace = std::chrono::milliseconds(2'000);
  server_options.error_renderer = &RenderTransportError;
  server_options.log = [&ctx](std::string_view line) { ctx.logger.Event("warn", line); };
  auto server = std::make_unique<net::HttpServer>(std::move(server_options), std::move(*router));
  LOCAI_RETURN_IF_ERROR(server->Start());
  server_ = std::move(server);
  return Status::Ok();
}

void NodeServer::Stop() {
  {
    // Waits for Dispatch() calls in progress; later ones answer 503.
    std::unique_lock<std::shared_mutex> lock(dispatch_mu_);
    if (stopped_) return;
    stopped_ = true;
  }
  if (server_) server_->Stop();
  // Workers finish their tasks (answering to closed writers), then models unload and cancel.
  ctx_->workers.reset();
  ctx_->models.reset();
}

void NodeServer::Dispatch(net::HttpRequest request, std::shared_ptr<net::ResponseWriter> writer) {
  const ApiStyle style = StyleOf(request);
  std::shared_lock<std::shared_mutex> lock(dispatch_mu_);
  if (stopped_) {
    writer->Send(ErrorResponse(style,
                               ErrorFromStatus(style, Status::Unavailable("the node is stopping")),
                               request.request_id, ctx_->options.retry_after_seconds));
    return;
  }
  net::Router::Match match = dispatch_router_->Find(request.method, request.path);
  if (match.kind != net::Router::MatchKind::kFound || match.handler == nullptr) {
    const bool not_allowed = match.kind == net::Router::MatchKind::kMethodNotAllowed;
    api::ApiError error = ErrorFromStatus(
        style, not_allowed ? Status::InvalidArgument("method " + request.method + " not allowed")
                           : Status::NotFound("no route for " + request.path));
    if (not_allowed) error.http_status = 405;
    writer->Send(
        ErrorResponse(style, error, request.request_id, ctx_->options.retry_after_seconds));
    return;
  }
  request.path_params = std::move(match.path_params);
  (*match.handler)(std::move(request), std::move(writer));
}

uint16_t NodeServer::port() const { return server_ ? server_->port() : 0; }

std::string NodeServer::url() const {
  const std::string& host = ctx_->options.host;
  const bool v6 = host.find(':') != std::string::npos && host.front() != '[';
  return "http://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port());
}

ModelManager& NodeServer::models() { return *ctx_->models; }
const Metrics& NodeServer::metrics() const { return ctx_->metrics; }

}  // namespace locai::node

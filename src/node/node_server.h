// NodeServer: `locai node`, the OpenAI- and Anthropic-compatible server of one device.
//
// It serves the models of a model directory (ModelDirectory) through a ModelManager (load on
// first use or --preload, one BatchScheduler per model, keep-alive unload, memory check) on an
// HttpServer with these routes:
//   GET  /v1/models, /v1/models/{id...}      OpenAI or Anthropic shape (by anthropic-version)
//   POST /v1/chat/completions, /v1/completions, /v1/embeddings    OpenAI
//   POST /v1/messages, /v1/messages/count_tokens   Anthropic
//   GET  /health, /metrics
// API keys, when configured, are required on every /v1 route (401 in the API's format); /health
// and /metrics are open. One JSON log line per request goes to options.log (stderr by default),
// and each finished request's entry to options.on_request_done.
// Dispatch() runs a request that did not come over HTTP (a fleet job, agent/job_runner.h) through
// the same routes and handlers, without the API-key check.
// Thread-safety: Start() and Stop() from the owning thread; Dispatch(), port(), models() and
// metrics() from any thread after Create().
#pragma once

#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <string>

#include "common/status.h"
#include "net/http/http_message.h"
#include "net/http/response_writer.h"
#include "node/metrics.h"
#include "node/model_manager.h"
#include "node/node_options.h"

namespace locai::net {
class HttpServer;
class Router;
}  // namespace locai::net

namespace locai::node {

struct NodeContext;

class NodeServer {
 public:
  // Scans the model directory. Errors: those of ModelDirectory::Scan; InvalidArgument for a
  // --preload name that is not in the directory or bad numeric options.
  static Result<std::unique_ptr<NodeServer>> Create(NodeOptions options);
  ~NodeServer();  // Stop()s
  NodeServer(const NodeServer&) = delete;
  NodeServer& operator=(const NodeServer&) = delete;

  // Loads the --preload models (a model that fails to load, e.g. for memory, fails Start), then
  // binds and starts serving. Errors: the load's, or the HttpServer's (Unavailable when the
  // address is in use).
  Status Start();
  // Stops accepting, lets responses in flight finish briefly, then unloads every model.
  // Idempotent.
  void Stop();

  // Runs `request` through the route table as if it came over HTTP (same handlers, same response
  // bytes) but without the API-key check: the caller authenticated it. `request.path` is the
  // route path (the target's path, not percent-encoded); request_id should be set. An unknown path
  // or method is answered 404 / 405 in the API's format; after Stop(), 503. Does not block on
  // inference (as an HTTP handler, the work goes to the worker pool and the engine thread).
  void Dispatch(net::HttpRequest request, std::shared_ptr<net::ResponseWriter> writer);

  uint16_t port() const;
  // "http://HOST:PORT" (IPv6 hosts in brackets).
  std::string url() const;
  ModelManager& models();
  const Metrics& metrics() const;

 private:
  explicit NodeServer(std::unique_ptr<NodeContext> ctx);
  std::unique_ptr<NodeContext> ctx_;
  std::unique_ptr<net::HttpServer> server_;
  std::unique_ptr<net::Router> dispatch_router_;  // the routes without the key check
  // Dispatch() holds it shared while a handler runs; Stop() exclusively to set stopped_.
  std::shared_mutex dispatch_mu_;
  bool stopped_ = false;  // guarded by dispatch_mu_
};

// True when `host` is a loopback address ("127.x.x.x", "::1", "localhost").
bool IsLoopbackHost(const std::string& host);

}  // namespace locai::node

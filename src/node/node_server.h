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
// and /metrics are open. One JSON log line per request goes to options.log (stderr by default).
// Thread-safety: Start() and Stop() from the owning thread; port(), models() and metrics() from
// any thread after Start().
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "common/status.h"
#include "node/metrics.h"
#include "node/model_manager.h"
#include "node/node_options.h"

namespace locai::net {
class HttpServer;
}

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

  uint16_t port() const;
  // "http://HOST:PORT" (IPv6 hosts in brackets).
  std::string url() const;
  ModelManager& models();
  const Metrics& metrics() const;

 private:
  explicit NodeServer(std::unique_ptr<NodeContext> ctx);
  std::unique_ptr<NodeContext> ctx_;
  std::unique_ptr<net::HttpServer> server_;
  bool stopped_ = false;
};

// True when `host` is a loopback address ("127.x.x.x", "::1", "localhost").
bool IsLoopbackHost(const std::string& host);

}  // namespace locai::node

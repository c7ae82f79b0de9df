// NodeOptions: everything `locai node` is configured with (the CLI flags, one field each).
// Thread-safety: a plain value.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "net/http/http_message.h"
#include "net/http/response_writer.h"
#include "node/model_manager.h"
#include "node/request_log.h"

namespace locai::node {

struct NodeOptions {
  std::string models_dir;           // --models
  std::string host = "127.0.0.1";   // --host (a non-loopback address serves the LAN)
  uint16_t port = 11435;            // --port (0 picks a free port)
  ModelManagerOptions models;       // --parallel --ctx --queue --threads --keep-alive --memory-limit
  std::vector<std::string> preload;   // --preload NAME...
  std::vector<std::string> api_keys;  // --api-key KEY...; empty: no authentication
  bool log_prompts = false;           // --log-prompts
  size_t max_body_bytes = 10 << 20;   // --max-body-bytes
  std::chrono::milliseconds header_timeout{10'000};  // --header-timeout-ms
  std::chrono::milliseconds body_timeout{30'000};    // --body-timeout-ms
  std::chrono::milliseconds idle_timeout{60'000};    // --idle-timeout-ms
  int io_threads = 4;
  int worker_threads = 4;  // threads for model loads, tokenising and embeddings
  int retry_after_seconds = 1;  // Retry-After on 429/503/529
  // Receives each log line (one JSON object, no newline); empty: stderr.
  std::function<void(std::string_view)> log;
  // Called once per finished request (after its log line, before the last byte of its response
  // is handed to the writer), from the thread that finished it; must be quick and thread-safe.
  // Empty: nothing. The fleet agent reports generation requests from it (request_log).
  std::function<void(const RequestLogEntry&)> on_request_done;
  // Local-first (issue 5): a generation request this node cannot serve (model not here, does not
  // fit, queue full) is offered to `forward`, on a worker thread; true means it took the request
  // and answers it (node/forward/forwarder.h: to the control plane), false that the node answers
  // its own error. Empty: never forward.
  std::function<bool(const net::HttpRequest&, std::shared_ptr<net::ResponseWriter>)> forward;
};

}  // namespace locai::node

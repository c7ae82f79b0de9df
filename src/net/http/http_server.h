// HttpServer: an HTTP/1.1 server on Boost.Asio/Beast with keep-alive, streaming responses and
// limits that protect it from slow or hostile clients.
//
// A request goes: accept (refused with 503 past max_connections) -> wait for the first byte (idle
// timeout) -> read the header (header timeout, size limit -> 431) -> read the body (body timeout,
// size limit -> 413 without buffering the rest) -> Router (404 / 405) -> Handler on an io thread,
// which answers through a ResponseWriter, possibly later from another thread. Errors the server
// produces itself are rendered by the ErrorRenderer. Each limit closes or refuses only the
// offending connection; the others carry on.
//
// With `tls` set the server speaks HTTPS only (TLS 1.2+): the handshake must finish within
// header_timeout of the connection, and a client that sends plain HTTP or garbage is dropped
// without an answer; everything after the handshake behaves as over plain TCP. WebSocket routes
// (Router::AddWebSocket) work over both; see net/websocket/websocket_session.h.
// Thread-safety: Start() and Stop() from one owner thread (never from an io thread or a handler);
// port() from any thread after Start().
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "net/http/error_renderer.h"
#include "net/http/router.h"

namespace locai::net {

struct HttpServerOptions {
  struct TlsOptions {
    std::string cert_pem;   // the server's (leaf) certificate
    std::string key_pem;    // its private key (PEM, unencrypted)
    std::string chain_pem;  // certificates sent after the leaf (the CA), may be empty
  };
  std::optional<TlsOptions> tls;  // set: HTTPS only

  std::string host = "127.0.0.1";  // address to bind (an IP literal, e.g. "0.0.0.0", "::1")
  uint16_t port = 0;               // 0 picks a free port; see HttpServer::port()
  int io_threads = 2;

  size_t max_body_bytes = 32 << 20;        // larger bodies get 413
  size_t max_header_bytes = 64 << 10;      // larger request heads get 431
  size_t max_connections = 1024;           // connections past this get 503 and are closed
  size_t max_write_queue_bytes = 8 << 20;  // per connection; overflow disconnects the client

  // A client must send the whole request head within header_timeout of its first byte, and the
  // body within body_timeout after the head. idle_timeout bounds the wait for the first byte of a
  // request (including between keep-alive requests). A queued piece of a response (a whole
  // response, a stream head or one chunk) that is not written within write_timeout disconnects
  // the client. No timeout applies while the handler works.
  std::chrono::milliseconds header_timeout{10'000};
  std::chrono::milliseconds body_timeout{60'000};
  std::chrono::milliseconds idle_timeout{60'000};
  std::chrono::milliseconds write_timeout{60'000};
  // Stop() lets in-flight responses finish for up to this long before cutting connections.
  std::chrono::milliseconds shutdown_grace{5'000};

  ErrorRenderer error_renderer;  // empty: DefaultErrorRenderer
  // Receives one line per notable event (handler exception, refused connection). Empty: stderr.
  std::function<void(std::string_view line)> log;
  std::string server_name = "locai";  // the Server header
  WebSocketServerOptions websocket;   // for sessions of WebSocket routes
};

class HttpServer {
 public:
  HttpServer(HttpServerOptions options, Router router);
  // Stops the server if it is running.
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds, listens and starts the io threads. InvalidArgument for a bad host or option (or a TLS
  // certificate or key that does not load or match),
  // Unavailable when the address cannot be bound, FailedPrecondition when already started.
  Status Start();
  // The bound port (useful with port 0); 0 before Start().
  uint16_t port() const;
  // Stops accepting, closes idle connections, lets in-flight responses finish for up to
  // shutdown_grace, then closes the rest (their writers see closed()) and joins the io threads.
  // Idempotent.
  void Stop();

  // Connections currently open.
  size_t active_connections() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace locai::net

// Internal to the HTTP server: the state shared by the acceptor, every connection and every
// WebSocket session, and the interface through which Stop() reaches them. Includes Boost; not
// part of the public API.
// Thread-safety: the options, router and TLS context are immutable after Start(); the registry is
// guarded by registry_mu, the post gate by post_mu.
#pragma once

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "net/http/http_server.h"

namespace locai::net::internal {

// An HTTP connection or a WebSocket session, as the server's registry sees it.
class ServerEndpoint {
 public:
  virtual ~ServerEndpoint() = default;
  // Both post to the endpoint's strand. StopIfIdle: the server is stopping; finish the response
  // in flight (HTTP) or start the closing handshake (WebSocket). Abort: cut it now.
  virtual void PostStopIfIdle() = 0;
  virtual void PostAbort() = 0;
};

struct ServerShared {
  HttpServerOptions options;
  Router router;
  std::unique_ptr<boost::asio::ssl::context> tls_context;  // set when options.tls is
  std::string request_id_prefix;
  std::atomic<uint64_t> next_request_id{1};
  std::atomic<uint64_t> next_endpoint_id{1};
  std::atomic<bool> stopping{false};

  void Log(std::string_view line) const;
  RenderedError Render(int status, std::string_view message) const;

  // Open connections and sessions, by id (weak: each is owned by its pending operations).
  std::mutex registry_mu;
  std::condition_variable registry_cv;  // notified when an endpoint unregisters
  std::unordered_map<uint64_t, std::weak_ptr<ServerEndpoint>> registry;

  void Register(uint64_t id, std::weak_ptr<ServerEndpoint> endpoint);
  void Unregister(uint64_t id);

  // Endpoints post into the io_context only while this is true (see HttpServer::Stop).
  std::mutex post_mu;
  bool accepting_posts = true;
};

// "127.0.0.1:54321", "[::1]:54321".
std::string FormatEndpoint(const boost::asio::ip::tcp::endpoint& endpoint);

}  // namespace locai::net::internal

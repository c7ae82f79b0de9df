#include "net/http/http_server.h"

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <cstdio>
#include <random>
#include <thread>
#include <vector>

#include "net/http/server_connection.h"
#include "net/http/wire_format.h"
#include "net/tls/tls_context.h"

namespace locai::net {
namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;
using internal::Connection;
using internal::ServerShared;

struct HttpServer::Impl {
  std::shared_ptr<ServerShared> shared;
  std::shared_ptr<asio::io_context> ioc;
  std::unique_ptr<tcp::acceptor> acceptor;
  std::unique_ptr<asio::steady_timer> accept_retry_timer;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::vector<std::thread> threads;
  std::atomic<uint16_t> port{0};
  bool started = false;
  bool stopped = false;

  void Accept();
  void OnAccept(error_code ec, tcp::socket socket);
  void Refuse(tcp::socket socket);
};

HttpServer::HttpServer(HttpServerOptions options, Router router) : impl_(std::make_unique<Impl>()) {
  impl_->shared = std::make_shared<ServerShared>();
  impl_->shared->options = std::move(options);
  impl_->shared->router = std::move(router);
  std::random_device random;
  char prefix[16];
  std::snprintf(prefix, sizeof(prefix), "%08x", static_cast<unsigned>(random()));
  impl_->shared->request_id_prefix = prefix;
}

HttpServer::~HttpServer() { Stop(); }

uint16_t HttpServer::port() const { return impl_->port.load(); }

size_t HttpServer::active_connections() const {
  std::lock_guard<std::mutex> lock(impl_->shared->registry_mu);
  return impl_->shared->registry.size();
}

Status HttpServer::Start() {
  Impl& impl = *impl_;
  if (impl.started) return Status::FailedPrecondition("HttpServer already started");
  const HttpServerOptions& options = impl.shared->options;
  if (options.io_threads < 1) return Status::InvalidArgument("io_threads must be at least 1");
  if (options.max_connections < 1) {
    return Status::InvalidArgument("max_connections must be at least 1");
  }
  error_code ec;
  asio::ip::address address = asio::ip::make_address(options.host, ec);
  if (ec) return Status::InvalidArgument("bad listen address '" + options.host + "'");

  if (options.tls) {
    LOCAI_ASSIGN_OR_RETURN(impl.shared->tls_context,
                           tls::MakeServerContext(options.tls->cert_pem, options.tls->key_pem,
                                                  options.tls->chain_pem));
  }
  impl.ioc = std::make_shared<asio::io_context>(options.io_threads);
  impl.acceptor = std::make_unique<tcp::acceptor>(asio::make_strand(*impl.ioc));
  tcp::endpoint endpoint(address, options.port);
  std::string where = options.host + ":" + std::to_string(options.port);
  impl.acceptor->open(endpoint.protocol(), ec);
  if (!ec) impl.acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl.acceptor->bind(endpoint, ec);
  if (!ec) impl.acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    impl.acceptor.reset();
    impl.ioc.reset();
    return Status::Unavailable("cannot listen on " + where + ": " + ec.message());
  }
  impl.port = impl.acceptor->local_endpoint(ec).port();
  impl.accept_retry_timer = std::make_unique<asio::steady_timer>(impl.acceptor->get_executor());
  impl.started = true;
  impl.work.emplace(impl.ioc->get_executor());
  impl.Accept();
  for (int i = 0; i < options.io_threads; ++i) {
    impl.threads.emplace_back([ioc = impl.ioc] { ioc->run(); });
  }
  return Status::Ok();
}

void HttpServer::Impl::Accept() {
  acceptor->async_accept(asio::make_strand(*ioc), [this](error_code ec, tcp::socket socket) {
    OnAccept(ec, std::move(socket));
  });
}

void HttpServer::Impl::OnAccept(error_code ec, tcp::socket socket) {
  if (shared->stopping.load() || ec == asio::error::operation_aborted) return;
  if (ec) {
    // EMFILE and the like: back off instead of spinning.
    shared->Log("accept failed: " + ec.message());
    accept_retry_timer->expires_after(std::chrono::milliseconds(100));
    accept_retry_timer->async_wait([this](error_code timer_ec) {
      if (!timer_ec && !shared->stopping.load()) Accept();
    });
    return;
  }
  bool full;
  {
    std::lock_guard<std::mutex> lock(shared->registry_mu);
    full = shared->registry.size() >= shared->options.max_connections;
  }
  if (full) {
    Refuse(std::move(socket));
  } else {
    uint64_t id = shared->next_endpoint_id.fetch_add(1);
    auto connection = std::make_shared<Connection>(shared, ioc, std::move(socket), id);
    shared->Register(id, connection);
    connection->Start();
  }
  Accept();
}

void HttpServer::Impl::Refuse(tcp::socket socket) {
  shared->Log("refusing connection: " + std::to_string(shared->options.max_connections) +
              " connections open");
  if (shared->tls_context) {
    // A TLS client could not read a plaintext 503; a TLS handshake just to refuse costs too much.
    error_code ignored;
    socket.close(ignored);
    return;
  }
  RenderedError rendered = shared->Render(503, "too many connections, try again later");
  HttpHeaders headers;
  headers.Set("Content-Type", rendered.content_type);
  headers.Set("Retry-After", "1");
  ResponseHead head;
  head.status = 503;
  head.headers = &headers;
  head.content_length = rendered.body.size();
  head.close = true;
  head.server_name = shared->options.server_name;
  auto bytes = std::make_shared<std::string>(SerializeResponseHead(head) + rendered.body);
  auto owned = std::make_shared<tcp::socket>(std::move(socket));
  asio::async_write(*owned, asio::buffer(*bytes), [owned, bytes](error_code, size_t) {
    error_code ignored;
    owned->shutdown(tcp::socket::shutdown_both, ignored);
    owned->close(ignored);
  });
}

void HttpServer::Stop() {
  Impl& impl = *impl_;
  if (!impl.started || impl.stopped) return;
  impl.stopped = true;
  std::shared_ptr<ServerShared> shared = impl.shared;
  shared->stopping.store(true);
  asio::post(impl.acceptor->get_executor(), [&impl] {
    error_code ec;
    impl.acceptor->close(ec);
    impl.accept_retry_timer->cancel();
  });

  // Connections and WebSocket sessions alike.
  auto for_each_connection = [&](auto fn) {
    std::vector<std::shared_ptr<internal::ServerEndpoint>> endpoints;
    {
      std::lock_guard<std::mutex> lock(shared->registry_mu);
      for (auto& [id, weak] : shared->registry) {
        if (auto endpoint = weak.lock()) endpoints.push_back(std::move(endpoint));
      }
    }
    for (auto& endpoint : endpoints) fn(*endpoint);
  };
  for_each_connection([](internal::ServerEndpoint& e) { e.PostStopIfIdle(); });
  {
    std::unique_lock<std::mutex> lock(shared->registry_mu);
    shared->registry_cv.wait_for(lock, shared->options.shutdown_grace,
                                 [&] { return shared->registry.empty(); });
  }
  for_each_connection([](internal::ServerEndpoint& e) { e.PostAbort(); });
  {
    std::unique_lock<std::mutex> lock(shared->registry_mu);
    shared->registry_cv.wait_for(lock, std::chrono::seconds(5),
                                 [&] { return shared->registry.empty(); });
  }
  {
    // From here on writers' posts are dropped: nothing would run them once the threads exit.
    std::lock_guard<std::mutex> lock(shared->post_mu);
    shared->accepting_posts = false;
  }
  impl.work.reset();
  for (std::thread& thread : impl.threads) thread.join();
  impl.threads.clear();
  impl.accept_retry_timer.reset();
  impl.acceptor.reset();
}

}  // namespace locai::net

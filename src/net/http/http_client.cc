#include "net/http/http_client.h"

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>

#include "net/http/url.h"
#include "net/tls/tls_context.h"

namespace locai::net {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using asio::ip::tcp;
using boost::system::error_code;

namespace {

using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// One kept-alive connection: plain TCP, or TLS over TCP.
struct PooledConnection {
  std::optional<beast::tcp_stream> plain;
  std::unique_ptr<TlsStream> tls;
  beast::flat_buffer buffer;

  beast::tcp_stream& lowest() { return tls ? beast::get_lowest_layer(*tls) : *plain; }
  void Close() {
    error_code ignored;
    lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
    lowest().close();
  }
};

bool IsValidToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

bool IsTimeout(const error_code& ec) { return ec == beast::error::timeout; }

}  // namespace

struct HttpClient::Impl {
  egress::Connector& connector;
  HttpClientOptions options;
  asio::io_context ioc{1};
  std::map<std::string, std::unique_ptr<PooledConnection>> idle;  // by "scheme://host:port"
  size_t opened = 0;
  std::unique_ptr<asio::ssl::context> tls_context;  // made on the first https request
  std::string server_ca_pem;  // the pinned CA of the last handshake (FetchServerCaPem)

  tls::ClientTrust Trust() const {
    tls::ClientTrust trust;
    trust.pinned_ca_sha256 = options.pinned_ca_sha256;
    trust.ca_pem = options.ca_pem;
    trust.pinned_cert_sha256 = options.pinned_sha256;
    trust.ca_file = options.ca_file;
    return trust;
  }

  Status EnsureTlsContext() {
    if (tls_context) return Status::Ok();
    LOCAI_ASSIGN_OR_RETURN(tls_context, tls::MakeClientContext(Trust()));
    return Status::Ok();
  }

  Status Handshake(PooledConnection& connection, const Url& url) {
    TlsStream& tls = *connection.tls;
    tls::ClientTrust trust = Trust();
    LOCAI_RETURN_IF_ERROR(tls::PrepareClientHandshake(tls.native_handle(), url.host, trust));
    bool done = false;
    error_code result;
    connection.lowest().expires_after(options.connect_timeout);
    tls.async_handshake(asio::ssl::stream_base::client, [&](error_code handshake_ec) {
      result = handshake_ec;
      done = true;
    });
    RunUntil(done);
    if (result) {
      if (IsTimeout(result)) return Status::DeadlineExceeded("TLS handshake timed out");
      return Status::Unavailable(
          "TLS handshake with " + url.Authority() +
          " failed: " + tls::DescribeHandshakeFailure(tls.native_handle(), result.message()));
    }
    Status verified =
        tls::VerifyAfterHandshake(tls.native_handle(), url.host, trust, &server_ca_pem);
    if (!verified.ok()) {
      return Status::Unavailable("TLS server " + url.Authority() + ": " +
                                 std::string(verified.message()));
    }
    return Status::Ok();
  }

  Impl(egress::Connector& c, HttpClientOptions o) : connector(c), options(std::move(o)) {}

  // Runs the event loop until `done`; the stream's expiry bounds the wait.
  void RunUntil(const bool& done) {
    ioc.restart();
    while (!done && ioc.run_one() > 0) {
    }
  }

  Result<std::unique_ptr<PooledConnection>> Open(const Url& url, std::string_view purpose) {
    LOCAI_ASSIGN_OR_RETURN(egress::ConnectedSocket socket,
                           connector.Connect(url.host, url.port, purpose, options.connect_timeout));
    sockaddr_storage local{};
    socklen_t len = sizeof(local);
    ::getsockname(socket.fd(), reinterpret_cast<sockaddr*>(&local), &len);
    beast::tcp_stream stream(ioc);
    error_code ec;
    stream.socket().assign(local.ss_family == AF_INET6 ? tcp::v6() : tcp::v4(), socket.fd(), ec);
    if (ec) return Err(Status::Internal("cannot adopt socket: " + ec.message()));
    socket.Release();
    ++opened;
    auto connection = std::make_unique<PooledConnection>();
    if (url.scheme == "https") {
      LOCAI_RETURN_IF_ERROR(EnsureTlsContext());
      connection->tls = std::make_unique<TlsStream>(std::move(stream), *tls_context);
      Status handshake = Handshake(*connection, url);
      if (!handshake.ok()) {
        connection->Close();
        return Err(handshake);
      }
    } else {
      connection->plain.emplace(std::move(stream));
    }
    return connection;
  }

  // One attempt on `connection`. `received_any` tells whether any response byte arrived.
  template <typename Stream>
  Result<ClientResponse> Exchange(Stream& stream, PooledConnection& connection, const Url& url,
                                  const ClientRequest& request, const BodyChunkCallback* on_chunk,
                                  bool* received_any, bool* reusable) {
    *received_any = false;
    *reusable = false;
    http::request<http::string_body> message;
    message.method_string(request.method);
    message.target(url.target);
    message.version(11);
    bool has_host = false;
    for (const auto& [name, value] : request.headers.entries()) {
      if (EqualsIgnoreCase(name, "Content-Length") || EqualsIgnoreCase(name, "Transfer-Encoding")) {
        continue;
      }
      if (EqualsIgnoreCase(name, "Host")) has_host = true;
      message.insert(name, value);
    }
    if (!has_host) message.set(http::field::host, url.Authority());
    if (!request.headers.Has("User-Agent"))
      message.set(http::field::user_agent, options.user_agent);
    if (!options.keep_alive) message.set(http::field::connection, "close");
    message.body() = request.body;
    if (!request.body.empty() || request.method == "POST" || request.method == "PUT" ||
        request.method == "PATCH") {
      message.content_length(request.body.size());
    }

    bool done = false;
    error_code result;
    connection.lowest().expires_after(options.write_timeout);
    http::async_write(stream, message, [&](error_code ec, size_t) {
      result = ec;
      done = true;
    });
    RunUntil(done);
    // A server that refuses a body (413) may close before reading it all; try to read its answer.
    bool write_failed = static_cast<bool>(result);
    if (write_failed && result != asio::error::broken_pipe &&
        result != asio::error::connection_reset) {
      if (IsTimeout(result)) return Err(Status::DeadlineExceeded("sending the request timed out"));
      return Err(Status::Unavailable("sending the request failed: " + result.message()));
    }

    http::response_parser<http::buffer_body> parser;
    parser.header_limit(static_cast<uint32_t>(options.max_header_bytes));
    // Not boost::none: Beast 1.74 compares a Content-Length against an empty optional as "over".
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    if (request.method == "HEAD") parser.skip(true);
    done = false;
    connection.lowest().expires_after(options.read_timeout);
    http::async_read_header(stream, connection.buffer, parser, [&](error_code ec, size_t) {
      result = ec;
      done = true;
    });
    RunUntil(done);
    if (result) {
      *received_any = connection.buffer.size() > 0;
      if (IsTimeout(result))
        return Err(Status::DeadlineExceeded("waiting for the response timed out"));
      if (result == http::error::header_limit) {
        return Err(Status::ResourceExhausted("response header too large"));
      }
      return Err(Status::Unavailable("reading the response failed: " + result.message()));
    }
    *received_any = true;
    ClientResponse response;
    response.status = static_cast<int>(parser.get().result_int());
    for (const auto& field : parser.get()) {
      response.headers.Add(std::string(field.name_string()), std::string(field.value()));
    }

    std::array<char, 16 * 1024> piece;
    while (!parser.is_done()) {
      parser.get().body().data = piece.data();
      parser.get().body().size = piece.size();
      done = false;
      connection.lowest().expires_after(options.read_timeout);
      http::async_read_some(stream, connection.buffer, parser, [&](error_code ec, size_t) {
        result = ec;
        done = true;
      });
      RunUntil(done);
      if (result == http::error::need_buffer) result = {};
      if (result) {
        if (IsTimeout(result)) return Err(Status::DeadlineExceeded("reading the body timed out"));
        return Err(Status::Unavailable("reading the body failed: " + result.message()));
      }
      size_t n = piece.size() - parser.get().body().size;
      if (n == 0) continue;
      std::string_view bytes(piece.data(), n);
      if (on_chunk != nullptr) {
        if (!(*on_chunk)(bytes)) return Err(Status::Cancelled("the stream callback stopped"));
      } else {
        if (response.body.size() + n > options.max_body_bytes) {
          return Err(Status::ResourceExhausted("response body over " +
                                               std::to_string(options.max_body_bytes) + " bytes"));
        }
        response.body.append(bytes);
      }
    }
    *reusable = !write_failed && options.keep_alive && parser.get().keep_alive();
    return response;
  }

  Result<ClientResponse> Do(const ClientRequest& request, const BodyChunkCallback* on_chunk) {
    LOCAI_ASSIGN_OR_RETURN(Url url, ParseUrl(request.url));
    if (!IsValidToken(request.method)) {
      return Err(Status::InvalidArgument("bad HTTP method: " + request.method));
    }
    std::string_view purpose = request.purpose.empty() ? options.purpose : request.purpose;
    std::string key = url.scheme + "://" + url.Authority();
    for (int attempt = 0; attempt < 2; ++attempt) {
      std::unique_ptr<PooledConnection> connection;
      bool reused = false;
      auto it = idle.find(key);
      if (it != idle.end()) {
        connection = std::move(it->second);
        idle.erase(it);
        reused = true;
      } else {
        LOCAI_ASSIGN_OR_RETURN(connection, Open(url, purpose));
      }
      bool received_any = false;
      bool reusable = false;
      Result<ClientResponse> response = connection->tls
                                            ? Exchange(*connection->tls, *connection, url, request,
                                                       on_chunk, &received_any, &reusable)
                                            : Exchange(*connection->plain, *connection, url,
                                                       request, on_chunk, &received_any, &reusable);
      if (response && reusable) {
        idle[key] = std::move(connection);
      } else {
        connection->Close();
      }
      // A kept-alive connection the server closed meanwhile: retry once on a fresh one.
      if (!response && reused && !received_any &&
          response.error().code() == StatusCode::kUnavailable) {
        continue;
      }
      return response;
    }
    return Err(Status::Unavailable("request failed"));
  }
};

HttpClient::HttpClient(egress::Connector& connector, HttpClientOptions options)
    : impl_(std::make_unique<Impl>(connector, std::move(options))) {}

HttpClient::~HttpClient() = default;

Result<ClientResponse> HttpClient::Fetch(const ClientRequest& request) {
  return impl_->Do(request, nullptr);
}

Result<ClientResponse> HttpClient::Stream(const ClientRequest& request,
                                          const BodyChunkCallback& on_chunk) {
  return impl_->Do(request, &on_chunk);
}

Result<std::string> FetchServerCaPem(const std::string& url, std::string_view pinned_ca_sha256,
                                     egress::Connector& connector,
                                     std::chrono::milliseconds timeout) {
  LOCAI_ASSIGN_OR_RETURN(Url parsed, ParseUrl(url));
  if (parsed.scheme != "https") return Err(Status::InvalidArgument("not an https URL: " + url));
  if (pinned_ca_sha256.empty()) return Err(Status::InvalidArgument("pinned_ca_sha256 is empty"));
  HttpClientOptions options;
  options.connect_timeout = timeout;
  options.pinned_ca_sha256 = std::string(pinned_ca_sha256);
  options.purpose = "fetch-ca";
  HttpClient::Impl impl(connector, options);
  LOCAI_ASSIGN_OR_RETURN(std::unique_ptr<PooledConnection> connection,
                         impl.Open(parsed, options.purpose));
  connection->Close();
  if (impl.server_ca_pem.empty()) return Err(Status::Internal("no CA certificate recorded"));
  return impl.server_ca_pem;
}

void HttpClient::CloseIdleConnections() { impl_->idle.clear(); }

size_t HttpClient::connections_opened() const { return impl_->opened; }

}  // namespace locai::net

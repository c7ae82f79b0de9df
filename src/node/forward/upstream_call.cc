#include "node/forward/upstream_call.h"

#include <sys/socket.h>

#include <array>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
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
#include <optional>

#include "net/http/url.h"
#include "net/tls/tls_context.h"

namespace locai::node::forward {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using asio::ip::tcp;
using boost::system::error_code;

namespace {

using TlsStream = beast::ssl_stream<beast::tcp_stream>;

bool IsTimeout(const error_code& ec) { return ec == beast::error::timeout; }

}  // namespace

struct UpstreamCall::Impl {
  net::egress::Connector& connector;
  net::HttpClientOptions options;
  asio::io_context ioc{1};  // declared first: the streams below use it until they are gone
  std::unique_ptr<asio::ssl::context> tls_context;
  std::optional<beast::tcp_stream> plain;
  std::unique_ptr<TlsStream> tls;
  beast::flat_buffer buffer;
  std::atomic<bool> aborted{false};

  Impl(net::egress::Connector& c, net::HttpClientOptions o) : connector(c), options(std::move(o)) {}

  beast::tcp_stream& lowest() { return tls ? beast::get_lowest_layer(*tls) : *plain; }
  bool connected() const { return tls != nullptr || plain.has_value(); }

  // Runs on the Run() thread (posted by Abort): closing the socket ends the pending operation.
  void CloseSocket() {
    if (!connected()) return;
    error_code ignored;
    lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
    lowest().socket().close(ignored);
  }

  void RunUntil(const bool& done) {
    ioc.restart();
    while (!done && ioc.run_one() > 0) {
    }
  }

  Status Failure(const error_code& ec, std::string_view what) const {
    if (aborted) return Status::Cancelled("the forwarded request was aborted");
    if (IsTimeout(ec)) return Status::DeadlineExceeded(std::string(what) + " timed out");
    return Status::Unavailable(std::string(what) + " failed: " + ec.message());
  }

  net::tls::ClientTrust Trust() const {
    net::tls::ClientTrust trust;
    trust.pinned_ca_sha256 = options.pinned_ca_sha256;
    trust.ca_pem = options.ca_pem;
    trust.pinned_cert_sha256 = options.pinned_sha256;
    trust.ca_file = options.ca_file;
    return trust;
  }

  Status Connect(const net::Url& url, std::string_view purpose) {
    LOCAI_ASSIGN_OR_RETURN(net::egress::ConnectedSocket socket,
                           connector.Connect(url.host, url.port, purpose, options.connect_timeout));
    if (aborted) return Status::Cancelled("the forwarded request was aborted");
    sockaddr_storage local{};
    socklen_t len = sizeof(local);
    ::getsockname(socket.fd(), reinterpret_cast<sockaddr*>(&local), &len);
    beast::tcp_stream stream(ioc);
    error_code ec;
    stream.socket().assign(local.ss_family == AF_INET6 ? tcp::v6() : tcp::v4(), socket.fd(), ec);
    if (ec) return Status::Internal("cannot adopt socket: " + ec.message());
    socket.Release();
    if (url.scheme != "https") {
      plain.emplace(std::move(stream));
      return Status::Ok();
    }
    const net::tls::ClientTrust trust = Trust();
    LOCAI_ASSIGN_OR_RETURN(tls_context, net::tls::MakeClientContext(trust));
    tls = std::make_unique<TlsStream>(std::move(stream), *tls_context);
    LOCAI_RETURN_IF_ERROR(net::tls::PrepareClientHandshake(tls->native_handle(), url.host, trust));
    bool done = false;
    error_code result;
    lowest().expires_after(options.connect_timeout);
    tls->async_handshake(asio::ssl::stream_base::client, [&](error_code handshake_ec) {
      result = handshake_ec;
      done = true;
    });
    RunUntil(done);
    if (result) {
      if (aborted) return Status::Cancelled("the forwarded request was aborted");
      if (IsTimeout(result)) return Status::DeadlineExceeded("TLS handshake timed out");
      return Status::Unavailable(
          "TLS handshake with " + url.Authority() + " failed: " +
          net::tls::DescribeHandshakeFailure(tls->native_handle(), result.message()));
    }
    Status verified = net::tls::VerifyAfterHandshake(tls->native_handle(), url.host, trust);
    if (!verified.ok()) {
      return Status::Unavailable("TLS server " + url.Authority() + ": " +
                                 std::string(verified.message()));
    }
    return Status::Ok();
  }

  template <typename Stream>
  Status Exchange(Stream& stream, const net::Url& url, const net::ClientRequest& request,
                  const HeadCallback& on_head, const net::BodyChunkCallback& on_chunk) {
    http::request<http::string_body> message;
    message.method_string(request.method);
    message.target(url.target);
    message.version(11);
    for (const auto& [name, value] : request.headers.entries()) {
      if (net::EqualsIgnoreCase(name, "Content-Length") ||
          net::EqualsIgnoreCase(name, "Transfer-Encoding") ||
          net::EqualsIgnoreCase(name, "Connection") || net::EqualsIgnoreCase(name, "Host")) {
        continue;
      }
      message.insert(name, value);
    }
    message.set(http::field::host, url.Authority());
    if (!request.headers.Has("User-Agent")) message.set(http::field::user_agent, options.user_agent);
    message.set(http::field::connection, "close");
    message.body() = request.body;
    message.content_length(request.body.size());

    bool done = false;
    error_code result;
    lowest().expires_after(options.write_timeout);
    http::async_write(stream, message, [&](error_code ec, size_t) {
      result = ec;
      done = true;
    });
    RunUntil(done);
    // A server that refuses the body may close before reading it: its answer may still be there.
    if (result && result != asio::error::broken_pipe && result != asio::error::connection_reset) {
      return Failure(result, "sending the request");
    }

    http::response_parser<http::buffer_body> parser;
    parser.header_limit(static_cast<uint32_t>(options.max_header_bytes));
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    done = false;
    lowest().expires_after(options.read_timeout);
    http::async_read_header(stream, buffer, parser, [&](error_code ec, size_t) {
      result = ec;
      done = true;
    });
    RunUntil(done);
    if (result) {
      if (!aborted && result == http::error::header_limit) {
        return Status::ResourceExhausted("response header too large");
      }
      return Failure(result, "reading the response");
    }
    UpstreamHead head;
    head.status = static_cast<int>(parser.get().result_int());
    for (const auto& field : parser.get()) {
      head.headers.Add(std::string(field.name_string()), std::string(field.value()));
    }
    if (!on_head(head)) return Status::Cancelled("the head callback stopped the call");

    std::array<char, 16 * 1024> piece;
    while (!parser.is_done()) {
      if (aborted) return Status::Cancelled("the forwarded request was aborted");
      parser.get().body().data = piece.data();
      parser.get().body().size = piece.size();
      done = false;
      lowest().expires_after(options.read_timeout);
      http::async_read_some(stream, buffer, parser, [&](error_code ec, size_t) {
        result = ec;
        done = true;
      });
      RunUntil(done);
      if (result == http::error::need_buffer) result = {};
      if (result) return Failure(result, "reading the body");
      const size_t n = piece.size() - parser.get().body().size;
      if (n == 0) continue;
      if (!on_chunk(std::string_view(piece.data(), n))) {
        return Status::Cancelled("the body callback stopped the call");
      }
    }
    return Status::Ok();
  }
};

UpstreamCall::UpstreamCall(net::egress::Connector& connector, net::HttpClientOptions options)
    : impl_(std::make_unique<Impl>(connector, std::move(options))) {}

UpstreamCall::~UpstreamCall() {
  if (impl_->connected()) impl_->CloseSocket();
}

Status UpstreamCall::Run(const net::ClientRequest& request, const HeadCallback& on_head,
                         const net::BodyChunkCallback& on_chunk) {
  LOCAI_ASSIGN_OR_RETURN(net::Url url, net::ParseUrl(request.url));
  if (impl_->aborted) return Status::Cancelled("the forwarded request was aborted");
  const std::string_view purpose =
      request.purpose.empty() ? std::string_view(impl_->options.purpose) : request.purpose;
  Status status = impl_->Connect(url, purpose);
  if (status.ok()) {
    status = impl_->tls ? impl_->Exchange(*impl_->tls, url, request, on_head, on_chunk)
                        : impl_->Exchange(*impl_->plain, url, request, on_head, on_chunk);
  }
  if (impl_->connected()) impl_->CloseSocket();
  return status;
}

void UpstreamCall::Abort() {
  if (impl_->aborted.exchange(true)) return;
  Impl* impl = impl_.get();
  asio::post(impl->ioc, [impl] { impl->CloseSocket(); });
}

}  // namespace locai::node::forward

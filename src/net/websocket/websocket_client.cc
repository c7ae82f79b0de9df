#include "net/websocket/websocket_client.h"

#include <sys/socket.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>

#include "net/http/url.h"
#include "net/tls/tls_context.h"

namespace locai::net {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace websocket = boost::beast::websocket;
using asio::ip::tcp;
using boost::system::error_code;

struct WebSocketClient::Impl {
  virtual ~Impl() = default;
  virtual Status Send(std::string_view text) = 0;
  virtual Result<std::string> Receive(std::chrono::milliseconds timeout) = 0;
  virtual void Close() = 0;
  int handshake_status = 0;
};

namespace {

// The "message" of an API error body ({"error":{"message":"..."}}), else the body itself.
std::string ErrorMessageOf(std::string_view body) {
  size_t key = body.find("\"message\"");
  if (key != std::string_view::npos) {
    size_t quote = body.find('"', body.find(':', key + 9) + 1);
    if (quote != std::string_view::npos) {
      std::string out;
      for (size_t i = quote + 1; i < body.size(); ++i) {
        char c = body[i];
        if (c == '"') return out;
        if (c == '\\' && i + 1 < body.size()) c = body[++i];
        out.push_back(c);
      }
    }
  }
  return std::string(body.substr(0, 300));
}

Status DeclinedStatus(const websocket::response_type& response) {
  int status = static_cast<int>(response.result_int());
  std::string message = ErrorMessageOf(response.body());
  if (status == 401) return Status::Unauthenticated(message);
  if (status == 403) return Status::PermissionDenied(message);
  return Status::Unavailable("WebSocket upgrade refused with HTTP " + std::to_string(status) +
                             (message.empty() ? "" : ": " + message));
}

struct WriteWaiter {
  bool done = false;  // guarded by the client's mu_
  Status status;
};

// One client connection over NextLayer (beast::tcp_stream or an ssl_stream over it). After the
// handshake the io thread runs every operation on ws_; the public methods post to it and wait on
// mu_ / cv_.
template <typename NextLayer>
class ClientSession final : public WebSocketClient::Impl {
 public:
  static constexpr bool kTls = !std::is_same_v<NextLayer, beast::tcp_stream>;

  ClientSession(const WebSocketClientOptions& options,
                std::unique_ptr<asio::ssl::context> tls_context)
      : options_(options), tls_context_(std::move(tls_context)) {
    if constexpr (kTls) {
      ws_.emplace(beast::tcp_stream(ioc_), *tls_context_);
    } else {
      ws_.emplace(beast::tcp_stream(ioc_));
    }
  }

  ~ClientSession() override {
    if (thread_.joinable()) {
      Close();
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait_for(lock, options_.handshake_timeout, [&] { return end_.has_value(); });
      }
      asio::post(ioc_, [this] { Cut(); });
      work_.reset();
      thread_.join();
    }
  }

  // On the caller's thread, before the io thread starts: TLS and WebSocket handshakes.
  Status Handshake(egress::ConnectedSocket socket, const Url& url, const HttpHeaders& headers) {
    sockaddr_storage local{};
    socklen_t length = sizeof(local);
    ::getsockname(socket.fd(), reinterpret_cast<sockaddr*>(&local), &length);
    error_code ec;
    beast::get_lowest_layer(*ws_).socket().assign(
        local.ss_family == AF_INET6 ? tcp::v6() : tcp::v4(), socket.fd(), ec);
    if (ec) return Status::Internal("cannot adopt socket: " + ec.message());
    socket.Release();

    if constexpr (kTls) {
      tls::ClientTrust trust = Trust();
      auto& tls_stream = ws_->next_layer();
      LOCAI_RETURN_IF_ERROR(
          tls::PrepareClientHandshake(tls_stream.native_handle(), url.host, trust));
      beast::get_lowest_layer(*ws_).expires_after(options_.handshake_timeout);
      error_code result = RunToCompletion([&](auto handler) {
        tls_stream.async_handshake(asio::ssl::stream_base::client, handler);
      });
      if (result == beast::error::timeout) {
        return Status::DeadlineExceeded("TLS handshake with " + url.Authority() + " timed out");
      }
      if (result) {
        return Status::Unavailable(
            "TLS handshake with " + url.Authority() + " failed: " +
            tls::DescribeHandshakeFailure(tls_stream.native_handle(), result.message()));
      }
      Status verified = tls::VerifyAfterHandshake(tls_stream.native_handle(), url.host, trust);
      if (!verified.ok()) {
        return Status::Unavailable("TLS server " + url.Authority() + ": " + verified.message());
      }
    }
    // From here the WebSocket's own timers apply, not the TCP stream's.
    beast::get_lowest_layer(*ws_).expires_never();
    websocket::stream_base::timeout timeout;
    timeout.handshake_timeout = options_.handshake_timeout;
    timeout.idle_timeout = options_.idle_timeout;
    timeout.keep_alive_pings = options_.keep_alive_pings;
    ws_->set_option(timeout);
    ws_->read_message_max(options_.max_message_bytes);
    ws_->set_option(websocket::stream_base::decorator(
        [headers, agent = options_.user_agent](websocket::request_type& request) {
          request.set(http::field::user_agent, agent);
          for (const auto& [name, value] : headers.entries()) request.set(name, value);
        }));
    websocket::response_type response;
    error_code result = RunToCompletion([&](auto handler) {
      ws_->async_handshake(response, url.Authority(), url.target, handler);
    });
    handshake_status = static_cast<int>(response.result_int());
    if (result == websocket::error::upgrade_declined ||
        (result && handshake_status != 0 && handshake_status != 101)) {
      return DeclinedStatus(response);
    }
    if (result == beast::error::timeout) {
      return Status::DeadlineExceeded("WebSocket handshake with " + url.Authority() + " timed out");
    }
    if (result) {
      return Status::Unavailable("WebSocket handshake with " + url.Authority() +
                                 " failed: " + result.message());
    }
    ws_->text(true);
    work_.emplace(ioc_.get_executor());
    DoRead();
    thread_ = std::thread([this] { ioc_.run(); });
    return Status::Ok();
  }

  Status Send(std::string_view text) override {
    auto waiter = std::make_shared<WriteWaiter>();
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (closed_by_user_) return Status::Cancelled("WebSocket closed by the client");
      if (end_) return *end_;
    }
    asio::post(ioc_,
               [this, t = std::string(text), waiter]() mutable { Enqueue(std::move(t), waiter); });
    std::unique_lock<std::mutex> lock(mu_);
    if (!cv_.wait_for(lock, options_.write_timeout, [&] { return waiter->done; })) {
      lock.unlock();
      asio::post(ioc_, [this] { Cut(); });
      return Status::DeadlineExceeded("WebSocket send timed out");
    }
    return waiter->status;
  }

  Result<std::string> Receive(std::chrono::milliseconds timeout) override {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, timeout, [&] { return !inbox_.empty() || end_ || closed_by_user_; });
    if (!inbox_.empty()) {
      std::string message = std::move(inbox_.front());
      inbox_.pop_front();
      if (read_paused_ && !end_) {
        read_paused_ = false;
        asio::post(ioc_, [this] { DoRead(); });
      }
      return message;
    }
    if (closed_by_user_) return Err(Status::Cancelled("WebSocket closed by the client"));
    if (end_) return Err(*end_);
    return Err(Status::DeadlineExceeded("no WebSocket message within " +
                                        std::to_string(timeout.count()) + " ms"));
  }

  void Close() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (closed_by_user_) return;
      closed_by_user_ = true;
    }
    cv_.notify_all();
    asio::post(ioc_, [this] { StartClose(); });
  }

 private:
  tls::ClientTrust Trust() const {
    tls::ClientTrust trust;
    trust.pinned_ca_sha256 = options_.pinned_ca_sha256;
    trust.ca_pem = options_.ca_pem;
    trust.ca_file = options_.ca_file;
    return trust;
  }

  // Runs one asynchronous operation on the caller's thread until it completes.
  template <typename Start>
  error_code RunToCompletion(Start&& start) {
    bool done = false;
    error_code result;
    start([&](error_code ec) {
      result = ec;
      done = true;
    });
    ioc_.restart();
    while (!done && ioc_.run_one() > 0) {
    }
    return result;
  }

  // Io thread from here on.
  void DoRead() {
    if (ended_) return;
    ws_->async_read(read_buffer_, [this](error_code ec, size_t) { OnRead(ec); });
  }

  void OnRead(error_code ec) {
    if (ec) {
      End(EndStatus(ec));
      return;
    }
    std::string message = beast::buffers_to_string(read_buffer_.data());
    read_buffer_.consume(read_buffer_.size());
    bool pause;
    {
      std::lock_guard<std::mutex> lock(mu_);
      inbox_.push_back(std::move(message));
      pause = inbox_.size() >= options_.max_inbox_messages;
      read_paused_ = pause;
    }
    cv_.notify_all();
    if (!pause) DoRead();
  }

  Status EndStatus(error_code ec) {
    if (ec == websocket::error::closed) {
      if (close_started_) return Status::Cancelled("WebSocket closed by the client");
      const websocket::close_reason& reason = ws_->reason();
      return Status::Unavailable(
          "WebSocket closed by the server with code " +
          std::to_string(static_cast<uint16_t>(reason.code)) +
          (reason.reason.empty() ? std::string()
                                 : ": " + std::string(reason.reason.data(), reason.reason.size())));
    }
    if (ec == beast::error::timeout) {
      return Status::Unavailable("WebSocket server did not answer within " +
                                 std::to_string(options_.idle_timeout.count()) + " ms");
    }
    if (ec == websocket::error::message_too_big || ec == websocket::error::buffer_overflow) {
      return Status::ResourceExhausted("WebSocket message over " +
                                       std::to_string(options_.max_message_bytes) + " bytes");
    }
    if (close_started_) return Status::Cancelled("WebSocket closed by the client");
    return Status::Unavailable("WebSocket connection lost: " + ec.message());
  }

  void End(Status status) {
    if (ended_) return;
    ended_ = true;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!end_) end_ = status;
      for (auto& pending : outbox_) {
        pending.second->done = true;
        pending.second->status = *end_;
      }
    }
    outbox_.clear();
    cv_.notify_all();
    // Cancels Beast's keep-alive timer, which a hard error leaves armed (see server_session.cc).
    ws_->set_option(websocket::stream_base::timeout{websocket::stream_base::none(),
                                                    websocket::stream_base::none(), false});
    error_code ignored;
    beast::get_lowest_layer(*ws_).socket().shutdown(tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(*ws_).socket().close(ignored);
  }

  void Enqueue(std::string text, std::shared_ptr<WriteWaiter> waiter) {
    if (ended_ || close_started_) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        waiter->done = true;
        waiter->status = end_ ? *end_ : Status::Cancelled("WebSocket closed by the client");
      }
      cv_.notify_all();
      return;
    }
    outbox_.emplace_back(std::move(text), std::move(waiter));
    if (!writing_) DoWrite();
  }

  void DoWrite() {
    writing_ = true;
    ws_->async_write(asio::buffer(outbox_.front().first),
                     [this](error_code ec, size_t) { OnWrite(ec); });
  }

  void OnWrite(error_code ec) {
    writing_ = false;
    if (ended_) return;
    if (ec) {
      End(EndStatus(ec));
      return;
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      outbox_.front().second->done = true;
    }
    cv_.notify_all();
    outbox_.pop_front();
    if (!outbox_.empty()) {
      DoWrite();
    } else if (close_started_) {
      DoClose();
    }
  }

  void StartClose() {
    if (ended_ || close_started_) return;
    close_started_ = true;
    if (!writing_) DoClose();
  }

  void DoClose() {
    ws_->async_close(websocket::close_code::normal, [this](error_code ec) {
      if (ec) {
        End(EndStatus(ec));
      } else if (read_paused_unlocked()) {
        End(Status::Cancelled("WebSocket closed by the client"));
      }
    });
  }

  bool read_paused_unlocked() {
    std::lock_guard<std::mutex> lock(mu_);
    return read_paused_;
  }

  void Cut() {
    if (ended_) return;
    End(Status::Unavailable("WebSocket connection cut"));
  }

  const WebSocketClientOptions options_;
  asio::io_context ioc_{1};  // outlives the stream
  std::unique_ptr<asio::ssl::context> tls_context_;
  std::optional<websocket::stream<NextLayer>> ws_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::thread thread_;
  beast::flat_buffer read_buffer_;

  // Io thread only.
  std::deque<std::pair<std::string, std::shared_ptr<WriteWaiter>>> outbox_;
  bool writing_ = false;
  bool close_started_ = false;
  bool ended_ = false;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> inbox_;  // guarded by mu_
  std::optional<Status> end_;      // guarded by mu_; set once the connection is over
  bool closed_by_user_ = false;    // guarded by mu_
  bool read_paused_ = false;       // guarded by mu_
};

}  // namespace

WebSocketClient::WebSocketClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
WebSocketClient::~WebSocketClient() = default;

Result<std::unique_ptr<WebSocketClient>> WebSocketClient::Connect(
    const std::string& url, const HttpHeaders& extra_headers, egress::Connector& connector,
    const WebSocketClientOptions& options) {
  bool secure;
  std::string http_url;
  if (url.rfind("ws://", 0) == 0) {
    secure = false;
    http_url = "http://" + url.substr(5);
  } else if (url.rfind("wss://", 0) == 0) {
    secure = true;
    http_url = "https://" + url.substr(6);
  } else {
    return Err(Status::InvalidArgument("not a ws:// or wss:// URL: " + url));
  }
  LOCAI_ASSIGN_OR_RETURN(Url parsed, ParseUrl(http_url));
  if (options.max_inbox_messages < 1) {
    return Err(Status::InvalidArgument("max_inbox_messages must be at least 1"));
  }
  std::unique_ptr<asio::ssl::context> tls_context;
  if (secure) {
    tls::ClientTrust trust;
    trust.pinned_ca_sha256 = options.pinned_ca_sha256;
    trust.ca_pem = options.ca_pem;
    trust.ca_file = options.ca_file;
    LOCAI_ASSIGN_OR_RETURN(tls_context, tls::MakeClientContext(trust));
  }
  LOCAI_ASSIGN_OR_RETURN(
      egress::ConnectedSocket socket,
      connector.Connect(parsed.host, parsed.port, options.purpose, options.connect_timeout));
  std::unique_ptr<Impl> impl;
  Status status;
  if (secure) {
    auto session = std::make_unique<ClientSession<beast::ssl_stream<beast::tcp_stream>>>(
        options, std::move(tls_context));
    status = session->Handshake(std::move(socket), parsed, extra_headers);
    impl = std::move(session);
  } else {
    auto session = std::make_unique<ClientSession<beast::tcp_stream>>(options, nullptr);
    status = session->Handshake(std::move(socket), parsed, extra_headers);
    impl = std::move(session);
  }
  if (!status.ok()) return Err(status);
  return std::unique_ptr<WebSocketClient>(new WebSocketClient(std::move(impl)));
}

Status WebSocketClient::Send(std::string_view text) { return impl_->Send(text); }

Result<std::string> WebSocketClient::Receive(std::chrono::milliseconds timeout) {
  return impl_->Receive(timeout);
}

void WebSocketClient::Close() { impl_->Close(); }

int WebSocketClient::handshake_status() const { return impl_->handshake_status; }

}  // namespace locai::net

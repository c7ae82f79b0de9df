#include "net/http/server_connection.h"

#include <boost/asio/write.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <cstring>
#include <exception>

#include "net/http/server_writer.h"
#include "net/http/wire_format.h"
#include "net/websocket/server_session.h"

namespace locai::net::internal {
namespace http = boost::beast::http;
using boost::system::error_code;

namespace {

// How much a closing connection reads while it waits for the client's EOF (see BeginClose in
// server_connection_write.cc), so that a client still sending a refused body gets to read the
// error instead of a reset. The cap must exceed the bodies clients really send (SDKs upload tens
// of MiB before they read a reply: at 8 MiB a 64 MiB upload was reset and lost its 413).
constexpr size_t kMaxDrainBytes = size_t{256} << 20;

}  // namespace

Connection::Connection(std::shared_ptr<ServerShared> shared,
                       std::shared_ptr<boost::asio::io_context> ioc, tcp::socket socket,
                       uint64_t id)
    : shared_(std::move(shared)),
      ioc_(std::move(ioc)),
      executor_(socket.get_executor()),
      read_timer_(executor_),
      write_timer_(executor_),
      id_(id),
      buffer_(shared_->options.max_header_bytes + 16 * 1024) {
  error_code ec;
  tcp::endpoint remote = socket.remote_endpoint(ec);
  remote_address_ = ec ? std::string("unknown") : FormatEndpoint(remote);
  socket.set_option(tcp::no_delay(true), ec);
  if (shared_->tls_context) {
    tls_ = std::make_unique<TlsStream>(std::move(socket), *shared_->tls_context);
  } else {
    plain_.emplace(std::move(socket));
  }
}

Connection::~Connection() { Unregister(); }

void Connection::Unregister() {
  if (!registered_) return;
  registered_ = false;
  shared_->Unregister(id_);
}

void Connection::Start() {
  boost::asio::post(executor_, [self = shared_from_this()] {
    if (!self->tls_) {
      self->ArmReadTimer(self->shared_->options.idle_timeout);
      self->ReadSome();
      return;
    }
    // Plain HTTP or garbage fails the handshake and the connection is dropped without an answer.
    self->handshaking_ = true;
    self->ArmReadTimer(self->shared_->options.header_timeout);
    self->tls_->async_handshake(boost::asio::ssl::stream_base::server,
                                [self](error_code ec) { self->OnHandshake(ec); });
  });
}

void Connection::OnHandshake(error_code ec) {
  handshaking_ = false;
  if (phase_ == Phase::kClosed) return;
  if (ec) {
    Abort("TLS handshake failed");
    return;
  }
  ArmReadTimer(shared_->options.idle_timeout);
  ReadSome();
}

void Connection::PostStopIfIdle() {
  Post([self = shared_from_this()] { self->StopIfIdle(); });
}

void Connection::PostAbort() {
  Post([self = shared_from_this()] { self->Abort("server stopped"); });
}

void Connection::StopIfIdle() {
  if (phase_ == Phase::kHandling) {
    keep_alive_ = false;  // close once the response is written
  } else if (phase_ != Phase::kClosed && phase_ != Phase::kClosing) {
    Abort("server stopping");
  }
}

void Connection::Abort(std::string_view /*reason*/) {
  if (phase_ == Phase::kClosed) return;
  phase_ = Phase::kClosed;
  error_code ec;
  read_timer_.cancel();
  write_timer_.cancel();
  if (plain_ || tls_) {
    lowest().shutdown(tcp::socket::shutdown_both, ec);
    lowest().close(ec);
  }
  // A write in flight still reads the front buffer until its handler runs (with an error, the
  // socket being closed), so only the buffers behind it may go now.
  if (writing_ && !write_queue_.empty()) {
    write_queue_.erase(write_queue_.begin() + 1, write_queue_.end());
  } else {
    write_queue_.clear();
  }
  queued_bytes_.store(0);
  MarkResponseClosed();
  Unregister();
}

void Connection::MarkResponseClosed() {
  if (!response_state_) return;
  std::vector<std::function<void()>> callbacks;
  {
    std::lock_guard<std::mutex> lock(response_state_->mu);
    if (!response_state_->complete) {
      response_state_->closed.store(true);
      callbacks.swap(response_state_->on_close);
    }
  }
  response_state_.reset();
  for (auto& callback : callbacks) {
    try {
      callback();
    } catch (const std::exception& e) {
      shared_->Log(std::string("OnClose callback threw: ") + e.what());
    } catch (...) {
      shared_->Log("OnClose callback threw");
    }
  }
}

void Connection::ArmReadTimer(std::chrono::milliseconds timeout) {
  read_timer_.expires_after(timeout);
  read_timer_.async_wait([self = shared_from_this()](error_code ec) {
    if (ec) return;  // cancelled or re-armed
    switch (self->phase_) {
      case Phase::kIdle:
      case Phase::kReadingHeader:
      case Phase::kReadingBody:
      case Phase::kClosing:
        self->Abort("read timeout");
        break;
      default:
        break;
    }
  });
}

void Connection::ReadSome() {
  if (read_some_pending_ || phase_ == Phase::kClosed) return;
  if (phase_ == Phase::kIdle && buffer_.size() > 0) {
    BeginHeader();  // a pipelined request is already buffered
    return;
  }
  read_some_pending_ = true;
  WithStream([&](auto& stream) {
    stream.async_read_some(
        boost::asio::buffer(read_some_buf_),
        [self = shared_from_this()](error_code ec, size_t n) { self->OnReadSome(ec, n); });
  });
}

void Connection::OnReadSome(error_code ec, size_t n) {
  read_some_pending_ = false;
  if (phase_ == Phase::kClosed) return;
  if (phase_ == Phase::kClosing) {
    drained_bytes_ += n;
    if (ec || drained_bytes_ > kMaxDrainBytes) {
      Abort("closed");
    } else {
      ReadSome();
    }
    return;
  }
  if (ec == boost::asio::error::operation_aborted && parse_after_cancel_) {
    parse_after_cancel_ = false;
    ReadSome();  // phase is Idle and the buffer holds the next request
    return;
  }
  if (ec) {
    // EOF or reset: in Handling this is the client going away mid-response.
    Abort("client disconnected");
    return;
  }
  size_t room = buffer_.max_size() - buffer_.size();
  if (n > room) {
    if (phase_ == Phase::kHandling) {
      Abort("client pipelined more than a request head during a response");
    } else {
      SendError(431, "request header fields too large", /*close=*/true);
    }
    return;
  }
  auto dest = buffer_.prepare(n);
  std::memcpy(dest.data(), read_some_buf_.data(), n);
  buffer_.commit(n);
  if (phase_ == Phase::kIdle) {
    BeginHeader();
  } else if (phase_ == Phase::kHandling) {
    ReadSome();  // keep watching for a disconnect
  }
}

void Connection::BeginHeader() {
  phase_ = Phase::kReadingHeader;
  parse_after_cancel_ = false;
  parser_.emplace();
  parser_->header_limit(static_cast<uint32_t>(shared_->options.max_header_bytes));
  parser_->body_limit(shared_->options.max_body_bytes);
  ArmReadTimer(shared_->options.header_timeout);
  WithStream([&](auto& stream) {
    http::async_read_header(
        stream, buffer_, *parser_,
        [self = shared_from_this()](error_code ec, size_t) { self->OnHeader(ec); });
  });
}

void Connection::OnHeader(error_code ec) {
  if (phase_ == Phase::kClosed) return;
  if (ec) {
    OnReadError(ec);
    return;
  }
  const auto& header = parser_->get();
  boost::optional<uint64_t> length = parser_->content_length();
  if (length && *length > shared_->options.max_body_bytes) {
    SendError(413,
              "request body exceeds " + std::to_string(shared_->options.max_body_bytes) + " bytes",
              /*close=*/true);
    return;
  }
  phase_ = Phase::kReadingBody;
  auto expect = header.find(http::field::expect);
  if (expect != header.end() &&
      EqualsIgnoreCase(std::string_view(expect->value().data(), expect->value().size()),
                       "100-continue")) {
    QueueWrite("HTTP/1.1 100 Continue\r\n\r\n");
  }
  if (parser_->is_done()) {
    OnBody({});
    return;
  }
  ArmReadTimer(shared_->options.body_timeout);
  WithStream([&](auto& stream) {
    http::async_read(stream, buffer_, *parser_,
                     [self = shared_from_this()](error_code ec2, size_t) { self->OnBody(ec2); });
  });
}

void Connection::OnBody(error_code ec) {
  if (phase_ == Phase::kClosed) return;
  if (ec) {
    OnReadError(ec);
    return;
  }
  read_timer_.cancel();
  Dispatch();
}

void Connection::OnReadError(error_code ec) {
  if (ec == http::error::header_limit || ec == http::error::buffer_overflow) {
    SendError(431, "request header fields too large", /*close=*/true);
  } else if (ec == http::error::body_limit) {
    SendError(413,
              "request body exceeds " + std::to_string(shared_->options.max_body_bytes) + " bytes",
              /*close=*/true);
  } else if (ec == http::error::end_of_stream || ec == boost::asio::error::eof ||
             ec == boost::asio::error::operation_aborted ||
             ec == boost::asio::error::connection_reset || ec == http::error::partial_message) {
    Abort("read ended");
  } else {
    SendError(400, "malformed HTTP request: " + ec.message(), /*close=*/true);
  }
}

void Connection::Dispatch() {
  read_timer_.cancel();
  phase_ = Phase::kHandling;
  ++seq_;
  response_started_ = false;
  response_queued_ = false;
  abort_after_flush_ = false;

  http::request<http::string_body> message = parser_->release();
  parser_.reset();
  HttpRequest request;
  request.method = std::string(message.method_string());
  request.target = std::string(message.target());
  request.version = message.version();
  for (const auto& field : message) {
    request.headers.Add(std::string(field.name_string()), std::string(field.value()));
  }
  request.body = std::move(message.body());
  request.remote_address = remote_address_;
  char id[40];
  std::snprintf(id, sizeof(id), "req_%s%08llx", shared_->request_id_prefix.c_str(),
                static_cast<unsigned long long>(shared_->next_request_id.fetch_add(1)));
  request.request_id = id;
  request_id_ = id;
  http10_ = message.version() < 11;
  keep_alive_ = message.keep_alive() && !shared_->stopping.load();
  head_request_ = request.method == "HEAD";

  if (!ParseTarget(request.target, &request.path, &request.query)) {
    SendError(400, "malformed request target", /*close=*/false);
    return;
  }
  std::string_view raw_path = std::string_view(request.target).substr(0, request.target.find('?'));
  Router::Match match = shared_->router.Find(request.method, raw_path);
  if (match.kind == Router::MatchKind::kNotFound) {
    SendError(404, "no route for " + request.method + " " + request.path, /*close=*/false);
    return;
  }
  if (match.kind == Router::MatchKind::kMethodNotAllowed) {
    HttpHeaders allow;
    std::string methods;
    for (const std::string& m : match.allowed_methods) {
      methods += methods.empty() ? m : ", " + m;
    }
    allow.Set("Allow", methods);
    SendError(405, "method " + request.method + " not allowed for " + request.path,
              /*close=*/false, &allow);
    return;
  }
  request.path_params = std::move(match.path_params);
  if (match.websocket != nullptr) {
    Upgrade(*match.websocket, request, std::move(message));
    return;
  }
  response_state_ = std::make_shared<ResponseState>();
  ReadSome();  // watch for a disconnect while the handler works
  auto writer = std::make_shared<WriterImpl>(shared_from_this(), response_state_, seq_);
  std::string failure;
  try {
    (*match.handler)(std::move(request), writer);
  } catch (const std::exception& e) {
    failure = e.what();
  } catch (...) {
    failure = "unknown exception";
  }
  if (!failure.empty()) {
    shared_->Log("handler threw (bug): " + failure);
    writer->MarkFailed(failure);
  }
}

void Connection::Upgrade(const WebSocketHandler& handler, const HttpRequest& request,
                         http::request<http::string_body> message) {
  if (!boost::beast::websocket::is_upgrade(message)) {
    HttpHeaders upgrade;
    upgrade.Set("Upgrade", "websocket");
    SendError(426, "this endpoint needs a WebSocket upgrade", /*close=*/true, &upgrade);
    return;
  }
  if (buffer_.size() > 0 || writing_) {
    SendError(400, "bytes sent after the upgrade request before its answer", /*close=*/true);
    return;
  }
  WebSocketUpgrade decision;
  std::string failure;
  try {
    decision = handler(request);
  } catch (const std::exception& e) {
    failure = e.what();
  } catch (...) {
    failure = "unknown exception";
  }
  if (!failure.empty()) {
    shared_->Log("WebSocket handler threw (bug): " + failure);
    SendError(500, "internal error while handling the request", /*close=*/true);
    return;
  }
  if (decision.refusal) {
    keep_alive_ = false;
    SendWhole(seq_, std::move(*decision.refusal));
    return;
  }
  // Hand the stream over; from here the connection only winds down.
  phase_ = Phase::kClosed;
  read_timer_.cancel();
  write_timer_.cancel();
  if (tls_) {
    StartWebSocketSession(shared_, ioc_, std::move(tls_), remote_address_, std::move(message),
                          std::move(decision.callbacks));
  } else {
    tcp::socket socket = std::move(*plain_);
    plain_.reset();
    StartWebSocketSession(shared_, ioc_, std::move(socket), remote_address_, std::move(message),
                          std::move(decision.callbacks));
  }
  Unregister();
}

}  // namespace locai::net::internal

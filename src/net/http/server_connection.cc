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

// How long a closing connection waits for the client's EOF, and how much it reads meanwhile, so
// that a client still sending a refused body gets to read the error instead of a reset. The byte
// cap must exceed the bodies clients really send (SDKs upload tens of MiB before they read a
// reply: at 8 MiB a 64 MiB upload was reset and lost its 413); the time cap bounds the cost.
constexpr std::chrono::milliseconds kLinger{2000};
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
  write_queue_.clear();
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

void Connection::SendError(int status, std::string_view message, bool close,
                           const HttpHeaders* extra) {
  if (phase_ == Phase::kClosed) return;
  read_timer_.cancel();
  if (phase_ != Phase::kHandling) {
    // The error ends reading: there is no request in flight, so fabricate one for the bookkeeping.
    phase_ = Phase::kHandling;
    ++seq_;
    response_state_.reset();
    request_id_.clear();
    abort_after_flush_ = false;
    http10_ = false;
    head_request_ = false;
    // The previous request's response flags must not block this one (a reused connection).
    response_started_ = false;
    response_queued_ = false;
  }
  if (close) keep_alive_ = false;
  RenderedError rendered = shared_->Render(status, message);
  HttpHeaders headers;
  if (extra != nullptr) headers = *extra;
  headers.Set("Content-Type", rendered.content_type);
  HttpResponse response;
  response.status = status;
  response.headers = std::move(headers);
  response.body = std::move(rendered.body);
  if (response_state_) {
    std::lock_guard<std::mutex> lock(response_state_->mu);
    response_state_->complete = true;
  }
  SendWhole(seq_, std::move(response));
}

void Connection::SendWhole(uint64_t seq, HttpResponse response) {
  if (seq != seq_ || phase_ != Phase::kHandling || response_started_) return;
  response_started_ = true;
  response_queued_ = true;
  ResponseHead head;
  head.status = response.status;
  head.headers = &response.headers;
  head.framing = BodyFraming::kContentLength;
  head.content_length = response.body.size();
  head.close = !keep_alive_;
  head.keep_alive_10 = http10_ && keep_alive_;
  head.server_name = shared_->options.server_name;
  head.request_id = request_id_;
  std::string bytes = SerializeResponseHead(head);
  if (!head_request_) bytes += response.body;
  QueueWrite(std::move(bytes));
}

void Connection::SendStreamHead(uint64_t seq, int status, HttpHeaders headers) {
  if (seq != seq_ || phase_ != Phase::kHandling || response_started_) return;
  response_started_ = true;
  ResponseHead head;
  head.status = status;
  head.headers = &headers;
  if (http10_) {
    keep_alive_ = false;
    head.framing = BodyFraming::kUntilClose;
  } else {
    head.framing = BodyFraming::kChunked;
  }
  head.close = !keep_alive_;
  head.server_name = shared_->options.server_name;
  head.request_id = request_id_;
  QueueWrite(SerializeResponseHead(head));
}

void Connection::SendChunk(uint64_t seq, std::string data) {
  if (seq != seq_ || phase_ != Phase::kHandling || !response_started_ || response_queued_) return;
  if (head_request_) return;
  QueueWrite(http10_ ? std::move(data) : EncodeChunk(data));
}

void Connection::SendStreamEnd(uint64_t seq) {
  if (seq != seq_ || phase_ != Phase::kHandling || !response_started_ || response_queued_) return;
  response_queued_ = true;
  if (http10_ || head_request_) {
    if (!writing_) FinishResponse();
    return;
  }
  QueueWrite(std::string(LastChunk()));
}

void Connection::WriterDropped(uint64_t seq, bool started, bool /*complete*/) {
  if (seq != seq_ || phase_ != Phase::kHandling || response_queued_) return;
  if (!started && !response_started_) {
    shared_->Log("handler dropped its writer without answering (bug)");
    SendError(500, "the handler did not produce a response", /*close=*/false);
  } else {
    CloseAfterFlush("stream left unfinished");
  }
}

void Connection::HandlerFailed(uint64_t seq, std::string_view what) {
  if (seq != seq_ || phase_ != Phase::kHandling || response_queued_) return;
  if (!response_started_) {
    SendError(500, "internal error while handling the request", /*close=*/false);
  } else {
    CloseAfterFlush(what);
  }
}

void Connection::CloseAfterFlush(std::string_view reason) {
  // Deliver what the handler wrote, but no terminating chunk: the client must see a truncated
  // body, not a complete short one.
  response_queued_ = true;
  abort_after_flush_ = true;
  if (!writing_) Abort(reason);
}

void Connection::QueueWrite(std::string bytes) {
  if (phase_ == Phase::kClosed || bytes.empty()) return;
  size_t total = queued_bytes_.fetch_add(bytes.size()) + bytes.size();
  if (total > shared_->options.max_write_queue_bytes) {
    shared_->Log("client " + remote_address_ + " too slow: write queue over " +
                 std::to_string(shared_->options.max_write_queue_bytes) + " bytes, closing");
    Abort("slow consumer");
    return;
  }
  write_queue_.push_back(std::move(bytes));
  if (!writing_) DoWrite();
}

void Connection::DoWrite() {
  writing_ = true;
  write_timer_.expires_after(shared_->options.write_timeout);
  write_timer_.async_wait([self = shared_from_this()](error_code ec) {
    if (!ec && self->writing_) self->Abort("write timeout");
  });
  WithStream([&](auto& stream) {
    boost::asio::async_write(
        stream, boost::asio::buffer(write_queue_.front()),
        [self = shared_from_this()](error_code ec, size_t n) { self->OnWrite(ec, n); });
  });
}

void Connection::OnWrite(error_code ec, size_t n) {
  if (phase_ == Phase::kClosed) return;
  if (ec) {
    Abort("write failed");
    return;
  }
  queued_bytes_.fetch_sub(n);
  write_queue_.pop_front();
  if (!write_queue_.empty()) {
    DoWrite();
    return;
  }
  writing_ = false;
  write_timer_.cancel();
  if (abort_after_flush_) {
    Abort("stream left unfinished");
    return;
  }
  if (response_queued_ && phase_ == Phase::kHandling) FinishResponse();
}

void Connection::FinishResponse() {
  if (response_state_) {
    std::lock_guard<std::mutex> lock(response_state_->mu);
    response_state_->on_close.clear();
  }
  response_state_.reset();
  if (!keep_alive_ || shared_->stopping.load()) {
    BeginClose();
    return;
  }
  phase_ = Phase::kIdle;
  ArmReadTimer(shared_->options.idle_timeout);
  if (!read_some_pending_) {
    ReadSome();
  } else if (buffer_.size() > 0) {
    // The next request arrived during the response: stop the watch read, then parse it.
    parse_after_cancel_ = true;
    error_code ec;
    lowest().cancel(ec);
  }
  // else: the watch read stays posted; its bytes start the next request.
}

void Connection::BeginClose() {
  phase_ = Phase::kClosing;
  error_code ec;
  // Over TLS this skips close_notify: the response is framed, so the client has all of it.
  lowest().shutdown(tcp::socket::shutdown_send, ec);
  ArmReadTimer(kLinger);
  drained_bytes_ = 0;
  buffer_.consume(buffer_.size());
  ReadSome();
}

}  // namespace locai::net::internal

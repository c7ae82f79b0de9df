// The writing half of Connection: queuing responses (whole, or a stream head, chunks and its end),
// writing them in order under write_timeout, and what follows a response (keep-alive or close).
#include <boost/asio/write.hpp>
#include <mutex>

#include "net/http/server_connection.h"
#include "net/http/wire_format.h"

namespace locai::net::internal {
namespace {

// How long a closing connection waits for the client's EOF (the time cap on the drain that lets a
// client still sending a refused body read the error; the byte cap is in server_connection.cc).
constexpr std::chrono::milliseconds kLinger{2000};

}  // namespace

using boost::system::error_code;

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
  posted_bytes_.fetch_sub(data.size(), std::memory_order_relaxed);
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

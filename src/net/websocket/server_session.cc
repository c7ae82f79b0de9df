#include "net/websocket/server_session.h"

#include <algorithm>
#include <atomic>
#include <boost/asio/post.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <deque>
#include <exception>
#include <utility>

namespace locai::net::internal {
namespace {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace websocket = boost::beast::websocket;
using boost::system::error_code;

template <typename NextLayer>
class ServerSession final : public WebSocketSession,
                            public ServerEndpoint,
                            public std::enable_shared_from_this<ServerSession<NextLayer>> {
 public:
  ServerSession(std::shared_ptr<ServerShared> shared, std::shared_ptr<asio::io_context> ioc,
                NextLayer&& stream, std::string remote_address, uint64_t id,
                WebSocketCallbacks callbacks)
      : shared_(std::move(shared)),
        ioc_(std::move(ioc)),
        ws_(std::move(stream)),
        remote_address_(std::move(remote_address)),
        id_(id),
        callbacks_(std::move(callbacks)) {
    const WebSocketServerOptions& options = shared_->options.websocket;
    websocket::stream_base::timeout timeout;
    timeout.handshake_timeout = options.handshake_timeout;
    timeout.idle_timeout = options.idle_timeout;
    timeout.keep_alive_pings = options.keep_alive_pings;
    ws_.set_option(timeout);
    ws_.set_option(websocket::stream_base::decorator(
        [name = shared_->options.server_name](websocket::response_type& response) {
          response.set(http::field::server, name);
        }));
    ws_.read_message_max(options.max_message_bytes);
    ws_.auto_fragment(false);
  }

  ~ServerSession() override { shared_->Unregister(id_); }

  // On the strand: answers the handshake.
  void Run(UpgradeRequest request) {
    ws_.async_accept(request,
                     [self = this->shared_from_this()](error_code ec) { self->OnAccept(ec); });
  }

  bool Send(std::string text) override {
    if (closed_.load()) return false;
    size_t size = text.size();
    size_t total = queued_bytes_.fetch_add(size) + size;
    if (total > shared_->options.websocket.max_send_queue_bytes) {
      queued_bytes_.fetch_sub(size);
      closed_.store(true);
      Post([self = this->shared_from_this()] {
        self->Cut(Status::ResourceExhausted(
            "WebSocket send queue over " +
            std::to_string(self->shared_->options.websocket.max_send_queue_bytes) + " bytes"));
      });
      return false;
    }
    Post([self = this->shared_from_this(), t = std::move(text)]() mutable {
      self->Enqueue(std::move(t));
    });
    return true;
  }

  void Close(uint16_t code, std::string reason) override {
    closed_.store(true);
    Post([self = this->shared_from_this(), code, r = std::move(reason)]() mutable {
      self->StartClose(code, std::move(r));
    });
  }

  bool closed() const override { return closed_.load(); }
  const std::string& remote_address() const override { return remote_address_; }
  size_t queued_bytes() const override { return queued_bytes_.load(); }

  void PostStopIfIdle() override {
    closed_.store(true);
    Post([self = this->shared_from_this()] {
      self->stopping_ = true;
      self->StartClose(static_cast<uint16_t>(websocket::close_code::going_away), "server stopping");
    });
  }

  void PostAbort() override {
    closed_.store(true);
    Post([self = this->shared_from_this()] {
      self->Cut(Status::Cancelled("WebSocket session cut: server stopped"));
    });
  }

 private:
  template <typename Fn>
  void Post(Fn&& fn) {
    std::lock_guard<std::mutex> lock(shared_->post_mu);
    if (!shared_->accepting_posts) return;
    asio::post(ws_.get_executor(), std::forward<Fn>(fn));
  }

  void OnAccept(error_code ec) {
    if (finished_) return;
    if (ec) {
      Finish(Status::Unavailable("WebSocket handshake failed: " + ec.message()));
      return;
    }
    opened_ = true;
    if (callbacks_.on_open) {
      try {
        callbacks_.on_open(this->shared_from_this());
      } catch (const std::exception& e) {
        shared_->Log(std::string("WebSocket on_open threw (bug): ") + e.what());
      }
    }
    if (!finished_) DoRead();
  }

  void DoRead() {
    ws_.async_read(read_buffer_,
                   [self = this->shared_from_this()](error_code ec, size_t) { self->OnRead(ec); });
  }

  void OnRead(error_code ec) {
    if (finished_) return;
    if (ec) {
      Finish(EndStatus(ec));
      return;
    }
    std::string message = beast::buffers_to_string(read_buffer_.data());
    read_buffer_.consume(read_buffer_.size());
    if (callbacks_.on_message) {
      try {
        callbacks_.on_message(*this, std::move(message));
      } catch (const std::exception& e) {
        shared_->Log(std::string("WebSocket on_message threw (bug): ") + e.what());
      }
    }
    if (!finished_) DoRead();
  }

  Status EndStatus(error_code ec) {
    // Our own Close(): the pending read ends with `closed` or is aborted by the closing handshake.
    if (close_sent_ && !stopping_ &&
        (ec == websocket::error::closed || ec == asio::error::operation_aborted)) {
      return Status::Ok();
    }
    if (ec == websocket::error::closed) {
      if (stopping_) return Status::Cancelled("WebSocket session closed: server stopping");
      const websocket::close_reason& reason = ws_.reason();
      uint16_t code = static_cast<uint16_t>(reason.code);
      if (close_sent_ || code == websocket::close_code::normal ||
          code == websocket::close_code::going_away) {
        return Status::Ok();
      }
      return Status::Unavailable(
          "WebSocket closed by the peer with code " + std::to_string(code) +
          (reason.reason.empty() ? ""
                                 : ": " + std::string(reason.reason.data(), reason.reason.size())));
    }
    if (ec == websocket::error::message_too_big || ec == websocket::error::buffer_overflow) {
      return Status::ResourceExhausted(
          "WebSocket message over " + std::to_string(shared_->options.websocket.max_message_bytes) +
          " bytes");
    }
    if (ec == beast::error::timeout) {
      return Status::Unavailable("WebSocket peer " + remote_address_ + " timed out");
    }
    if (stopping_) return Status::Cancelled("WebSocket session closed: server stopping");
    return Status::Unavailable("WebSocket connection lost: " + ec.message());
  }

  void Enqueue(std::string text) {
    if (finished_ || close_requested_) {
      queued_bytes_.fetch_sub(text.size());
      return;
    }
    queue_.push_back(std::move(text));
    if (!writing_) DoWrite();
  }

  void DoWrite() {
    writing_ = true;
    ws_.text(true);
    ws_.async_write(
        asio::buffer(queue_.front()),
        [self = this->shared_from_this()](error_code ec, size_t) { self->OnWrite(ec); });
  }

  void OnWrite(error_code ec) {
    writing_ = false;
    if (finished_) return;
    if (ec) {
      Cut(EndStatus(ec));
      return;
    }
    queued_bytes_.fetch_sub(queue_.front().size());
    queue_.pop_front();
    if (!queue_.empty()) {
      DoWrite();
    } else if (close_requested_ && !close_sent_) {
      DoClose();
    }
  }

  void StartClose(uint16_t code, std::string reason) {
    if (finished_ || close_requested_) return;
    close_requested_ = true;
    // A close frame's payload holds at most 123 bytes of reason.
    close_reason_ = websocket::close_reason(
        static_cast<websocket::close_code>(code),
        beast::string_view(reason.data(), std::min<size_t>(reason.size(), 123)));
    if (!opened_) {
      Cut(Status::Cancelled("WebSocket session closed before its handshake finished"));
      return;
    }
    if (!writing_) DoClose();
  }

  void DoClose() {
    close_sent_ = true;
    ws_.async_close(close_reason_, [self = this->shared_from_this()](error_code ec) {
      // A clean close ends the pending read with error::closed; a failed one cuts the session.
      if (ec && !self->finished_) self->Cut(self->EndStatus(ec));
    });
  }

  void Cut(Status status) {
    if (finished_) return;
    error_code ignored;
    beast::get_lowest_layer(ws_).shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(ws_).close(ignored);
    Finish(std::move(status));
  }

  void Finish(Status status) {
    if (finished_) return;
    finished_ = true;
    closed_.store(true);
    queue_.clear();
    queued_bytes_.store(0);
    // After a hard error Beast 1.74 leaves its keep-alive timer armed (up to idle_timeout / 2),
    // which would hold the io threads in Stop(); turning the timeouts off cancels it.
    ws_.set_option(websocket::stream_base::timeout{websocket::stream_base::none(),
                                                   websocket::stream_base::none(), false});
    if (opened_ && callbacks_.on_close) {
      try {
        callbacks_.on_close(*this, status);
      } catch (const std::exception& e) {
        shared_->Log(std::string("WebSocket on_close threw (bug): ") + e.what());
      }
    }
    callbacks_ = WebSocketCallbacks();  // drop what the handler captured (it may hold us)
    shared_->Unregister(id_);
  }

  // Member order: the io_context must outlive the stream.
  std::shared_ptr<ServerShared> shared_;
  std::shared_ptr<asio::io_context> ioc_;
  websocket::stream<NextLayer> ws_;
  const std::string remote_address_;
  const uint64_t id_;
  WebSocketCallbacks callbacks_;
  beast::flat_buffer read_buffer_;

  // Strand state.
  std::deque<std::string> queue_;
  bool writing_ = false;
  bool opened_ = false;
  bool close_requested_ = false;
  bool close_sent_ = false;
  bool stopping_ = false;
  bool finished_ = false;
  websocket::close_reason close_reason_;

  std::atomic<bool> closed_{false};
  std::atomic<size_t> queued_bytes_{0};
};

template <typename NextLayer>
void Start(std::shared_ptr<ServerShared> shared, std::shared_ptr<asio::io_context> ioc,
           NextLayer&& stream, std::string remote_address, UpgradeRequest request,
           WebSocketCallbacks callbacks) {
  uint64_t id = shared->next_endpoint_id.fetch_add(1);
  auto session = std::make_shared<ServerSession<NextLayer>>(
      shared, std::move(ioc), std::move(stream), remote_address, id, std::move(callbacks));
  shared->Register(id, session);
  session->Run(std::move(request));
}

}  // namespace

void StartWebSocketSession(std::shared_ptr<ServerShared> shared,
                           std::shared_ptr<asio::io_context> ioc, asio::ip::tcp::socket stream,
                           std::string remote_address, UpgradeRequest request,
                           WebSocketCallbacks callbacks) {
  Start(std::move(shared), std::move(ioc), std::move(stream), std::move(remote_address),
        std::move(request), std::move(callbacks));
}

void StartWebSocketSession(std::shared_ptr<ServerShared> shared,
                           std::shared_ptr<asio::io_context> ioc,
                           std::unique_ptr<beast::ssl_stream<asio::ip::tcp::socket>> stream,
                           std::string remote_address, UpgradeRequest request,
                           WebSocketCallbacks callbacks) {
  Start(std::move(shared), std::move(ioc), std::move(*stream), std::move(remote_address),
        std::move(request), std::move(callbacks));
}

}  // namespace locai::net::internal

// Internal to the HTTP server: one server-side connection's state machine. Not part of the public
// API (includes Boost).
//
// A connection's life: [Handshake (TLS only, header timeout)] -> Idle (waiting for the first byte,
// idle timeout) -> ReadingHeader (header timeout) -> ReadingBody (body timeout) -> Handling (the
// handler answers through a writer; a read stays posted so that a client that disconnects is
// noticed at once) -> back to Idle when the response is written and the connection is kept alive,
// else Closing (half-close, drain briefly so the client can read the last response) -> Closed. A
// request for a WebSocket route that the handler accepts hands the stream to a WebSocket session
// (websocket/server_session.h) and the connection ends without closing it.
//
// The stream is plain TCP or TLS over TCP; WithStream() runs the same code on either, so the state
// machine exists once. Reading and dispatch are in server_connection.cc, the write side in
// server_connection_write.cc.
// Thread-safety: every member function except the constructor runs on the connection's strand;
// writers reach it through Post().
#pragma once

#include <array>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "net/http/http_server.h"
#include "net/http/server_shared.h"

namespace locai::net::internal {

// The writer-side view of one response, shared between the writer and its connection.
struct ResponseState {
  std::mutex mu;
  std::atomic<bool> closed{false};              // connection gone before the response was complete
  bool complete = false;                        // Send() or End() was called (guarded by mu)
  std::vector<std::function<void()>> on_close;  // guarded by mu
};

class Connection final : public ServerEndpoint, public std::enable_shared_from_this<Connection> {
 public:
  using tcp = boost::asio::ip::tcp;
  using TlsStream = boost::beast::ssl_stream<tcp::socket>;

  Connection(std::shared_ptr<ServerShared> shared, std::shared_ptr<boost::asio::io_context> ioc,
             tcp::socket socket, uint64_t id);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void Start();  // posts the TLS handshake or the first read
  void PostStopIfIdle() override;
  void PostAbort() override;
  void StopIfIdle();                    // server stopping: close unless a request is in flight
  void Abort(std::string_view reason);  // close now; a pending response sees closed()

  // Runs `fn` on the strand, unless the server no longer runs its io threads (then drops it).
  template <typename Fn>
  void Post(Fn&& fn) {
    std::lock_guard<std::mutex> lock(shared_->post_mu);
    if (!shared_->accepting_posts) return;
    boost::asio::post(executor_, std::forward<Fn>(fn));
  }

  // Called on the strand by the writer of response `seq`; stale or closed ones are ignored.
  void SendWhole(uint64_t seq, HttpResponse response);
  void SendStreamHead(uint64_t seq, int status, HttpHeaders headers);
  void SendChunk(uint64_t seq, std::string data);
  void SendStreamEnd(uint64_t seq);
  // The writer of `seq` was dropped: 500 if nothing was sent, abort if a stream was left open.
  void WriterDropped(uint64_t seq, bool started, bool complete);
  // A handler threw: 500 if nothing was sent yet, else abort.
  void HandlerFailed(uint64_t seq, std::string_view what);

  // Bytes queued for the socket plus chunks a writer has posted that the strand has not taken yet,
  // so that a producer pacing itself on it sees what is in flight.
  size_t queued_bytes() const {
    return queued_bytes_.load(std::memory_order_relaxed) +
           posted_bytes_.load(std::memory_order_relaxed);
  }
  // Called by the writer before it posts a chunk of `n` bytes (SendChunk takes them off again).
  void AddPostedBytes(size_t n) { posted_bytes_.fetch_add(n, std::memory_order_relaxed); }

 private:
  enum class Phase { kIdle, kReadingHeader, kReadingBody, kHandling, kClosing, kClosed };
  using Parser = boost::beast::http::request_parser<boost::beast::http::string_body>;

  // Runs fn(stream) on the TLS stream or the plain socket.
  template <typename Fn>
  void WithStream(Fn&& fn) {
    if (tls_) {
      fn(*tls_);
    } else {
      fn(*plain_);
    }
  }
  tcp::socket& lowest() { return tls_ ? tls_->next_layer() : *plain_; }

  void OnHandshake(boost::system::error_code ec);
  void ReadSome();
  void OnReadSome(boost::system::error_code ec, size_t n);
  void BeginHeader();
  void OnHeader(boost::system::error_code ec);
  void OnBody(boost::system::error_code ec);
  void OnReadError(boost::system::error_code ec);
  void Dispatch();
  // A request for a WebSocket route: refuse with an HTTP response or hand the stream over.
  void Upgrade(const WebSocketHandler& handler, const HttpRequest& request,
               boost::beast::http::request<boost::beast::http::string_body> message);
  void SendError(int status, std::string_view message, bool close,
                 const HttpHeaders* extra = nullptr);
  void QueueWrite(std::string bytes);
  void DoWrite();
  void OnWrite(boost::system::error_code ec, size_t n);
  void FinishResponse();
  void CloseAfterFlush(std::string_view reason);
  void BeginClose();  // half-close, then drain until EOF or linger timeout
  void ArmReadTimer(std::chrono::milliseconds timeout);
  void MarkResponseClosed();
  void Unregister();

  // Member order: the io_context must outlive the stream and timers.
  std::shared_ptr<ServerShared> shared_;
  std::shared_ptr<boost::asio::io_context> ioc_;
  boost::asio::any_io_executor executor_;  // the connection's strand
  std::optional<tcp::socket> plain_;       // exactly one of plain_ and tls_ is set
  std::unique_ptr<TlsStream> tls_;         // until a WebSocket session takes it over
  boost::asio::steady_timer read_timer_;
  boost::asio::steady_timer write_timer_;
  const uint64_t id_;
  std::string remote_address_;
  bool registered_ = true;

  Phase phase_ = Phase::kIdle;
  bool handshaking_ = false;  // TLS handshake in progress (phase_ is kIdle)
  boost::beast::flat_buffer buffer_;
  std::optional<Parser> parser_;
  std::array<char, 4096> read_some_buf_{};
  bool read_some_pending_ = false;
  bool parse_after_cancel_ = false;  // a buffered request waits for the watch read to end
  size_t drained_bytes_ = 0;

  // The response in flight.
  uint64_t seq_ = 0;  // incremented per request
  std::shared_ptr<ResponseState> response_state_;
  bool keep_alive_ = true;
  bool http10_ = false;
  bool head_request_ = false;
  bool response_started_ = false;
  bool response_queued_ = false;    // the whole response is in the write queue
  bool abort_after_flush_ = false;  // an unfinished stream: write what is queued, then cut
  std::string request_id_;

  std::deque<std::string> write_queue_;
  bool writing_ = false;
  std::atomic<size_t> queued_bytes_{0};
  std::atomic<size_t> posted_bytes_{0};  // posted by a writer, not yet taken by SendChunk
};

}  // namespace locai::net::internal

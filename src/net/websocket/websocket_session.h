// WebSocket on the server side: how a route accepts or refuses an upgrade, and the session a
// handler gets once the handshake is done. No Boost here; the implementation lives in
// websocket/server_session.{h,cc}.
//
// A WebSocket route (Router::AddWebSocket) runs its WebSocketHandler on an io thread with the
// upgrade request (GET with "Upgrade: websocket"). The handler either refuses with an ordinary
// HTTP response (e.g. 401 in the API's JSON error format; the connection is then closed) or
// accepts with callbacks. After the handshake the callbacks run on the session's io strand, one at
// a time and in order: on_open once, on_message per complete text or binary message, on_close
// exactly once at the end (also when the session was never opened because the handshake failed,
// it is then not called at all).
//
// on_close's Status says how the session ended: OK for a normal close (code 1000 or 1001 from the
// peer, or Close() here), ResourceExhausted for a message over max_message_bytes (the peer gets
// close code 1009) or an overflowing send queue, Unavailable when the peer vanished (no pong or
// data within idle_timeout), reset the connection or closed with an error code (the message holds
// code and reason), Cancelled when the server stopped.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/status.h"
#include "net/http/http_message.h"

namespace locai::net {

struct WebSocketServerOptions {
  size_t max_message_bytes = 1 << 20;     // a larger incoming message closes with 1009
  size_t max_send_queue_bytes = 8 << 20;  // queued outgoing bytes; overflow closes the session
  std::chrono::milliseconds handshake_timeout{10'000};  // opening and closing handshakes
  // With keep_alive_pings a ping goes out after idle_timeout / 2 without incoming data; a peer
  // that sends nothing (not even the pong) for idle_timeout is considered gone.
  std::chrono::milliseconds idle_timeout{30'000};
  bool keep_alive_pings = true;
};

// One accepted WebSocket connection.
// Thread-safety: every method may be called from any thread.
class WebSocketSession {
 public:
  virtual ~WebSocketSession() = default;

  // Queues one text message. Never blocks. Returns false (dropping the message) when the session
  // is closed or closing; when the queue would exceed max_send_queue_bytes the session is cut
  // (on_close gets ResourceExhausted) and false is returned.
  virtual bool Send(std::string text) = 0;
  // Starts the closing handshake with `code` and `reason` after the messages already queued.
  // Idempotent; on_close follows (OK) once the peer answers or the handshake times out.
  virtual void Close(uint16_t code = 1000, std::string reason = "") = 0;
  // True once Close() was called or the connection ended.
  virtual bool closed() const = 0;
  // "127.0.0.1:54321" (IPv6 in brackets).
  virtual const std::string& remote_address() const = 0;
  // Outgoing bytes queued but not yet written.
  virtual size_t queued_bytes() const = 0;
};

struct WebSocketCallbacks {
  // After the handshake; the handler may keep the session to Send() from other threads.
  std::function<void(std::shared_ptr<WebSocketSession> session)> on_open;
  std::function<void(WebSocketSession& session, std::string message)> on_message;
  std::function<void(WebSocketSession& session, const Status& status)> on_close;
};

// What a WebSocketHandler decides about an upgrade request.
struct WebSocketUpgrade {
  std::optional<HttpResponse> refusal;  // set: sent instead of upgrading
  WebSocketCallbacks callbacks;         // used when accepted

  static WebSocketUpgrade Accept(WebSocketCallbacks callbacks) {
    WebSocketUpgrade upgrade;
    upgrade.callbacks = std::move(callbacks);
    return upgrade;
  }
  static WebSocketUpgrade Refuse(HttpResponse response) {
    WebSocketUpgrade upgrade;
    upgrade.refusal = std::move(response);
    return upgrade;
  }
};

// Runs on an io thread with the upgrade request; must not block. An exception becomes a 500.
using WebSocketHandler = std::function<WebSocketUpgrade(const HttpRequest& request)>;

}  // namespace locai::net

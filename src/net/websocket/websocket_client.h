// WebSocketClient: a blocking WebSocket client (ws:// and wss://) for the node's fleet link.
//
// Connect() opens the TCP connection only through the egress Connector (checked and logged),
// does the TLS handshake for wss:// (verification as HttpClient: pinned_ca_sha256, ca_pem, or the
// CA file / system CAs, host name / IP checked) and the WebSocket handshake, then returns a client
// whose background thread reads incoming messages into a bounded inbox. Send() writes one text
// message and waits until it is written; Receive() waits for the next message. Keep-alive pings
// go out after idle_timeout / 2 of silence, and a server that answers nothing within idle_timeout
// ends the connection (Receive() then reports Unavailable).
//
// Errors of Connect(): InvalidArgument (bad URL or option), PermissionDenied (egress), NotFound
// (DNS), Unavailable (connect, TLS or verification failure, or a refused upgrade other than 401 /
// 403: the message holds the status and body), Unauthenticated (the server answered 401; the
// message is the body's error message), PermissionDenied (403), DeadlineExceeded (a timeout).
// Thread-safety: Send() and Close() from any thread; Receive() from one reader thread at a time.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"
#include "net/egress/connector.h"
#include "net/http/http_message.h"

namespace locai::net {

struct WebSocketClientOptions {
  std::chrono::milliseconds connect_timeout{10'000};    // TCP connect
  std::chrono::milliseconds handshake_timeout{10'000};  // TLS + WebSocket handshakes, close
  std::chrono::milliseconds write_timeout{10'000};      // one Send()
  std::chrono::milliseconds idle_timeout{30'000};       // see above; pings when keep_alive_pings
  bool keep_alive_pings = true;
  size_t max_message_bytes = 1 << 20;  // a larger incoming message ends the connection
  size_t max_inbox_messages = 256;     // reading pauses while this many wait for Receive()
  std::string pinned_ca_sha256;        // wss: hex SHA-256 of the CA certificate (DER)
  std::string ca_pem;                  // wss: PEM CA certificates to trust
  std::string ca_file;                 // wss: PEM CA bundle file; empty: the system's CAs
  std::string purpose = "websocket";   // egress log purpose
  std::string user_agent = "locai";
};

class WebSocketClient {
 public:
  // See the errors above. `extra_headers` go into the upgrade request (e.g. a signature).
  static Result<std::unique_ptr<WebSocketClient>> Connect(const std::string& url,
                                                          const HttpHeaders& extra_headers,
                                                          egress::Connector& connector,
                                                          const WebSocketClientOptions& options);
  // Closes (see Close()) and waits up to handshake_timeout for the closing handshake.
  ~WebSocketClient();
  WebSocketClient(const WebSocketClient&) = delete;
  WebSocketClient& operator=(const WebSocketClient&) = delete;

  // Sends one text message and waits until it is written. Unavailable once the connection is
  // closed (with the close reason), Cancelled after Close(), DeadlineExceeded after write_timeout
  // (the connection is then cut).
  Status Send(std::string_view text);
  // The next message. DeadlineExceeded when none arrives within `timeout`; once the connection is
  // over and every received message was returned: Cancelled after Close(), Unavailable when the
  // server closed it ("closed by the server with code 1000: reason") or it was lost.
  Result<std::string> Receive(std::chrono::milliseconds timeout);
  // Starts the closing handshake (code 1000) and unblocks Receive(). Idempotent.
  void Close();

  // The HTTP status of the handshake response (101).
  int handshake_status() const;

  struct Impl;

 private:
  explicit WebSocketClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace locai::net

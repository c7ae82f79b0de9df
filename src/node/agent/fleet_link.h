// FleetLink: one open fleet-link connection as the FleetAgent uses it, so that the agent's loop
// runs over a real WebSocket (WebSocketFleetLink) or a fake in tests.
// Thread-safety: Send() and Close() from any thread; Receive() from one thread.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"
#include "net/egress/connector.h"
#include "node/agent/credential.h"

namespace locai::node::agent {

class FleetLink {
 public:
  virtual ~FleetLink() = default;
  // Sends one text frame. An error means the connection is unusable.
  virtual Status Send(std::string_view text) = 0;
  // The next frame. DeadlineExceeded when none arrives within `timeout`; any other error means
  // the connection is over.
  virtual Result<std::string> Receive(std::chrono::milliseconds timeout) = 0;
  // Closes the connection and unblocks Receive(). Idempotent.
  virtual void Close() = 0;
};

// Opens a new connection (called again for every reconnect).
using FleetLinkFactory = std::function<Result<std::unique_ptr<FleetLink>>()>;

// "https://host:port" -> "wss://host:port/v1/fleet/connect" (http -> ws). InvalidArgument for
// another scheme.
Result<std::string> FleetConnectUrl(const std::string& server_url);

// A factory that connects the fleet link of `credential` over WebSocket: the upgrade request is
// signed (GET /v1/fleet/connect), wss:// pins the CA of the credential, egress purpose
// "control-plane". `connector` must outlive the factory and its links.
FleetLinkFactory WebSocketLinkFactory(Credential credential, net::egress::Connector& connector);

}  // namespace locai::node::agent

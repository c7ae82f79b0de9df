// The FleetLink over net::WebSocketClient.
#include "net/websocket/websocket_client.h"
#include "node/agent/fleet_link.h"

namespace locai::node::agent {
namespace {

constexpr std::string_view kConnectPath = "/v1/fleet/connect";

class WebSocketFleetLink : public FleetLink {
 public:
  explicit WebSocketFleetLink(std::unique_ptr<net::WebSocketClient> client)
      : client_(std::move(client)) {}
  Status Send(std::string_view text) override { return client_->Send(text); }
  Result<std::string> Receive(std::chrono::milliseconds timeout) override {
    return client_->Receive(timeout);
  }
  void Close() override { client_->Close(); }

 private:
  std::unique_ptr<net::WebSocketClient> client_;
};

}  // namespace

Result<std::string> FleetConnectUrl(const std::string& server_url) {
  std::string base = server_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  if (base.rfind("https://", 0) == 0) return "wss://" + base.substr(8) + std::string(kConnectPath);
  if (base.rfind("http://", 0) == 0) return "ws://" + base.substr(7) + std::string(kConnectPath);
  return Err(
      Status::InvalidArgument("the control plane URL must start with https:// or http://, "
                              "got '" +
                              server_url + "'"));
}

FleetLinkFactory WebSocketLinkFactory(Credential credential, net::egress::Connector& connector) {
  return [credential = std::move(credential), &connector]() -> Result<std::unique_ptr<FleetLink>> {
    LOCAI_ASSIGN_OR_RETURN(std::string url, FleetConnectUrl(credential.server_url));
    net::HttpHeaders headers;
    LOCAI_RETURN_IF_ERROR(SignRequest(credential, "GET", kConnectPath, UnixNow(), &headers));
    net::WebSocketClientOptions options;
    options.pinned_ca_sha256 = credential.ca_sha256;
    options.purpose = "control-plane";
    options.user_agent = "locai-node";
    LOCAI_ASSIGN_OR_RETURN(std::unique_ptr<net::WebSocketClient> client,
                           net::WebSocketClient::Connect(url, headers, connector, options));
    return std::unique_ptr<FleetLink>(std::make_unique<WebSocketFleetLink>(std::move(client)));
  };
}

}  // namespace locai::node::agent

// FleetEnv: a Fleet on a real SqliteStore in a temp dir, behind a real HttpServer on 127.0.0.1
// port 0, with an injected clock, an organisation with admin/deployer/inference keys, and helpers
// to enrol nodes and open their fleet links (a fake node). Test-only.
// Threading: confined to the test's thread (the server's threads run the fleet).
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "control/auth/api_key.h"
#include "control/auth/authenticator.h"
#include "control/auth/join_token.h"
#include "control/fleet/fleet.h"
#include "crypto/base64.h"
#include "crypto/ed25519.h"
#include "crypto/node_signature.h"
#include "net/egress/connector.h"
#include "net/http/http_client.h"
#include "net/http/http_server.h"
#include "net/http/router.h"
#include "net/websocket/websocket_client.h"
#include "store/sqlite/sqlite_store.h"
#include "store/testing/temp_dir.h"

namespace locai::control::fleet::testing {

inline constexpr char kOrg[] = "o_test";
inline constexpr int64_t kGB = 1'000'000'000;

inline net::egress::Connector Loopback() {
  net::egress::ConnectorOptions options;
  options.rules.push_back(*net::egress::EgressRule::Parse("allow 127.0.0.1:*"));
  return net::egress::Connector(std::move(options));
}

struct TestNode {
  std::string id;
  std::string private_key;
};

class FleetEnv {
 public:
  explicit FleetEnv(FleetOptions options = {}) : connector_(Loopback()) {
    now_ms_ = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
    auto opened = store::SqliteStore::Open(dir_.File("locai.db"));
    EXPECT_TRUE(opened.has_value());
    store_ = std::move(*opened);
    EXPECT_TRUE(store_->CreateOrg({kOrg, "test", "free", now_ms_}).ok());
    admin_key = auth::CreateApiKey(*store_, kOrg, "admin", auth::Role::kAdmin, now_ms_)->key;
    deployer_key =
        auth::CreateApiKey(*store_, kOrg, "deployer", auth::Role::kDeployer, now_ms_)->key;
    inference_key =
        auth::CreateApiKey(*store_, kOrg, "inference", auth::Role::kInference, now_ms_)->key;

    auth::AuthenticatorOptions auth_options;
    auth_options.now_ms = [this] { return now_ms_.load(); };
    authenticator_ = std::make_unique<auth::Authenticator>(*store_, auth_options);
    options.now_ms = [this] { return now_ms_.load(); };
    options.log = [](std::string_view) {};
    fleet_ = std::make_unique<Fleet>(*store_, *authenticator_, options);

    net::Router router;
    EXPECT_TRUE(fleet_->RegisterRoutes(router).ok());
    net::HttpServerOptions server_options;
    server_options.log = [](std::string_view) {};
    server_ = std::make_unique<net::HttpServer>(server_options, std::move(router));
    EXPECT_TRUE(server_->Start().ok());
    client_ = std::make_unique<net::HttpClient>(connector_);
  }

  ~FleetEnv() {
    server_->Stop();
    fleet_.reset();
  }

  store::Store& store() { return *store_; }
  Fleet& fleet() { return *fleet_; }
  int64_t now_ms() const { return now_ms_.load(); }
  void Advance(int64_t ms) { now_ms_ += ms; }
  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(server_->port()) + path;
  }
  net::egress::Connector& connector() { return connector_; }

  // The response of `method path` with `key` (empty: none) and a JSON body.
  net::ClientResponse Call(const std::string& method, const std::string& path,
                           const std::string& key, const std::string& body = "") {
    net::ClientRequest request;
    request.method = method;
    request.url = Url(path);
    if (!key.empty()) request.headers.Set("Authorization", "Bearer " + key);
    if (!body.empty()) request.headers.Set("Content-Type", "application/json");
    request.body = body;
    auto response = client_->Fetch(request);
    EXPECT_TRUE(response.has_value()) << response.error().ToString();
    return response ? *response : net::ClientResponse{};
  }
  nlohmann::json CallJson(const std::string& method, const std::string& path,
                          const std::string& key, const std::string& body = "",
                          int expected_status = 200) {
    net::ClientResponse response = Call(method, path, key, body);
    EXPECT_EQ(response.status, expected_status) << method << " " << path << ": " << response.body;
    return nlohmann::json::parse(response.body, nullptr, false);
  }

  std::string JoinToken(int64_t uses = 1, int64_t ttl_seconds = 3600,
                        const std::string& group = "default") {
    auth::JoinTokenSpec spec;
    spec.group = group;
    spec.uses = uses;
    spec.ttl_seconds = ttl_seconds;
    auto token = auth::CreateJoinToken(*store_, kOrg, spec, std::string(64, 'a'), now_ms_);
    EXPECT_TRUE(token.has_value()) << token.error().ToString();
    return token ? token->token : "";
  }

  // The enrolment request body for a fresh key pair (returned through *node).
  static std::string EnrollBody(const std::string& token, const std::string& name, TestNode* node) {
    auto keys = crypto::GenerateEd25519();
    node->private_key = keys->private_key;
    return nlohmann::json{{"token", token},
                          {"public_key", crypto::Base64Encode(keys->public_key)},
                          {"name", name},
                          {"capabilities", {{"hostname", name}, {"ram_free", 8 * kGB}}}}
        .dump();
  }

  TestNode Enroll(const std::string& name, const std::string& group = "default") {
    TestNode node;
    nlohmann::json reply = CallJson("POST", "/v1/fleet/enroll", "",
                                    EnrollBody(JoinToken(1, 3600, group), name, &node));
    node.id = reply.value("node_id", "");
    return node;
  }

  Result<std::unique_ptr<net::WebSocketClient>> Connect(const TestNode& node) {
    auto signature = crypto::SignNodeRequest(node.id, node.private_key, "GET", "/v1/fleet/connect",
                                             now_ms_.load() / 1000);
    EXPECT_TRUE(signature.has_value());
    net::HttpHeaders headers;
    headers.Set(std::string(crypto::kNodeIdHeader), signature->node_id);
    headers.Set(std::string(crypto::kNodeTimestampHeader), signature->timestamp);
    headers.Set(std::string(crypto::kNodeSignatureHeader), signature->signature_b64);
    net::WebSocketClientOptions options;
    options.connect_timeout = std::chrono::seconds(5);
    options.handshake_timeout = std::chrono::seconds(5);
    return net::WebSocketClient::Connect(
        "ws://127.0.0.1:" + std::to_string(server_->port()) + "/v1/fleet/connect", headers,
        connector_, options);
  }

  // Adds model `name:tag` at `digest` whose manifest needs `weights` bytes (no KV, no compute).
  void AddModel(const std::string& name, const std::string& tag, const std::string& digest,
                int64_t weights, int64_t kv_per_token = 0) {
    ASSERT_TRUE(
        store_->PutBlobRecord({digest, static_cast<uint64_t>(weights), now_ms_}, kOrg, std::nullopt)
            .ok());
    nlohmann::json manifest = {
        {"name", name},
        {"tag", tag},
        {"digest", digest},
        {"size", weights},
        {"context_length", 2048},
        {"memory", {{"weights", weights}, {"kv_per_token", kv_per_token}, {"compute", 0}}}};
    auto put = store_->PutModelTag({kOrg, name, tag, digest, manifest.dump(), now_ms_, now_ms_});
    ASSERT_TRUE(put.has_value()) << put.error().ToString();
  }

  std::string admin_key;
  std::string deployer_key;
  std::string inference_key;

 private:
  store::testing::TempDir dir_;
  std::atomic<int64_t> now_ms_{0};
  std::unique_ptr<store::SqliteStore> store_;
  std::unique_ptr<auth::Authenticator> authenticator_;
  std::unique_ptr<Fleet> fleet_;
  net::egress::Connector connector_;
  std::unique_ptr<net::HttpServer> server_;
  std::unique_ptr<net::HttpClient> client_;
};

// The digest of a test model: "sha256:" + 64 times `c`.
inline std::string Digest(char c) { return "sha256:" + std::string(64, c); }

// The next message of `type` on `link` within `timeout`, skipping others; null on timeout.
inline nlohmann::json ReceiveType(net::WebSocketClient& link, const std::string& type,
                                  std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return nullptr;
    auto text = link.Receive(left);
    if (!text) return nullptr;
    auto message = nlohmann::json::parse(*text, nullptr, false);
    if (message.is_object() && message.value("type", "") == type) return message;
  }
}

// The digests listed in a desired_models message.
inline std::vector<std::string> DesiredDigests(const nlohmann::json& message) {
  std::vector<std::string> digests;
  if (!message.is_object()) return digests;
  for (const auto& model : message["models"]) digests.push_back(model["digest"]);
  return digests;
}

}  // namespace locai::control::fleet::testing

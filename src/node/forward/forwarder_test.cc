// node_forward_test: a real NodeServer whose NodeOptions::forward is a Forwarder pointed at a fake
// control plane (a real net::HttpServer on 127.0.0.1:0) that checks the node's signatures, records
// the forwarded requests and answers like the gateway (SSE or JSON, with route headers).
#include "node/forward/forwarder.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <nlohmann/json.hpp>
#include <thread>

#include "crypto/ed25519.h"
#include "crypto/node_signature.h"
#include "net/http/http_server.h"
#include "node/node_server.h"
#include "node/test_util.h"

namespace locai::node::forward {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

int64_t UnixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// What agent::SignRequest does with the node's credential.
struct TestCredential {
  std::string node_id;
  std::string private_key;
  std::string public_key;
};

Status Sign(const TestCredential& credential, std::string_view method, std::string_view target,
            net::HttpHeaders* headers) {
  LOCAI_ASSIGN_OR_RETURN(crypto::NodeSignature signature,
                         crypto::SignNodeRequest(credential.node_id, credential.private_key,
                                                 method, target, UnixNow()));
  headers->Set(std::string(crypto::kNodeIdHeader), signature.node_id);
  headers->Set(std::string(crypto::kNodeTimestampHeader), signature.timestamp);
  headers->Set(std::string(crypto::kNodeSignatureHeader), signature.signature_b64);
  return Status::Ok();
}

constexpr char kSseBody[] =
    "data: {\"choices\":[{\"delta\":{\"content\":\"Hel\"}}]}\n\n"
    "data: {\"choices\":[{\"delta\":{\"content\":\"lo\"}}]}\n\n"
    "data: [DONE]\n\n";

struct Recorded {
  std::string path;
  std::string body;
  net::HttpHeaders headers;
  std::string signature_check;  // "ok" or the verification error
};

// The control plane as the node sees it: GET /v1/fleet/policy and the gateway routes.
class FakeControlPlane {
 public:
  explicit FakeControlPlane(std::string public_key) : public_key_(std::move(public_key)) {
    net::Router router;
    EXPECT_TRUE(router
                    .Add("GET", "/v1/fleet/policy",
                         [this](net::HttpRequest request, std::shared_ptr<net::ResponseWriter> w) {
                           std::lock_guard<std::mutex> lock(mu_);
                           ++policy_fetches_;
                           policy_signed_ = Check(request) == "ok";
                           w->Send(net::HttpResponse::Json(
                               200, json{{"policy", policy_}, {"airgapped", false}}.dump()));
                         })
                    .ok());
    for (const char* path : {"/v1/chat/completions", "/v1/messages"}) {
      EXPECT_TRUE(router
                      .Add("POST", path,
                           [this](net::HttpRequest request,
                                  std::shared_ptr<net::ResponseWriter> writer) {
                             Answer(std::move(request), std::move(writer));
                           })
                      .ok());
    }
    net::HttpServerOptions options;
    options.shutdown_grace = 100ms;
    options.log = [](std::string_view) {};
    server_ = std::make_unique<net::HttpServer>(std::move(options), std::move(router));
    EXPECT_TRUE(server_->Start().ok());
  }
  ~FakeControlPlane() { Stop(); }

  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    if (pinger_.joinable()) pinger_.join();
    server_->Stop();
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }

  void SetPolicy(std::string policy) {
    std::lock_guard<std::mutex> lock(mu_);
    policy_ = std::move(policy);
  }
  // "sse", "json", "hold" (never answers), "ping" (streams a comment every 10 ms until closed).
  void SetMode(std::string mode) {
    std::lock_guard<std::mutex> lock(mu_);
    mode_ = std::move(mode);
  }

  std::vector<Recorded> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }
  int policy_fetches() {
    std::lock_guard<std::mutex> lock(mu_);
    return policy_fetches_;
  }
  bool policy_signed() {
    std::lock_guard<std::mutex> lock(mu_);
    return policy_signed_;
  }
  // Waits until the connection of a held or pinging answer was closed by the node.
  bool WaitUpstreamClosed(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [this] { return upstream_closed_; });
  }

 private:
  std::string Check(const net::HttpRequest& request) const {
    const auto id = request.headers.Get(crypto::kNodeIdHeader);
    const auto timestamp = request.headers.Get(crypto::kNodeTimestampHeader);
    const auto signature = request.headers.Get(crypto::kNodeSignatureHeader);
    if (!id || !timestamp || !signature) return "unsigned";
    if (*id != "n_test") return "wrong node id";
    Status verified = crypto::VerifyNodeSignature(public_key_, request.method, request.target,
                                                  *timestamp, *signature, UnixNow());
    return verified.ok() ? "ok" : verified.ToString();
  }

  void Answer(net::HttpRequest request, std::shared_ptr<net::ResponseWriter> writer) {
    std::string mode;
    {
      std::lock_guard<std::mutex> lock(mu_);
      requests_.push_back({request.path, request.body, request.headers, Check(request)});
      mode = mode_;
    }
    net::HttpHeaders headers;
    headers.Set("x-locai-route", "node");
    headers.Set("x-locai-route-target", "n_other");
    headers.Set("x-request-id", "req_from_gateway");
    if (mode == "json") {
      net::HttpResponse response = net::HttpResponse::Json(200, R"({"id":"msg_1","content":[]})");
      for (const auto& [name, value] : headers.entries()) response.headers.Set(name, value);
      writer->Send(std::move(response));
      return;
    }
    if (mode == "busy") {
      net::HttpResponse response = net::HttpResponse::Json(429, R"({"error":{"message":"busy"}})");
      response.headers.Set("Retry-After", "7");
      writer->Send(std::move(response));
      return;
    }
    writer->OnClose([this] {
      std::lock_guard<std::mutex> closed_lock(mu_);
      upstream_closed_ = true;
      cv_.notify_all();
    });
    if (mode == "hold") {
      std::lock_guard<std::mutex> lock(mu_);
      held_ = writer;
      return;
    }
    headers.Set("Content-Type", "text/event-stream");
    writer->StartStream(200, headers);
    if (mode == "sse") {
      writer->Write(kSseBody);
      writer->End();
      return;
    }
    // "ping": a comment every 10 ms until the node goes away (or the test ends).
    std::lock_guard<std::mutex> lock(mu_);
    pinger_ = std::thread([this, writer] {
      std::unique_lock<std::mutex> ping_lock(mu_);
      while (!stopping_ && !writer->closed()) {
        ping_lock.unlock();
        writer->Write(": ping\n\n");
        ping_lock.lock();
        cv_.wait_for(ping_lock, 10ms, [this] { return stopping_; });
      }
    });
  }

  const std::string public_key_;
  std::unique_ptr<net::HttpServer> server_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::string policy_ = "onprem";
  std::string mode_ = "sse";
  std::vector<Recorded> requests_;
  int policy_fetches_ = 0;
  bool policy_signed_ = false;
  bool upstream_closed_ = false;
  bool stopping_ = false;
  std::shared_ptr<net::ResponseWriter> held_;
  std::thread pinger_;
};

net::egress::Connector LoopbackConnector() {
  net::egress::ConnectorOptions options;
  options.rules.push_back(*net::egress::EgressRule::Parse("allow 127.0.0.1:*"));
  return net::egress::Connector(std::move(options));
}

// A node (stories260K as "story", or no model at all) forwarding to `control_url`.
class ForwardingNode {
 public:
  ForwardingNode(const std::string& control_url, const TestCredential& credential,
                 bool with_model = false,
                 const std::function<void(NodeOptions&)>& configure = nullptr) {
    ForwarderOptions forward_options;
    forward_options.server_url = control_url;
    forward_options.http.connect_timeout = 2s;
    forward_options.policy_timeout = 2s;
    forward_options.signer = [credential](std::string_view method, std::string_view target,
                                          net::HttpHeaders* headers) {
      return Sign(credential, method, target, headers);
    };
    forward_options.now = [this] { return now_.load(); };
    forwarder_ = std::make_unique<Forwarder>(std::move(forward_options), egress_);

    NodeOptions options;
    if (with_model) {
      dir_.Link(testing::ConformanceModel("stories260K.gguf"), "story.gguf");
      options.models_dir = dir_.path();
    }
    options.port = 0;
    options.models.n_parallel = 1;
    options.models.context_length = 256;
    options.models.n_threads = 1;
    options.io_threads = 2;
    options.worker_threads = 2;
    options.log = [](std::string_view) {};
    options.forward = [this](const net::HttpRequest& request,
                             std::shared_ptr<net::ResponseWriter> writer) {
      return forwarder_->Forward(request, std::move(writer));
    };
    if (configure) configure(options);
    auto created = NodeServer::Create(std::move(options));
    EXPECT_TRUE(created) << created.error().ToString();
    server_ = std::move(*created);
    EXPECT_TRUE(server_->Start().ok());
  }
  ~ForwardingNode() { server_->Stop(); }

  Forwarder& forwarder() { return *forwarder_; }
  void Advance(std::chrono::milliseconds by) { now_ = now_.load() + by; }

  net::ClientRequest Request(std::string_view path, const json& body) const {
    net::ClientRequest request;
    request.method = "POST";
    request.url = server_->url() + std::string(path);
    request.headers.Set("Content-Type", "application/json");
    if (path == "/v1/messages") request.headers.Set("anthropic-version", "2023-06-01");
    request.body = body.dump();
    return request;
  }

  net::ClientResponse Fetch(const net::ClientRequest& request) {
    net::HttpClient client(client_egress_);
    auto response = client.Fetch(request);
    EXPECT_TRUE(response) << response.error().ToString();
    return response ? *response : net::ClientResponse{};
  }

 private:
  testing::TempDir dir_;
  std::atomic<std::chrono::steady_clock::time_point> now_{std::chrono::steady_clock::now()};
  net::egress::Connector egress_ = LoopbackConnector();
  net::egress::Connector client_egress_ = LoopbackConnector();
  std::unique_ptr<Forwarder> forwarder_;  // outlives the server (declared before it)
  std::unique_ptr<NodeServer> server_;
};

class ForwarderTest : public ::testing::Test {
 protected:
  ForwarderTest() {
    auto keys = crypto::GenerateEd25519();
    EXPECT_TRUE(keys);
    credential_.node_id = "n_test";
    credential_.private_key = keys->private_key;
    credential_.public_key = keys->public_key;
    control_ = std::make_unique<FakeControlPlane>(keys->public_key);
  }

  json Chat(bool stream) const {
    return json{{"model", "elsewhere:7b"},
                {"stream", stream},
                {"messages", json::array({json{{"role", "user"}, {"content", "hi"}}})}};
  }

  TestCredential credential_;
  std::unique_ptr<FakeControlPlane> control_;
};

TEST_F(ForwarderTest, StreamsAChatTheNodeCannotServeFromTheControlPlane) {
  ForwardingNode node(control_->url(), credential_);
  net::ClientRequest request = node.Request("/v1/chat/completions", Chat(true));
  request.headers.Set("x-locai-session", "conversation-1");
  request.headers.Set("Authorization", "Bearer node-local-key");
  std::string streamed;
  net::egress::Connector egress = LoopbackConnector();
  net::HttpClient streaming_client(egress);
  auto response = streaming_client.Stream(request, [&](std::string_view chunk) {
    streamed.append(chunk);
    return true;
  });
  ASSERT_TRUE(response) << response.error().ToString();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->headers.GetOr("Content-Type", ""), "text/event-stream");
  EXPECT_EQ(response->headers.GetOr("x-locai-route", ""), "node");
  EXPECT_EQ(response->headers.GetOr("x-locai-route-target", ""), "n_other");
  EXPECT_EQ(response->headers.GetOr("x-request-id", ""), "req_from_gateway");
  EXPECT_EQ(streamed, kSseBody);

  const std::vector<Recorded> recorded = control_->requests();
  ASSERT_EQ(recorded.size(), 1u);
  EXPECT_EQ(recorded[0].path, "/v1/chat/completions");
  EXPECT_EQ(recorded[0].body, request.body);  // unchanged
  EXPECT_EQ(recorded[0].signature_check, "ok");
  EXPECT_EQ(recorded[0].headers.GetOr("x-locai-session", ""), "conversation-1");
  EXPECT_FALSE(recorded[0].headers.GetOr("x-request-id", "").empty());
  EXPECT_FALSE(recorded[0].headers.Has("Authorization"));  // the node's own key stays here
  EXPECT_EQ(control_->policy_fetches(), 1);
  EXPECT_TRUE(control_->policy_signed());
}

TEST_F(ForwarderTest, AModelThatDoesNotFitIsForwarded) {
  ForwardingNode node(control_->url(), credential_, /*with_model=*/true,
                      [](NodeOptions& options) { options.models.memory_limit = 1024; });
  json chat = Chat(false);
  chat["model"] = "story";
  control_->SetMode("json");
  net::ClientResponse response = node.Fetch(node.Request("/v1/chat/completions", chat));
  EXPECT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.headers.GetOr("x-locai-route", ""), "node");
  const std::vector<Recorded> recorded = control_->requests();
  ASSERT_EQ(recorded.size(), 1u);
  EXPECT_EQ(json::parse(recorded[0].body)["model"], "story");
}

TEST_F(ForwarderTest, SendsAJsonAnswerWholeWithItsHeaders) {
  control_->SetMode("json");
  ForwardingNode node(control_->url(), credential_);
  net::ClientRequest request = node.Request(
      "/v1/messages", json{{"model", "elsewhere:7b"},
                           {"max_tokens", 8},
                           {"messages", json::array({json{{"role", "user"}, {"content", "hi"}}})}});
  request.headers.Set("anthropic-beta", "tools-2024");
  net::ClientResponse response = node.Fetch(request);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, R"({"id":"msg_1","content":[]})");
  EXPECT_EQ(response.headers.GetOr("x-locai-route", ""), "node");
  EXPECT_EQ(response.headers.GetOr("x-locai-route-target", ""), "n_other");
  EXPECT_TRUE(response.headers.GetOr("Content-Type", "").rfind("application/json", 0) == 0);
  const std::vector<Recorded> recorded = control_->requests();
  ASSERT_EQ(recorded.size(), 1u);
  EXPECT_EQ(recorded[0].path, "/v1/messages");
  EXPECT_EQ(recorded[0].headers.GetOr("anthropic-version", ""), "2023-06-01");
  EXPECT_EQ(recorded[0].headers.GetOr("anthropic-beta", ""), "tools-2024");
  EXPECT_EQ(recorded[0].signature_check, "ok");
}

TEST_F(ForwarderTest, KeepsTheGatewaysErrorStatusAndRetryAfter) {
  control_->SetMode("busy");
  ForwardingNode node(control_->url(), credential_);
  net::ClientResponse response = node.Fetch(node.Request("/v1/chat/completions", Chat(false)));
  EXPECT_EQ(response.status, 429);
  EXPECT_EQ(response.headers.GetOr("Retry-After", ""), "7");
  EXPECT_EQ(response.body, R"({"error":{"message":"busy"}})");
}

TEST_F(ForwarderTest, LocalPolicyNeverForwards) {
  control_->SetPolicy("local");
  ForwardingNode node(control_->url(), credential_);
  net::ClientResponse response = node.Fetch(node.Request("/v1/chat/completions", Chat(false)));
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(json::parse(response.body)["error"]["code"], "model_not_found");
  EXPECT_EQ(response.headers.GetOr("x-locai-route", ""), "local");
  EXPECT_TRUE(control_->requests().empty());
  EXPECT_EQ(node.forwarder().Policy(), "local");
}

TEST_F(ForwarderTest, UnknownPolicyBecauseTheControlPlaneIsDownMeansTheNodesOwnError) {
  const std::string url = control_->url();
  control_->Stop();
  ForwardingNode node(url, credential_);
  net::ClientResponse response = node.Fetch(node.Request("/v1/chat/completions", Chat(false)));
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(node.forwarder().Policy(), "");
}

TEST_F(ForwarderTest, ControlPlaneGoneAfterThePolicyGives503InTheApisFormat) {
  ForwardingNode node(control_->url(), credential_);
  EXPECT_EQ(node.forwarder().Policy(), "onprem");  // cached for 30 s
  control_->Stop();

  net::ClientResponse openai = node.Fetch(node.Request("/v1/chat/completions", Chat(true)));
  EXPECT_EQ(openai.status, 503);
  EXPECT_FALSE(openai.headers.GetOr("Retry-After", "").empty());
  const json error = json::parse(openai.body, nullptr, false)["error"];
  EXPECT_EQ(error["type"], "server_error");
  const std::string message = error["message"];
  EXPECT_NE(message.find("'elsewhere:7b' is not available on this device"), std::string::npos)
      << message;
  EXPECT_NE(message.find("control plane"), std::string::npos) << message;

  net::ClientResponse anthropic = node.Fetch(node.Request(
      "/v1/messages", json{{"model", "elsewhere:7b"},
                           {"max_tokens", 8},
                           {"messages", json::array({json{{"role", "user"}, {"content", "x"}}})}}));
  EXPECT_EQ(anthropic.status, 503);
  const json body = json::parse(anthropic.body, nullptr, false);
  EXPECT_EQ(body["type"], "error");
  EXPECT_EQ(body["error"]["type"], "api_error");
}

TEST_F(ForwarderTest, PolicyIsCachedForThirtySeconds) {
  ForwardingNode node(control_->url(), credential_);
  EXPECT_EQ(node.forwarder().Policy(), "onprem");
  EXPECT_EQ(node.forwarder().Policy(), "onprem");
  EXPECT_EQ(control_->policy_fetches(), 1);
  control_->SetPolicy("local");
  node.Advance(29s);
  EXPECT_EQ(node.forwarder().Policy(), "onprem");
  node.Advance(2s);
  EXPECT_EQ(node.forwarder().Policy(), "local");
  EXPECT_EQ(control_->policy_fetches(), 2);
}

TEST_F(ForwarderTest, ClientGoingAwayBeforeTheHeadAbortsTheUpstream) {
  control_->SetMode("hold");
  ForwardingNode node(control_->url(), credential_);
  net::egress::Connector egress = LoopbackConnector();
  net::HttpClientOptions options;
  options.read_timeout = 300ms;  // the client gives up and closes its connection
  net::HttpClient client(egress, options);
  auto response = client.Fetch(node.Request("/v1/chat/completions", Chat(false)));
  EXPECT_FALSE(response);
  EXPECT_TRUE(control_->WaitUpstreamClosed(5s));
  for (int i = 0; i < 250 && node.forwarder().in_flight() > 0; ++i) {
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(node.forwarder().in_flight(), 0u);
}

TEST_F(ForwarderTest, ClientGoingAwayMidStreamAbortsTheUpstream) {
  control_->SetMode("ping");
  ForwardingNode node(control_->url(), credential_);
  net::egress::Connector egress = LoopbackConnector();
  net::HttpClient client(egress);
  int chunks = 0;
  auto response = client.Stream(node.Request("/v1/chat/completions", Chat(true)),
                                [&](std::string_view) { return ++chunks < 3; });
  EXPECT_FALSE(response);  // Cancelled by the callback
  client.CloseIdleConnections();
  EXPECT_EQ(chunks, 3);
  EXPECT_TRUE(control_->WaitUpstreamClosed(5s));
}

TEST_F(ForwarderTest, ARequestTheNodeServesItselfSaysLocal) {
  ForwardingNode node(control_->url(), credential_, /*with_model=*/true);
  json chat = Chat(false);
  chat["model"] = "story";
  chat["max_tokens"] = 3;
  net::ClientResponse whole = node.Fetch(node.Request("/v1/chat/completions", chat));
  EXPECT_EQ(whole.status, 200) << whole.body;
  EXPECT_EQ(whole.headers.GetOr("x-locai-route", ""), "local");

  chat["stream"] = true;
  net::egress::Connector egress = LoopbackConnector();
  net::HttpClient client(egress);
  std::string body;
  auto streamed = client.Stream(node.Request("/v1/chat/completions", chat),
                                [&](std::string_view chunk) {
                                  body.append(chunk);
                                  return true;
                                });
  ASSERT_TRUE(streamed) << streamed.error().ToString();
  EXPECT_EQ(streamed->status, 200);
  EXPECT_EQ(streamed->headers.GetOr("x-locai-route", ""), "local");
  EXPECT_NE(body.find("[DONE]"), std::string::npos);

  json message = {{"model", "story"},
                  {"max_tokens", 3},
                  {"messages", json::array({json{{"role", "user"}, {"content", "hi"}}})}};
  net::ClientResponse anthropic = node.Fetch(node.Request("/v1/messages", message));
  EXPECT_EQ(anthropic.status, 200) << anthropic.body;
  EXPECT_EQ(anthropic.headers.GetOr("x-locai-route", ""), "local");
  EXPECT_TRUE(control_->requests().empty());
}

}  // namespace
}  // namespace locai::node::forward

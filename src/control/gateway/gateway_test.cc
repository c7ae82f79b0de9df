// Gateway tests: a real net::HttpServer on port 0 with the gateway's routes, a scripted in-process
// NodeJobs standing in for the fleet, the router's FakeUpstream as the cloud provider, and a real
// PolicyStore on SQLite in a temp directory.
#include "control/gateway/gateway.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "control/router/fake_upstream.h"
#include "net/http/http_client.h"
#include "net/http/http_server.h"
#include "store/sqlite/database.h"
#include "store/testing/temp_dir.h"

namespace locai::control::gateway {
namespace {

using nlohmann::json;
using router::testing::FakeUpstream;
using router::testing::UpstreamScript;

enum class Script { kOk, kFailBeforeData, kFailAfterData, kHold, kRefuse429 };

// NodeJobs with scripted nodes. kOk answers at once (on the caller's thread, as a fleet io thread
// would later), kHold keeps the job until Release().
class FakeNodeJobs : public fleet::NodeJobs {
 public:
  struct Started {
    std::string node;
    std::string job_id;
    fleet::NodeJob job;
  };

  void SetNodes(std::vector<fleet::RoutableNode> nodes) {
    std::lock_guard lock(mu_);
    nodes_ = std::move(nodes);
  }
  void SetScript(const std::string& node, Script script) {
    std::lock_guard lock(mu_);
    scripts_[node] = script;
  }

  std::vector<fleet::RoutableNode> RoutableNodes(const std::string& org_id) override {
    std::lock_guard lock(mu_);
    std::vector<fleet::RoutableNode> out;
    for (const auto& node : nodes_) {
      if (node.org_id == org_id) out.push_back(node);
    }
    return out;
  }

  Result<std::string> StartJob(const std::string& node_id, fleet::NodeJob job,
                               std::shared_ptr<fleet::NodeJobObserver> observer) override {
    Script script;
    std::string id;
    {
      std::lock_guard lock(mu_);
      id = "job" + std::to_string(++next_id_);
      started_.push_back({node_id, id, job});
      script = scripts_.count(node_id) ? scripts_[node_id] : Script::kOk;
      if (script == Script::kHold) {
        held_[id] = {observer, job};
        return id;
      }
    }
    Run(script, node_id, job, *observer);
    return id;
  }

  void CancelJob(const std::string& job_id) override {
    std::lock_guard lock(mu_);
    cancelled_.insert(job_id);
    held_.erase(job_id);
  }

  // Answers every held job (as kOk from `node`).
  void ReleaseAll() {
    std::map<std::string, Held> held;
    {
      std::lock_guard lock(mu_);
      held.swap(held_);
    }
    for (auto& [id, job] : held) Run(Script::kOk, "held", job.job, *job.observer);
  }

  std::vector<Started> started() const {
    std::lock_guard lock(mu_);
    return started_;
  }
  std::set<std::string> cancelled() const {
    std::lock_guard lock(mu_);
    return cancelled_;
  }
  size_t held() const {
    std::lock_guard lock(mu_);
    return held_.size();
  }

 private:
  struct Held {
    std::shared_ptr<fleet::NodeJobObserver> observer;
    fleet::NodeJob job;
  };

  static void Run(Script script, const std::string& node, const fleet::NodeJob& job,
                  fleet::NodeJobObserver& observer) {
    if (script == Script::kRefuse429) {
      observer.OnHead(429, {{"content-type", "application/json"}, {"retry-after", "1"}});
      observer.OnData(R"({"error":{"message":"queue full","type":"rate_limit_error"}})");
      observer.OnEnd({});
      return;
    }
    if (script == Script::kFailBeforeData) {
      observer.OnFailed(Status::Unavailable("link lost"));
      return;
    }
    const bool stream = job.body.find("\"stream\":true") != std::string::npos;
    const bool anthropic = job.path == "/v1/messages";
    if (!stream) {
      observer.OnHead(200, {{"content-type", "application/json"}, {"x-request-id", "node-req"}});
      observer.OnData(R"({"served_by":")" + node + "\",");
      if (script == Script::kFailAfterData) {
        observer.OnFailed(Status::Unavailable("link lost"));
        return;
      }
      observer.OnData(R"("object":"chat.completion"})");
      observer.OnEnd({11, 5});
      return;
    }
    observer.OnHead(200, {{"content-type", "text/event-stream"}});
    if (anthropic) {
      observer.OnData(
          "event: content_block_delta\ndata: {\"type\":\"content_block_delta\","
          "\"delta\":{\"type\":\"text_delta\",\"text\":\"" +
          node + "\"}}\n\n");
    } else {
      observer.OnData("data: {\"choices\":[{\"delta\":{\"content\":\"" + node + "\"}}]}\n\n");
    }
    if (script == Script::kFailAfterData) {
      observer.OnFailed(Status::Unavailable("link lost"));
      return;
    }
    observer.OnData(anthropic ? "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"
                              : "data: [DONE]\n\n");
    observer.OnEnd({11, 5});
  }

  mutable std::mutex mu_;
  std::vector<fleet::RoutableNode> nodes_;
  std::map<std::string, Script> scripts_;
  std::vector<Started> started_;
  std::set<std::string> cancelled_;
  std::map<std::string, Held> held_;
  int next_id_ = 0;
};

fleet::RoutableNode Node(std::string id, int64_t load, std::vector<std::string> models = {"m"},
                         std::string org = "o1") {
  fleet::RoutableNode node;
  node.id = std::move(id);
  node.org_id = std::move(org);
  node.healthy = true;
  node.models_ready = std::move(models);
  node.outstanding_tokens = load;
  return node;
}

constexpr char kKey[] = "key-o1";
constexpr char kChat[] = R"({"model":"m","messages":[{"role":"user","content":"hi"}]})";
constexpr char kChatStream[] =
    R"({"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]})";
constexpr char kMessagesStream[] =
    R"({"model":"m","max_tokens":10,"stream":true,"messages":[{"role":"user","content":"hi"}]})";

class GatewayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = store::Database::Open(dir_.path() + "/locai.db");
    ASSERT_TRUE(db) << db.error().ToString();
    db_ = std::move(*db);
    auto policies = router::PolicyStore::Open(*db_);
    ASSERT_TRUE(policies) << policies.error().ToString();
    policies_ = std::move(*policies);
  }

  void TearDown() override {
    if (gateway_) gateway_->Stop();
    if (server_) server_->Stop();
  }

  void Start(GatewayOptions options = {}) {
    options.log = [](std::string_view) {};
    // Only the cool-down test counts failures towards a cool-down (it sets its own threshold).
    if (options.selector.failure_threshold == router::NodeSelectorOptions().failure_threshold) {
      options.selector.failure_threshold = 100;
    }
    GatewayDeps deps;
    deps.jobs = &jobs_;
    deps.policies = policies_.get();
    deps.connector = &cloud_connector_;
    deps.authenticate = [](const net::HttpRequest& request) -> Result<Caller> {
      if (auto node = request.headers.Get("x-locai-node-id")) {
        return Caller{"o1", "", std::string(*node), "node:" + std::string(*node)};
      }
      const std::string key = request.headers.GetOr("x-api-key", "");
      const std::string bearer = request.headers.GetOr("authorization", "");
      if (key == kKey || bearer == std::string("Bearer ") + kKey) {
        return Caller{"o1", "k1", "", "key:k1"};
      }
      return Err(Status::Unauthenticated("missing or invalid API key"));
    };
    deps.hooks.inference = [this](const InferenceRecord& record) {
      std::lock_guard lock(records_mu_);
      records_.push_back(record);
    };
    deps.hooks.capture_prompts = [this](const std::string&) { return capture_.load(); };
    auto gateway = Gateway::Create(std::move(deps), options);
    ASSERT_TRUE(gateway) << gateway.error().ToString();
    gateway_ = std::move(*gateway);
    net::Router router;
    ASSERT_TRUE(gateway_->RegisterRoutes(router).ok());
    ASSERT_TRUE(router
                    .Add("GET", "/health",
                         [](net::HttpRequest, std::shared_ptr<net::ResponseWriter> writer) {
                           writer->Send(net::HttpResponse::Json(200, R"({"status":"ok"})"));
                         })
                    .ok());
    net::HttpServerOptions http;
    http.port = 0;
    http.io_threads = 4;
    server_ = std::make_unique<net::HttpServer>(http, std::move(router));
    ASSERT_TRUE(server_->Start().ok());
  }

  void SetPolicy(router::OrgPolicy policy) {
    ASSERT_TRUE(policies_->SetOrgPolicy("o1", policy).ok());
  }

  void AddProvider(const FakeUpstream& upstream, router::ProviderKind kind) {
    ASSERT_TRUE(policies_
                    ->PutProvider(
                        "o1", router::ProviderConfig{"up", kind, upstream.base_url(), "secret", {}})
                    .ok());
  }

  router::OrgPolicy Hybrid(std::chrono::milliseconds wait) {
    router::OrgPolicy policy;
    policy.policy = router::DataPolicy::kHybrid;
    policy.max_queue_wait = wait;
    policy.cloud_models = {{"m", "up/gpt-test"}};
    return policy;
  }

  net::ClientResponse Call(const std::string& path, const std::string& body,
                           std::vector<std::pair<std::string, std::string>> headers =
                               {{"authorization", std::string("Bearer ") + kKey}},
                           const std::string& method = "POST") {
    net::HttpClient client(client_connector_);
    net::ClientRequest request;
    request.method = method;
    request.url = "http://127.0.0.1:" + std::to_string(server_->port()) + path;
    request.body = body;
    request.headers.Set("content-type", "application/json");
    for (auto& [name, value] : headers) request.headers.Set(name, value);
    auto response = client.Fetch(request);
    EXPECT_TRUE(response) << response.error().ToString();
    return response ? *response : net::ClientResponse{};
  }

  std::vector<InferenceRecord> Records() {
    std::lock_guard lock(records_mu_);
    return records_;
  }
  // Records are written as the response completes; wait for `count` of them.
  std::vector<InferenceRecord> WaitRecords(size_t count) {
    for (int i = 0; i < 200 && Records().size() < count; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return Records();
  }

  store::testing::TempDir dir_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<router::PolicyStore> policies_;
  FakeNodeJobs jobs_;
  net::egress::Connector cloud_connector_ =
      std::move(*net::egress::Connector::FromRules({"allow 127.0.0.1:*"}));
  net::egress::Connector client_connector_ =
      std::move(*net::egress::Connector::FromRules({"allow 127.0.0.1:*"}));
  std::unique_ptr<Gateway> gateway_;
  std::unique_ptr<net::HttpServer> server_;
  std::mutex records_mu_;
  std::vector<InferenceRecord> records_;
  std::atomic<bool> capture_{false};
};

TEST_F(GatewayTest, RoutesToTheLeastLoadedNodeWithRouteHeaders) {
  jobs_.SetNodes({Node("n1", 500), Node("n2", 10), Node("n3", 0, {"other"})});
  Start();
  net::ClientResponse response = Call("/v1/chat/completions", kChat);
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_NE(response.body.find(R"("served_by":"n2")"), std::string::npos) << response.body;
  EXPECT_EQ(response.headers.GetOr("x-locai-route", ""), "node");
  EXPECT_EQ(response.headers.GetOr("x-locai-route-target", ""), "n2");
  EXPECT_NE(response.headers.GetOr("x-request-id", ""), "node-req");
  EXPECT_FALSE(response.headers.GetOr("x-request-id", "").empty());
  ASSERT_EQ(jobs_.started().size(), 1u);
  const fleet::NodeJob job = jobs_.started()[0].job;
  EXPECT_EQ(job.path, "/v1/chat/completions");
  EXPECT_EQ(job.body, kChat);
}

TEST_F(GatewayTest, SessionStaysOnItsNode) {
  jobs_.SetNodes({Node("n1", 10), Node("n2", 20)});
  Start();
  auto first = Call("/v1/chat/completions", kChat,
                    {{"authorization", std::string("Bearer ") + kKey}, {"x-locai-session", "s1"}});
  EXPECT_EQ(first.headers.GetOr("x-locai-route-target", ""), "n1");
  jobs_.SetNodes({Node("n1", 900), Node("n2", 20)});
  auto second = Call("/v1/chat/completions", kChat,
                     {{"authorization", std::string("Bearer ") + kKey}, {"x-locai-session", "s1"}});
  EXPECT_EQ(second.headers.GetOr("x-locai-route-target", ""), "n1");
  // The `user` field is a session id too; without one the load decides.
  auto other = Call("/v1/chat/completions", kChat);
  EXPECT_EQ(other.headers.GetOr("x-locai-route-target", ""), "n2");
}

TEST_F(GatewayTest, NodeFailingBeforeDataIsRetriedInvisibly) {
  jobs_.SetNodes({Node("n1", 0), Node("n2", 50)});
  jobs_.SetScript("n1", Script::kFailBeforeData);
  Start();
  auto streamed = Call("/v1/chat/completions", kChatStream);
  ASSERT_EQ(streamed.status, 200);
  EXPECT_EQ(streamed.headers.GetOr("x-locai-route-target", ""), "n2");
  EXPECT_NE(streamed.body.find("\"content\":\"n2\""), std::string::npos);
  EXPECT_EQ(streamed.body.find("error"), std::string::npos) << streamed.body;
  // A non-streamed body is sent whole at the end: a failure after some of it is retried too.
  jobs_.SetScript("n1", Script::kFailAfterData);
  auto whole = Call("/v1/chat/completions", kChat);
  ASSERT_EQ(whole.status, 200);
  EXPECT_EQ(whole.body, R"({"served_by":"n2","object":"chat.completion"})");
  auto records = WaitRecords(2);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].target, "n2");
  EXPECT_EQ(records[0].error, "");
}

TEST_F(GatewayTest, FailureAfterDataEndsTheStreamWithTheApisErrorEvent) {
  jobs_.SetNodes({Node("n1", 0)});
  jobs_.SetScript("n1", Script::kFailAfterData);
  Start();
  auto openai = Call("/v1/chat/completions", kChatStream);
  ASSERT_EQ(openai.status, 200);
  EXPECT_NE(openai.body.find("\"content\":\"n1\""), std::string::npos);
  EXPECT_NE(openai.body.find("data: {\"error\":{\"message\":"), std::string::npos) << openai.body;
  EXPECT_NE(openai.body.find("\"type\":\"server_error\""), std::string::npos);
  EXPECT_EQ(openai.body.find("[DONE]"), std::string::npos);
  EXPECT_EQ(openai.body.find("finish_reason"), std::string::npos);

  auto anthropic = Call("/v1/messages", kMessagesStream,
                        {{"x-api-key", kKey}, {"anthropic-version", "2023-06-01"}});
  ASSERT_EQ(anthropic.status, 200);
  EXPECT_NE(anthropic.body.find("event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":"
                                "\"api_error\""),
            std::string::npos)
      << anthropic.body;
  EXPECT_EQ(anthropic.body.find("message_stop"), std::string::npos);
  auto records = WaitRecords(2);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].status, 200);
  EXPECT_NE(records[0].error, "");
  EXPECT_EQ(records[0].route, "node");
}

TEST_F(GatewayTest, RepeatedFailuresCoolANodeDown) {
  jobs_.SetNodes({Node("n1", 0), Node("n2", 50)});
  jobs_.SetScript("n1", Script::kFailBeforeData);
  GatewayOptions options;
  options.selector.failure_threshold = 2;
  options.selector.cooldown = std::chrono::minutes(1);
  Start(options);
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(Call("/v1/chat/completions", kChat).headers.GetOr("x-locai-route-target", ""), "n2");
  }
  const size_t before = jobs_.started().size();
  EXPECT_EQ(before, 4u);  // n1 then n2, twice
  EXPECT_EQ(Call("/v1/chat/completions", kChat).headers.GetOr("x-locai-route-target", ""), "n2");
  ASSERT_EQ(jobs_.started().size(), before + 1);  // n1 is out of rotation
  EXPECT_EQ(jobs_.started().back().node, "n2");
}

TEST_F(GatewayTest, NodeAnswering429IsBusyAndTheNextNodeServes) {
  jobs_.SetNodes({Node("n1", 0), Node("n2", 50)});
  jobs_.SetScript("n1", Script::kRefuse429);
  Start();
  auto response = Call("/v1/chat/completions", kChat);
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.headers.GetOr("x-locai-route-target", ""), "n2");
}

TEST_F(GatewayTest, OnpremQueuesThenRefusesWithRetryAfter) {
  jobs_.SetNodes({Node("n1", 0)});
  jobs_.SetScript("n1", Script::kHold);
  router::OrgPolicy policy;
  policy.max_queue_wait = std::chrono::milliseconds(200);
  SetPolicy(policy);
  Start();
  std::thread holder([&] { Call("/v1/chat/completions", kChat); });
  for (int i = 0; i < 200 && jobs_.held() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_EQ(jobs_.held(), 1u);
  const auto begin = std::chrono::steady_clock::now();
  auto openai = Call("/v1/chat/completions", kChat);
  EXPECT_GE(std::chrono::steady_clock::now() - begin, std::chrono::milliseconds(190));
  EXPECT_EQ(openai.status, 429);
  EXPECT_EQ(openai.headers.GetOr("retry-after", ""), "1");
  EXPECT_EQ(json::parse(openai.body)["error"]["type"], "rate_limit_error");
  auto anthropic = Call("/v1/messages", kMessagesStream,
                        {{"x-api-key", kKey}, {"anthropic-version", "2023-06-01"}});
  EXPECT_EQ(anthropic.status, 529);
  EXPECT_EQ(json::parse(anthropic.body)["error"]["type"], "overloaded_error");
  EXPECT_EQ(anthropic.headers.GetOr("retry-after", ""), "1");
  EXPECT_EQ(jobs_.started().size(), 1u);
  jobs_.ReleaseAll();
  holder.join();
}

TEST_F(GatewayTest, QueuedRequestRunsWhenTheNodeFrees) {
  jobs_.SetNodes({Node("n1", 0)});
  jobs_.SetScript("n1", Script::kHold);
  Start();
  std::thread first([&] { EXPECT_EQ(Call("/v1/chat/completions", kChat).status, 200); });
  for (int i = 0; i < 200 && jobs_.held() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::thread second([&] { EXPECT_EQ(Call("/v1/chat/completions", kChat).status, 200); });
  for (int i = 0; i < 200 && gateway_->waiting() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(gateway_->waiting(), 1u);
  jobs_.SetScript("n1", Script::kOk);
  jobs_.ReleaseAll();
  first.join();
  second.join();
  EXPECT_EQ(jobs_.started().size(), 2u);
}

TEST_F(GatewayTest, HybridFallsBackToTheCloudAfterTheWait) {
  FakeUpstream upstream(UpstreamScript{});
  AddProvider(upstream, router::ProviderKind::kOpenAi);
  SetPolicy(Hybrid(std::chrono::milliseconds(100)));
  jobs_.SetNodes({Node("n1", 0)});
  jobs_.SetScript("n1", Script::kHold);
  Start();
  std::thread holder([&] { Call("/v1/chat/completions", kChat); });
  for (int i = 0; i < 200 && jobs_.held() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  auto response = Call("/v1/chat/completions", kChatStream);
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.headers.GetOr("x-locai-route", ""), "cloud");
  EXPECT_EQ(response.headers.GetOr("x-locai-route-target", ""), "up");
  EXPECT_NE(response.body.find("\"content\":\"Hello\""), std::string::npos) << response.body;
  EXPECT_NE(response.body.find("data: [DONE]"), std::string::npos);
  ASSERT_EQ(upstream.Received().size(), 1u);
  EXPECT_NE(upstream.Received()[0].body.find("gpt-test"), std::string::npos);
  jobs_.ReleaseAll();
  holder.join();
  auto records = WaitRecords(2);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].route, "cloud");
  EXPECT_EQ(records[0].target, "up");
  EXPECT_EQ(records[0].prompt_tokens, 7);
  EXPECT_EQ(records[0].completion_tokens, 3);
  EXPECT_GT(records[0].cloud_bytes_sent, 0u);
  EXPECT_GT(records[0].cloud_bytes_received, 0u);
}

TEST_F(GatewayTest, AnthropicRequestFallsBackToAnOpenAiProvider) {
  FakeUpstream upstream(UpstreamScript{});
  AddProvider(upstream, router::ProviderKind::kOpenAi);
  SetPolicy(Hybrid(std::chrono::milliseconds(0)));
  Start();  // no node has the model: straight to the cloud
  auto streamed = Call("/v1/messages", kMessagesStream,
                       {{"x-api-key", kKey}, {"anthropic-version", "2023-06-01"}});
  ASSERT_EQ(streamed.status, 200) << streamed.body;
  EXPECT_EQ(streamed.headers.GetOr("x-locai-route", ""), "cloud");
  EXPECT_NE(streamed.body.find("event: message_start"), std::string::npos);
  EXPECT_NE(streamed.body.find("\"text\":\"Hello\""), std::string::npos) << streamed.body;
  EXPECT_NE(streamed.body.find("event: message_stop"), std::string::npos);
  EXPECT_EQ(upstream.Received().at(0).path, "/v1/chat/completions");
  auto whole = Call("/v1/messages",
                    R"({"model":"m","max_tokens":10,"messages":[{"role":"user","content":"hi"}]})",
                    {{"x-api-key", kKey}, {"anthropic-version", "2023-06-01"}});
  ASSERT_EQ(whole.status, 200) << whole.body;
  json message = json::parse(whole.body);
  EXPECT_EQ(message["type"], "message");
  EXPECT_EQ(message["content"][0]["text"], "Hello, world");
}

TEST_F(GatewayTest, PiiBlockRefusesAndRedactRestores) {
  FakeUpstream upstream(UpstreamScript{.echo_piece_bytes = 3});
  AddProvider(upstream, router::ProviderKind::kOpenAi);
  router::OrgPolicy policy = Hybrid(std::chrono::milliseconds(0));
  policy.pii_action = policy::PiiAction::kBlock;
  SetPolicy(policy);
  Start();
  const std::string body =
      R"({"model":"m","messages":[{"role":"user","content":"mail jane.doe@example.com now"}]})";
  auto blocked = Call("/v1/chat/completions", body);
  EXPECT_EQ(blocked.status, 403) << blocked.body;
  EXPECT_EQ(json::parse(blocked.body)["error"]["type"], "permission_error");
  EXPECT_TRUE(upstream.Received().empty());

  policy.pii_action = policy::PiiAction::kRedact;
  SetPolicy(policy);
  auto redacted = Call("/v1/chat/completions", body);
  ASSERT_EQ(redacted.status, 200) << redacted.body;
  EXPECT_EQ(json::parse(redacted.body)["choices"][0]["message"]["content"],
            "mail jane.doe@example.com now");
  ASSERT_EQ(upstream.Received().size(), 1u);
  EXPECT_EQ(upstream.Received()[0].body.find("jane.doe"), std::string::npos);
  auto records = WaitRecords(2);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].status, 403);
  EXPECT_EQ(records[0].pii_detections, (std::map<std::string, int64_t>{{"email", 1}}));
  EXPECT_EQ(records[0].cloud_bytes_sent, 0u);
  EXPECT_EQ(records[1].pii_detections, (std::map<std::string, int64_t>{{"email", 1}}));
}

TEST_F(GatewayTest, ErrorsInEachApisFormat) {
  jobs_.SetNodes({Node("n1", 0)});
  Start();
  auto openai = Call("/v1/chat/completions", kChat, {});
  EXPECT_EQ(openai.status, 401);
  EXPECT_EQ(json::parse(openai.body)["error"]["type"], "authentication_error");
  auto anthropic = Call("/v1/messages", kMessagesStream, {{"anthropic-version", "2023-06-01"}});
  EXPECT_EQ(anthropic.status, 401);
  json error = json::parse(anthropic.body);
  EXPECT_EQ(error["type"], "error");
  EXPECT_EQ(error["error"]["type"], "authentication_error");
  // A bad request is a 400 that never reaches a node.
  auto bad = Call("/v1/chat/completions", R"({"model":"m","messages":"nope"})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(json::parse(bad.body)["error"]["type"], "invalid_request_error");
  auto no_version = Call("/v1/messages", kMessagesStream, {{"x-api-key", kKey}});
  EXPECT_EQ(no_version.status, 400);
  EXPECT_EQ(json::parse(no_version.body)["type"], "error");
  // A model no device has, under onprem: 404 model_not_found.
  auto unknown = Call("/v1/chat/completions",
                      R"({"model":"nope","messages":[{"role":"user","content":"hi"}]})");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(json::parse(unknown.body)["error"]["code"], "model_not_found");
  EXPECT_TRUE(jobs_.started().empty());
  // Refused requests are recorded too, with no route.
  auto records = WaitRecords(5);
  ASSERT_EQ(records.size(), 5u);
  EXPECT_EQ(records[0].status, 401);
  EXPECT_EQ(records[0].route, "");
  EXPECT_EQ(records[4].status, 404);
  EXPECT_EQ(records[4].org_id, "o1");
  EXPECT_EQ(records[4].model, "nope");
}

TEST_F(GatewayTest, LocalPolicyIsRefusedAtTheServer) {
  jobs_.SetNodes({Node("n1", 0)});
  router::OrgPolicy policy;
  policy.policy = router::DataPolicy::kLocal;
  SetPolicy(policy);
  Start();
  auto response = Call("/v1/chat/completions", kChat);
  EXPECT_EQ(response.status, 403);
  EXPECT_NE(json::parse(response.body)["error"]["message"].get<std::string>().find("own device"),
            std::string::npos);
  EXPECT_TRUE(jobs_.started().empty());
}

TEST_F(GatewayTest, ForwardingNodeIsNotACandidate) {
  jobs_.SetNodes({Node("n1", 0), Node("n2", 100)});
  Start();
  auto response = Call("/v1/chat/completions", kChat, {{"x-locai-node-id", "n1"}});
  ASSERT_EQ(response.status, 200);
  EXPECT_EQ(response.headers.GetOr("x-locai-route-target", ""), "n2");
  auto records = WaitRecords(1);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].actor, "node:n1");
}

TEST_F(GatewayTest, ModelsListsReadyAndCloudMappedModels) {
  FakeUpstream upstream(UpstreamScript{});
  AddProvider(upstream, router::ProviderKind::kOpenAi);
  router::OrgPolicy policy = Hybrid(std::chrono::milliseconds(0));
  policy.cloud_models = {{"cloudy", "up/gpt"}};
  SetPolicy(policy);
  fleet::RoutableNode sick = Node("n3", 0, {"sick-model"});
  sick.healthy = false;
  jobs_.SetNodes({Node("n1", 0, {"a", "b"}), Node("n2", 0, {"b", "c"}), sick,
                  Node("x", 0, {"other-org"}, "o2")});
  Start();
  auto openai = Call("/v1/models", "", {{"authorization", std::string("Bearer ") + kKey}}, "GET");
  ASSERT_EQ(openai.status, 200) << openai.body;
  json list = json::parse(openai.body);
  EXPECT_EQ(list["object"], "list");
  std::vector<std::string> ids;
  for (const auto& model : list["data"]) ids.push_back(model["id"]);
  EXPECT_EQ(ids, (std::vector<std::string>{"a", "b", "c", "cloudy"}));
  auto anthropic =
      Call("/v1/models", "", {{"x-api-key", kKey}, {"anthropic-version", "2023-06-01"}}, "GET");
  ASSERT_EQ(anthropic.status, 200);
  json alist = json::parse(anthropic.body);
  EXPECT_EQ(alist["first_id"], "a");
  EXPECT_EQ(alist["data"][0]["type"], "model");
  auto one = Call("/v1/models/b", "", {{"authorization", std::string("Bearer ") + kKey}}, "GET");
  EXPECT_EQ(json::parse(one.body)["id"], "b");
  auto missing =
      Call("/v1/models/zzz", "", {{"authorization", std::string("Bearer ") + kKey}}, "GET");
  EXPECT_EQ(missing.status, 404);
  auto anonymous = Call("/v1/models", "", {}, "GET");
  EXPECT_EQ(anonymous.status, 401);
}

TEST_F(GatewayTest, InferenceRecordCarriesTheRequest) {
  jobs_.SetNodes({Node("n1", 0)});
  capture_ = true;
  Start();
  auto response = Call("/v1/chat/completions", kChat);
  ASSERT_EQ(response.status, 200);
  auto records = WaitRecords(1);
  ASSERT_EQ(records.size(), 1u);
  const InferenceRecord& record = records[0];
  EXPECT_EQ(record.request_id, response.headers.GetOr("x-request-id", ""));
  EXPECT_EQ(record.org_id, "o1");
  EXPECT_EQ(record.actor, "key:k1");
  EXPECT_EQ(record.endpoint, "/v1/chat/completions");
  EXPECT_EQ(record.model, "m");
  EXPECT_EQ(record.route, "node");
  EXPECT_EQ(record.target, "n1");
  EXPECT_EQ(record.prompt_tokens, 11);
  EXPECT_EQ(record.completion_tokens, 5);
  EXPECT_EQ(record.status, 200);
  EXPECT_GT(record.at_ms, 0);
  EXPECT_EQ(record.prompt_text, "user: hi\n");
  EXPECT_EQ(record.completion_text, response.body);
  capture_ = false;
  Call("/v1/chat/completions", kChat);
  records = WaitRecords(2);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1].prompt_text, "");
  EXPECT_EQ(records[1].completion_text, "");
}

TEST_F(GatewayTest, StopAnswersOpenRequestsAndCancelsTheirJobs) {
  jobs_.SetNodes({Node("n1", 0)});
  jobs_.SetScript("n1", Script::kHold);
  Start();
  net::ClientResponse running;
  net::ClientResponse waiting;
  std::thread first([&] { running = Call("/v1/chat/completions", kChat); });
  for (int i = 0; i < 200 && jobs_.held() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::thread second([&] { waiting = Call("/v1/chat/completions", kChat); });
  for (int i = 0; i < 200 && gateway_->waiting() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  gateway_->Stop();
  first.join();
  second.join();
  EXPECT_EQ(running.status, 503);
  EXPECT_EQ(running.headers.GetOr("x-locai-route-target", ""), "n1");
  EXPECT_EQ(waiting.status, 503);
  EXPECT_EQ(jobs_.cancelled().size(), 1u);
  EXPECT_EQ(Call("/v1/chat/completions", kChat).status, 503);  // after Stop, at once
}

// Opens a connection and sends a request without reading the answer.
int SendRaw(uint16_t port, const std::string& body) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    ::close(fd);
    return -1;
  }
  std::string request = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                        std::string(kKey) + "\r\nContent-Type: application/json\r\n" +
                        "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size())) {
    ::close(fd);
    return -1;
  }
  return fd;
}

TEST_F(GatewayTest, TwoHundredQueuedRequestsBlockNoIoThread) {
  jobs_.SetNodes({Node("n1", 0)});
  jobs_.SetScript("n1", Script::kHold);
  router::OrgPolicy policy;
  policy.max_queue_wait = std::chrono::seconds(30);
  SetPolicy(policy);
  Start();
  std::vector<int> fds;
  for (int i = 0; i < 201; ++i) {
    int fd = SendRaw(server_->port(), kChat);
    ASSERT_GE(fd, 0);
    fds.push_back(fd);
  }
  for (int i = 0; i < 400 && gateway_->waiting() < 200; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(gateway_->waiting(), 200u);
  EXPECT_EQ(gateway_->running(), 1u);
  const auto begin = std::chrono::steady_clock::now();
  auto health = Call("/health", "", {}, "GET");
  EXPECT_EQ(health.status, 200);
  EXPECT_LT(std::chrono::steady_clock::now() - begin, std::chrono::milliseconds(500));
  // A client that goes away leaves the queue; the running one's job is cancelled.
  for (int fd : fds) ::close(fd);
  for (int i = 0; i < 400 && (gateway_->waiting() > 0 || gateway_->running() > 0); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(gateway_->waiting(), 0u);
  EXPECT_EQ(gateway_->running(), 0u);
  // Each job started (the first, then waiters the node took as earlier clients left) was cancelled.
  EXPECT_EQ(jobs_.cancelled().size(), jobs_.started().size());
  EXPECT_EQ(jobs_.held(), 0u);
  auto records = WaitRecords(201);
  EXPECT_EQ(records.size(), 201u);
  EXPECT_EQ(records.back().status, 499);
}

}  // namespace
}  // namespace locai::control::gateway

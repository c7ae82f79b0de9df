// NodeJobs over the fleet link with a fake node (a real HttpServer and WebSocket client): jobs
// streamed to the observer in order, unknown ids ignored, link loss failing only that node's
// jobs, cancel, the routing view, and request_log records reaching the inference callback.

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "control/fleet/testing/fleet_env.h"

namespace locai::control::fleet {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using testing::Digest;
using testing::FleetEnv;
using testing::kGB;
using testing::ReceiveType;
using testing::TestNode;

// Records the observer's calls as lines ("head 200", "data x", "end 3/5", "failed <message>").
class RecordingObserver : public NodeJobObserver {
 public:
  void OnHead(int status, std::vector<std::pair<std::string, std::string>> headers) override {
    std::string line = "head " + std::to_string(status);
    for (const auto& [name, value] : headers) line += " " + name + "=" + value;
    Add(line);
  }
  void OnData(std::string data) override { Add("data " + data); }
  void OnEnd(NodeJobUsage usage) override {
    Add("end " + std::to_string(usage.prompt_tokens) + "/" +
        std::to_string(usage.completion_tokens));
  }
  void OnFailed(Status status) override { Add("failed " + status.message()); }

  // Waits until `count` calls arrived (5 s at most); the calls so far.
  std::vector<std::string> WaitFor(size_t count) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, 5s, [&] { return calls_.size() >= count; });
    return calls_;
  }
  std::vector<std::string> calls() {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_;
  }

 private:
  void Add(std::string line) {
    std::lock_guard<std::mutex> lock(mu_);
    calls_.push_back(std::move(line));
    cv_.notify_all();
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> calls_;
};

std::string Hello(const TestNode& node, json models = json::array()) {
  return json{{"type", "hello"},
              {"node_id", node.id},
              {"version", "test"},
              {"capabilities", {{"hostname", "fake"}, {"ram_free", 8 * kGB}}},
              {"models", std::move(models)}}
      .dump();
}

// A fake node connected and welcomed.
std::unique_ptr<net::WebSocketClient> ConnectNode(FleetEnv& env, const TestNode& node,
                                                  json models = json::array()) {
  auto link = env.Connect(node);
  EXPECT_TRUE(link.has_value());
  if (!link) return nullptr;
  EXPECT_TRUE((*link)->Send(Hello(node, std::move(models))).ok());
  EXPECT_TRUE(ReceiveType(**link, "welcome").is_object());
  return std::move(*link);
}

NodeJob ChatJob() {
  NodeJob job;
  job.path = "/v1/chat/completions";
  job.headers = {{"x-request-id", "req-1"}, {"content-type", "application/json"}};
  job.body = R"({"model":"m:1","messages":[{"role":"user","content":"hi"}],"stream":true})";
  return job;
}

template <typename Predicate>
bool Eventually(Predicate predicate) {
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (predicate()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return predicate();
}

TEST(LinkJobsTest, AJobIsSentAndItsAnswerStreamedToTheObserverInOrder) {
  FleetEnv env;
  TestNode node = env.Enroll("pc-1");
  auto link = ConnectNode(env, node);
  ASSERT_NE(link, nullptr);

  auto observer = std::make_shared<RecordingObserver>();
  auto id = env.fleet().jobs().StartJob(node.id, ChatJob(), observer);
  ASSERT_TRUE(id.has_value()) << id.error().ToString();
  EXPECT_EQ(id->rfind("job-", 0), 0u);
  json job = ReceiveType(*link, "job");
  ASSERT_TRUE(job.is_object());
  EXPECT_EQ(job["id"], *id);
  EXPECT_EQ(job["method"], "POST");
  EXPECT_EQ(job["path"], "/v1/chat/completions");
  EXPECT_EQ(job["headers"]["x-request-id"], "req-1");
  EXPECT_EQ(job["body"], ChatJob().body);

  // Frames for ids the hub does not know are ignored (and do not close the link).
  ASSERT_TRUE(link->Send(json{{"type", "job_data"}, {"id", "job-0-x"}, {"data", "?"}}.dump()).ok());
  ASSERT_TRUE(link->Send(json{{"type", "job_head"},
                              {"id", *id},
                              {"status", 200},
                              {"headers", {{"content-type", "text/event-stream"}}}}
                             .dump())
                  .ok());
  ASSERT_TRUE(
      link->Send(json{{"type", "job_data"}, {"id", *id}, {"data", "data: a\n\n"}}.dump()).ok());
  ASSERT_TRUE(
      link->Send(json{{"type", "job_data"}, {"id", *id}, {"data", "data: b\n\n"}}.dump()).ok());
  ASSERT_TRUE(link->Send(json{{"type", "job_end"},
                              {"id", *id},
                              {"usage", {{"prompt_tokens", 7}, {"completion_tokens", 2}}}}
                             .dump())
                  .ok());
  // After the end, the id is unknown again.
  ASSERT_TRUE(link->Send(json{{"type", "job_data"}, {"id", *id}, {"data", "late"}}.dump()).ok());
  EXPECT_EQ(observer->WaitFor(4),
            (std::vector<std::string>{"head 200 content-type=text/event-stream", "data data: a\n\n",
                                      "data data: b\n\n", "end 7/2"}));
  // A second job gets another id; the late frame above changed nothing.
  auto second =
      env.fleet().jobs().StartJob(node.id, ChatJob(), std::make_shared<RecordingObserver>());
  ASSERT_TRUE(second.has_value());
  EXPECT_NE(*second, *id);
  ASSERT_TRUE(ReceiveType(*link, "job").is_object());
  EXPECT_EQ(observer->calls().size(), 4u);
  EXPECT_EQ(env.fleet().connected_nodes(), 1u);
}

TEST(LinkJobsTest, JobErrorFailsTheJobWithTheNodesMessage) {
  FleetEnv env;
  TestNode node = env.Enroll("pc-1");
  auto link = ConnectNode(env, node);
  ASSERT_NE(link, nullptr);
  auto observer = std::make_shared<RecordingObserver>();
  auto id = env.fleet().jobs().StartJob(node.id, ChatJob(), observer);
  ASSERT_TRUE(id.has_value());
  ASSERT_TRUE(ReceiveType(*link, "job").is_object());
  ASSERT_TRUE(
      link->Send(json{{"type", "job_error"}, {"id", *id}, {"message", "node stopping"}}.dump())
          .ok());
  EXPECT_EQ(observer->WaitFor(1), std::vector<std::string>{"failed node stopping"});
}

TEST(LinkJobsTest, StartJobOnANodeWithoutLinkIsUnavailable) {
  FleetEnv env;
  TestNode node = env.Enroll("pc-1");
  auto id = env.fleet().jobs().StartJob(node.id, ChatJob(), std::make_shared<RecordingObserver>());
  ASSERT_FALSE(id.has_value());
  EXPECT_EQ(id.error().code(), StatusCode::kUnavailable);
  env.fleet().jobs().CancelJob("job-1-unknown");  // no-op
}

TEST(LinkJobsTest, LinkLossFailsEveryJobOfThatNodeOnly) {
  FleetEnv env;
  TestNode first = env.Enroll("pc-1");
  TestNode second = env.Enroll("pc-2");
  auto first_link = ConnectNode(env, first);
  auto second_link = ConnectNode(env, second);
  ASSERT_NE(first_link, nullptr);
  ASSERT_NE(second_link, nullptr);

  auto a = std::make_shared<RecordingObserver>();
  auto b = std::make_shared<RecordingObserver>();
  auto other = std::make_shared<RecordingObserver>();
  ASSERT_TRUE(env.fleet().jobs().StartJob(first.id, ChatJob(), a).has_value());
  ASSERT_TRUE(env.fleet().jobs().StartJob(first.id, ChatJob(), b).has_value());
  auto other_id = env.fleet().jobs().StartJob(second.id, ChatJob(), other);
  ASSERT_TRUE(other_id.has_value());
  ASSERT_TRUE(ReceiveType(*second_link, "job").is_object());

  first_link->Close();
  const std::string expected = "failed node " + first.id + ": link lost (connection closed)";
  EXPECT_EQ(a->WaitFor(1), std::vector<std::string>{expected});
  EXPECT_EQ(b->WaitFor(1), std::vector<std::string>{expected});

  // The other node's job goes on.
  ASSERT_TRUE(
      second_link->Send(json{{"type", "job_head"}, {"id", *other_id}, {"status", 200}}.dump())
          .ok());
  ASSERT_TRUE(second_link->Send(json{{"type", "job_end"}, {"id", *other_id}}.dump()).ok());
  EXPECT_EQ(other->WaitFor(2), (std::vector<std::string>{"head 200", "end 0/0"}));
}

TEST(LinkJobsTest, RevocationAndMissedHeartbeatsFailTheNodesJobs) {
  FleetEnv env;
  TestNode revoked = env.Enroll("pc-1");
  TestNode silent = env.Enroll("pc-2");
  auto revoked_link = ConnectNode(env, revoked);
  auto silent_link = ConnectNode(env, silent);
  ASSERT_NE(revoked_link, nullptr);
  ASSERT_NE(silent_link, nullptr);
  auto on_revoked = std::make_shared<RecordingObserver>();
  auto on_silent = std::make_shared<RecordingObserver>();
  ASSERT_TRUE(env.fleet().jobs().StartJob(revoked.id, ChatJob(), on_revoked).has_value());
  ASSERT_TRUE(env.fleet().jobs().StartJob(silent.id, ChatJob(), on_silent).has_value());

  env.CallJson("POST", "/v1/admin/nodes/" + revoked.id + "/revoke", env.admin_key);
  EXPECT_EQ(on_revoked->WaitFor(1),
            std::vector<std::string>{"failed node " + revoked.id + ": link lost (revoked)"});
  EXPECT_TRUE(on_silent->calls().empty());

  env.Advance(61'000);
  env.fleet().SweepHealth();
  EXPECT_EQ(on_silent->WaitFor(1),
            std::vector<std::string>{"failed node " + silent.id +
                                     ": link lost (offline: missed heartbeats)"});
}

TEST(LinkJobsTest, CancelSendsJobCancelAndStopsTheObserver) {
  FleetEnv env;
  TestNode node = env.Enroll("pc-1");
  auto link = ConnectNode(env, node);
  ASSERT_NE(link, nullptr);
  auto observer = std::make_shared<RecordingObserver>();
  auto id = env.fleet().jobs().StartJob(node.id, ChatJob(), observer);
  ASSERT_TRUE(id.has_value());
  ASSERT_TRUE(ReceiveType(*link, "job").is_object());
  ASSERT_TRUE(link->Send(json{{"type", "job_head"}, {"id", *id}, {"status", 200}}.dump()).ok());
  EXPECT_EQ(observer->WaitFor(1), std::vector<std::string>{"head 200"});

  env.fleet().jobs().CancelJob(*id);
  json cancel = ReceiveType(*link, "job_cancel");
  ASSERT_TRUE(cancel.is_object());
  EXPECT_EQ(cancel["id"], *id);
  ASSERT_TRUE(link->Send(json{{"type", "job_data"}, {"id", *id}, {"data", "x"}}.dump()).ok());
  ASSERT_TRUE(link->Send(json{{"type", "job_end"}, {"id", *id}}.dump()).ok());
  link->Close();
  EXPECT_TRUE(Eventually([&] { return env.fleet().connected_nodes() == 0; }));
  EXPECT_EQ(observer->calls(), std::vector<std::string>{"head 200"});
}

TEST(LinkJobsTest, RoutableNodesFollowHelloHeartbeatsLabelsAndDeployments) {
  FleetEnv env;
  env.AddModel("m", "1", Digest('a'), 1 * kGB);
  env.CallJson("POST", "/v1/admin/deployments", env.deployer_key,
               json{{"model", "m:1"}, {"target", {{"all", true}}}, {"parallel", 3}}.dump(), 201);
  TestNode node = env.Enroll("pc-1", "ward");
  TestNode other = env.Enroll("pc-2");
  EXPECT_TRUE(env.fleet().jobs().RoutableNodes(testing::kOrg).empty());

  json models =
      json::array({{{"digest", Digest('a')}, {"names", {"m:1", "m:latest"}}, {"state", "ready"}},
                   {{"digest", Digest('b')}, {"names", {"other:1"}}, {"state", "downloading"}}});
  auto link = ConnectNode(env, node, models);
  ASSERT_NE(link, nullptr);
  ASSERT_TRUE(ReceiveType(*link, "desired_models").is_object());
  auto other_link = ConnectNode(env, other);  // said hello, holds nothing
  ASSERT_NE(other_link, nullptr);

  auto find = [&](const std::string& id) {
    for (RoutableNode& routable : env.fleet().jobs().RoutableNodes(testing::kOrg)) {
      if (routable.id == id) return routable;
    }
    return RoutableNode{};
  };
  RoutableNode routable = find(node.id);
  EXPECT_EQ(routable.org_id, testing::kOrg);
  EXPECT_EQ(routable.group, "ward");
  EXPECT_TRUE(routable.healthy);
  EXPECT_EQ(routable.models_ready, (std::vector<std::string>{"m:1", "m:latest"}));
  EXPECT_EQ(routable.slots["m:1"], 3);       // the deployment's parallel
  EXPECT_EQ(routable.slots["m:latest"], 1);  // not a desired name: unknown
  EXPECT_EQ(routable.outstanding_tokens, 0);
  EXPECT_EQ(find(other.id).id, other.id);
  EXPECT_TRUE(find(other.id).models_ready.empty());
  EXPECT_TRUE(env.fleet().jobs().RoutableNodes("o_other").empty());

  ASSERT_TRUE(
      link->Send(json{{"type", "heartbeat"}, {"models", models}, {"queue_depth", 4}}.dump()).ok());
  EXPECT_TRUE(Eventually([&] { return find(node.id).outstanding_tokens == 4; }));
  env.CallJson("POST", "/v1/admin/nodes/" + node.id + "/labels", env.admin_key,
               R"({"set":{"site":"b"},"group":"office"})");
  routable = find(node.id);
  EXPECT_EQ(routable.group, "office");
  EXPECT_EQ(routable.labels, (std::map<std::string, std::string>{{"site", "b"}}));

  env.Advance(16'000);  // 3 heartbeats missed
  env.fleet().SweepHealth();
  EXPECT_FALSE(find(node.id).healthy);
  ASSERT_TRUE(link->Send(json{{"type", "heartbeat"}, {"queue_depth", 0}}.dump()).ok());
  EXPECT_TRUE(Eventually([&] { return find(node.id).healthy; }));
}

TEST(LinkJobsTest, RequestLogRecordsReachTheInferenceCallback) {
  std::mutex mu;
  std::vector<InferenceRecord> records;
  FleetOptions options;
  options.inference = [&](const InferenceRecord& record) {
    std::lock_guard<std::mutex> lock(mu);
    records.push_back(record);
  };
  FleetEnv env(options);
  TestNode node = env.Enroll("pc-1");
  auto link = ConnectNode(env, node);
  ASSERT_NE(link, nullptr);
  json frame = {{"type", "request_log"},
                {"records",
                 {{{"request_id", "req-a"},
                   {"endpoint", "/v1/chat/completions"},
                   {"model", "m:1"},
                   {"status", 200},
                   {"prompt_tokens", 12},
                   {"completion_tokens", 30},
                   {"duration_ms", 450},
                   {"at_ms", 1700000000000},
                   {"error", ""}},
                  {{"request_id", "req-b"},
                   {"endpoint", "/v1/messages"},
                   {"model", "m:1"},
                   {"status", 400},
                   {"error", "bad"}}}}};
  ASSERT_TRUE(link->Send(frame.dump()).ok());
  ASSERT_TRUE(Eventually([&] {
    std::lock_guard<std::mutex> lock(mu);
    return records.size() == 2;
  }));
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_EQ(records[0].request_id, "req-a");
  EXPECT_EQ(records[0].org_id, testing::kOrg);
  EXPECT_EQ(records[0].actor, "node:" + node.id);
  EXPECT_EQ(records[0].route, "local");
  EXPECT_EQ(records[0].target, "");
  EXPECT_EQ(records[0].endpoint, "/v1/chat/completions");
  EXPECT_EQ(records[0].model, "m:1");
  EXPECT_EQ(records[0].status, 200);
  EXPECT_EQ(records[0].prompt_tokens, 12);
  EXPECT_EQ(records[0].completion_tokens, 30);
  EXPECT_EQ(records[0].duration_ms, 450);
  EXPECT_EQ(records[0].at_ms, 1700000000000);
  EXPECT_EQ(records[1].status, 400);
  EXPECT_EQ(records[1].error, "bad");
}

}  // namespace
}  // namespace locai::control::fleet

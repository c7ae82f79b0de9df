#include "node/agent/fleet_agent.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "node/agent/blob_puller.h"
#include "node/agent/node_model_host.h"
#include "node/agent/test_fakes.h"
#include "node/agent/test_registry.h"
#include "node/test_util.h"

namespace locai::node::agent {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using testing::FakeConnection;
using testing::FakeFleetServer;
using testing::FakeHost;
using testing::NextOfType;

const std::string kA = "sha256:" + std::string(64, 'a');

// The next model_status of `digest` in state `state`.
json NextStatus(FakeConnection& connection, const std::string& digest, const std::string& state,
                std::chrono::milliseconds timeout = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    json message = NextOfType(connection, "model_status", 100ms);
    if (message.is_null()) continue;
    if (message["digest"] == digest && message["state"] == state) return message;
  }
  return nullptr;
}

template <typename Fn>
bool WaitFor(Fn condition, std::chrono::milliseconds timeout = 5s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return condition();
}

FleetAgentOptions AgentOptions(FakeFleetServer& server, ModelHost& host) {
  FleetAgentOptions options;
  options.node_id = "n_test";
  options.connect = server.Factory();
  options.host = &host;
  options.capabilities = [] { return json{{"ram_free", 1234}}; };
  options.load = [] { return AgentLoad{3, 0}; };
  options.backoff_initial = 5ms;
  options.backoff_max = 20ms;
  options.default_heartbeat = 50ms;
  options.log = [](std::string_view, std::string_view) {};
  return options;
}

std::string DesiredJson(const std::string& digest, const std::vector<std::string>& names,
                        uint64_t size = 100) {
  return json{{"type", "desired_models"},
              {"models",
               {{{"digest", digest},
                 {"names", names},
                 {"size", size},
                 {"context_length", 128},
                 {"parallel", 1}}}}}
      .dump();
}

TEST(FleetAgentTest, HelloHeartbeatsAndModelStatusOverTheLink) {
  FakeFleetServer server;
  FakeHost host;
  FleetAgent agent(AgentOptions(server, host));
  ASSERT_TRUE(agent.Start().ok());
  auto connection = server.Accept(0, 5s);
  ASSERT_NE(connection, nullptr);
  json hello = NextOfType(*connection, "hello");
  ASSERT_FALSE(hello.is_null());
  EXPECT_EQ(hello["node_id"], "n_test");
  EXPECT_EQ(hello["capabilities"]["ram_free"], 1234);
  EXPECT_TRUE(hello["models"].is_array());
  EXPECT_TRUE(hello.contains("version"));

  json heartbeat = NextOfType(*connection, "heartbeat");
  ASSERT_FALSE(heartbeat.is_null());
  EXPECT_EQ(heartbeat["queue_depth"], 3);
  EXPECT_EQ(heartbeat["tokens_per_second"], 0.0);
  EXPECT_EQ(heartbeat["capabilities"]["ram_free"], 1234);
  EXPECT_TRUE(agent.connected());

  connection->to_node.Push(R"({"type":"welcome","heartbeat_seconds":1})");
  connection->to_node.Push(DesiredJson(kA, {"llama3.2:1b"}));
  json ready = NextStatus(*connection, kA, "ready");
  ASSERT_FALSE(ready.is_null());
  EXPECT_EQ(ready["names"], json::array({"llama3.2:1b"}));
  EXPECT_EQ(ready["progress"], 1.0);
  EXPECT_EQ(host.loaded[kA], std::vector<std::string>{"llama3.2:1b"});

  // Heartbeats now carry the model, at the welcome's interval (1 s).
  const auto before = std::chrono::steady_clock::now();
  heartbeat = NextOfType(*connection, "heartbeat", 3s);
  ASSERT_FALSE(heartbeat.is_null());
  EXPECT_GT(std::chrono::steady_clock::now() - before, 500ms);
  ASSERT_EQ(heartbeat["models"].size(), 1u);
  EXPECT_EQ(heartbeat["models"][0]["state"], "ready");

  connection->to_node.Push(R"({"type":"desired_models","models":[]})");
  EXPECT_FALSE(NextStatus(*connection, kA, "removed").is_null());
  EXPECT_TRUE(agent.models().empty());
  agent.Stop();
  EXPECT_FALSE(agent.connected());
}

TEST(FleetAgentTest, ReconnectsWithBackoffAndSaysHelloWithItsModels) {
  FakeFleetServer server;
  server.Refuse(3);
  FakeHost host;
  FleetAgent agent(AgentOptions(server, host));
  ASSERT_TRUE(agent.Start().ok());
  auto first = server.Accept(0, 5s);
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(server.attempts(), 4);
  first->to_node.Push(R"({"type":"welcome","heartbeat_seconds":5})");
  first->to_node.Push(DesiredJson(kA, {"m:1"}));
  ASSERT_FALSE(NextStatus(*first, kA, "ready").is_null());

  first->Close();  // the connection is lost
  auto second = server.Accept(1, 5s);
  ASSERT_NE(second, nullptr);
  json hello = NextOfType(*second, "hello");
  ASSERT_FALSE(hello.is_null());
  ASSERT_EQ(hello["models"].size(), 1u);
  EXPECT_EQ(hello["models"][0]["digest"], kA);
  EXPECT_EQ(hello["models"][0]["state"], "ready");
  EXPECT_TRUE(WaitFor([&] { return agent.connections() == 2; }));
  // The same desired list again after the reconnect: nothing to do.
  host.TakeCalls();
  second->to_node.Push(DesiredJson(kA, {"m:1"}));
  std::this_thread::sleep_for(50ms);
  EXPECT_TRUE(host.TakeCalls().empty());
}

TEST(FleetAgentTest, RevokedStopsForGood) {
  FakeFleetServer server;
  FakeHost host;
  FleetAgentOptions options = AgentOptions(server, host);
  std::string revoked_reason;
  options.on_revoked = [&](std::string_view reason) { revoked_reason = reason; };
  FleetAgent agent(std::move(options));
  ASSERT_TRUE(agent.Start().ok());
  auto connection = server.Accept(0, 5s);
  ASSERT_NE(connection, nullptr);
  connection->to_node.Push(R"({"type":"revoked","reason":"decommissioned"})");
  ASSERT_TRUE(WaitFor([&] { return agent.revoked(); }));
  EXPECT_EQ(agent.revoked_reason(), "decommissioned");
  EXPECT_TRUE(WaitFor([&] { return !agent.connected(); }));
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(server.attempts(), 1);  // no reconnect
  agent.Stop();
  EXPECT_EQ(revoked_reason, "decommissioned");
}

TEST(FleetAgentTest, IgnoresMalformedFramesAndStopsPromptlyWhileConnected) {
  FakeFleetServer server;
  FakeHost host;
  FleetAgent agent(AgentOptions(server, host));
  ASSERT_TRUE(agent.Start().ok());
  auto connection = server.Accept(0, 5s);
  ASSERT_NE(connection, nullptr);
  connection->to_node.Push("not json");
  connection->to_node.Push(R"({"type":"desired_models","models":[{"digest":"md5:x"}]})");
  connection->to_node.Push(R"({"type":"from_the_future"})");
  EXPECT_FALSE(NextOfType(*connection, "heartbeat").is_null());
  EXPECT_EQ(server.attempts(), 1);
  const auto before = std::chrono::steady_clock::now();
  agent.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - before, 2s);
  EXPECT_FALSE(agent.Start().ok());
}

// The whole device side: a real registry over HTTP, the BlobPuller, the ModelManager and the
// agent; the deployed model is served under its registry name, then removed again.
TEST(FleetAgentTest, DeploysARealModelUnderItsRegistryNameAndRemovesIt) {
  node::testing::TempDir dir;
  std::ifstream in(std::string(LOCAI_CONFORMANCE_DIR) + "/models/stories260K.gguf",
                   std::ios::binary);
  std::stringstream model_bytes;
  model_bytes << in.rdbuf();
  testing::FakeRegistry registry;
  const std::string digest = registry.Put(model_bytes.str());
  auto connector = testing::LoopbackConnector();
  BlobPullerOptions puller_options;
  puller_options.blobs_dir = dir.Join("node/blobs");
  puller_options.server_url = registry.url();
  BlobPuller puller(std::move(puller_options), connector);
  ModelManagerOptions manager_options;
  manager_options.n_threads = 1;
  manager_options.background_unload = false;
  ModelManager manager(ModelDirectory(), manager_options);
  NodeModelHost host(puller, manager);

  FakeFleetServer server;
  FleetAgent agent(AgentOptions(server, host));
  ASSERT_TRUE(agent.Start().ok());
  auto connection = server.Accept(0, 5s);
  ASSERT_NE(connection, nullptr);
  connection->to_node.Push(DesiredJson(digest, {"stories:260k"}, model_bytes.str().size()));
  json ready = NextStatus(*connection, digest, "ready");
  ASSERT_FALSE(ready.is_null()) << "no ready status";

  EXPECT_EQ(manager.directory()->Names(), std::vector<std::string>{"stories:260k"});
  auto lease = manager.Acquire("stories:260k");
  ASSERT_TRUE(lease) << lease.error().ToString();
  EXPECT_EQ((*lease)->id(), digest);
  EXPECT_EQ((*lease)->context_length(), 128);  // the deployment's context_length
  const std::string path = *puller.PathFor(digest);
  EXPECT_TRUE(std::filesystem::exists(path));

  // Removed while a lease holds it: gone from the directory at once, unloaded once released.
  connection->to_node.Push(R"({"type":"desired_models","models":[]})");
  ASSERT_FALSE(NextStatus(*connection, digest, "removed").is_null());
  EXPECT_TRUE(manager.directory()->Names().empty());
  EXPECT_FALSE(manager.Acquire("stories:260k"));
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_EQ(manager.Snapshot().size(), 1u);
  lease->Release();
  EXPECT_EQ(manager.UnloadIdle(), 1u);
  EXPECT_TRUE(manager.Snapshot().empty());
  agent.Stop();
}

}  // namespace
}  // namespace locai::node::agent

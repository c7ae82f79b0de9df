// The fleet link with a fake node: a real HttpServer, the net's WebSocket client, an injected
// clock.

#include <gtest/gtest.h>

#include <thread>

#include "control/fleet/testing/fleet_env.h"

namespace locai::control::fleet {
namespace {

using namespace std::chrono_literals;
using testing::DesiredDigests;
using testing::Digest;
using testing::FleetEnv;
using testing::kGB;
using testing::ReceiveType;
using testing::TestNode;

std::string Hello(const TestNode& node, int64_t ram_free,
                  nlohmann::json models = nlohmann::json::array()) {
  return nlohmann::json{{"type", "hello"},
                        {"node_id", node.id},
                        {"version", "test"},
                        {"capabilities", {{"hostname", "fake"}, {"ram_free", ram_free}}},
                        {"models", std::move(models)}}
      .dump();
}

std::string ModelStatus(const std::string& digest, const std::string& state, double progress = 0,
                        const std::string& reason = "") {
  return nlohmann::json{{"type", "model_status"},
                        {"digest", digest},
                        {"state", state},
                        {"progress", progress},
                        {"reason", reason}}
      .dump();
}

// Polls `predicate` for up to 5 s (the fleet works on the server's threads).
template <typename Predicate>
bool Eventually(Predicate predicate) {
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (predicate()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return predicate();
}

std::string DeploymentBody(const std::string& model, nlohmann::json target,
                           nlohmann::json extra = nlohmann::json::object()) {
  extra["model"] = model;
  extra["target"] = std::move(target);
  return extra.dump();
}

TEST(HubTest, HelloGetsWelcomeThenDesiredModels) {
  FleetEnv env;
  env.AddModel("llama3.2", "1b", Digest('a'), 1 * kGB);
  env.CallJson("POST", "/v1/admin/deployments", env.deployer_key,
               DeploymentBody("llama3.2:1b", {{"all", true}}), 201);
  TestNode node = env.Enroll("pc-1");
  auto link = env.Connect(node);
  ASSERT_TRUE(link.has_value()) << link.error().ToString();
  ASSERT_TRUE((*link)->Send(Hello(node, 8 * kGB)).ok());

  auto first = (*link)->Receive(5s);
  ASSERT_TRUE(first.has_value());
  auto welcome = nlohmann::json::parse(*first);
  EXPECT_EQ(welcome["type"], "welcome");
  EXPECT_EQ(welcome["heartbeat_seconds"], 5);
  auto second = (*link)->Receive(5s);
  ASSERT_TRUE(second.has_value());
  auto desired = nlohmann::json::parse(*second);
  EXPECT_EQ(desired["type"], "desired_models");
  ASSERT_EQ(desired["models"].size(), 1u);
  EXPECT_EQ(desired["models"][0]["digest"], Digest('a'));
  EXPECT_EQ(desired["models"][0]["names"], nlohmann::json::array({"llama3.2:1b"}));
  EXPECT_EQ(desired["models"][0]["size"], 1 * kGB);
  EXPECT_EQ(desired["models"][0]["context_length"], 2048);  // the model's, below the default
  EXPECT_EQ(desired["models"][0]["parallel"], 1);

  EXPECT_EQ(env.fleet().connected_nodes(), 1u);
  EXPECT_TRUE(Eventually([&] { return env.store().GetNode(node.id)->status == "online"; }));
}

TEST(HubTest, UnsignedOrWronglySignedConnectIsRefusedBeforeUpgrade) {
  FleetEnv env;
  TestNode node = env.Enroll("pc-1");
  TestNode impostor = node;
  impostor.private_key = std::string(32, 'x');  // not the enrolled key
  auto link = env.Connect(impostor);
  ASSERT_FALSE(link.has_value());
  EXPECT_EQ(link.error().code(), StatusCode::kUnauthenticated) << link.error().ToString();
  EXPECT_EQ(env.fleet().connected_nodes(), 0u);
}

TEST(HubTest, DeploymentsArePushedAndNodeStatesFollowReports) {
  FleetEnv env;
  env.AddModel("llama3.2", "1b", Digest('a'), 1 * kGB);
  TestNode node = env.Enroll("pc-1");
  auto link = env.Connect(node);
  ASSERT_TRUE(link.has_value());
  ASSERT_TRUE((*link)->Send(Hello(node, 8 * kGB)).ok());
  auto empty = ReceiveType(**link, "desired_models");
  ASSERT_TRUE(empty.is_object());
  EXPECT_TRUE(empty["models"].empty());

  nlohmann::json created = env.CallJson("POST", "/v1/admin/deployments", env.deployer_key,
                                        DeploymentBody("llama3.2:1b", {{"all", true}}), 201);
  EXPECT_EQ(created["name"], "llama3.2:1b");
  EXPECT_EQ(created["digest"], Digest('a'));
  ASSERT_EQ(created["nodes"].size(), 1u);
  EXPECT_EQ(created["nodes"][0]["state"], "pending");
  EXPECT_EQ(created["nodes"][0]["node_name"], "pc-1");
  auto pushed = ReceiveType(**link, "desired_models");
  EXPECT_EQ(DesiredDigests(pushed), std::vector<std::string>{Digest('a')});

  auto node_state = [&] {
    nlohmann::json list = env.CallJson("GET", "/v1/admin/deployments", env.deployer_key);
    return list["data"][0]["nodes"][0];
  };
  ASSERT_TRUE((*link)->Send(ModelStatus(Digest('a'), "downloading", 0.43)).ok());
  EXPECT_TRUE(Eventually([&] {
    auto state = node_state();
    return state["state"] == "downloading" &&
           std::abs(state["progress"].get<double>() - 0.43) < 1e-9;
  }));
  ASSERT_TRUE((*link)->Send(ModelStatus(Digest('a'), "ready", 1)).ok());
  EXPECT_TRUE(Eventually([&] { return node_state()["state"] == "ready"; }));
  ASSERT_TRUE((*link)->Send(ModelStatus(Digest('a'), "failed", 0, "disk full")).ok());
  EXPECT_TRUE(Eventually([&] {
    auto state = node_state();
    return state["state"] == "failed" && state["reason"] == "disk full";
  }));

  // By name or id; deleting it empties the node's desired set.
  const std::string id = created["id"];
  EXPECT_EQ(env.CallJson("GET", "/v1/admin/deployments/llama3.2:1b", env.deployer_key)["id"], id);
  env.CallJson("DELETE", "/v1/admin/deployments/" + id, env.deployer_key);
  auto after_delete = ReceiveType(**link, "desired_models");
  ASSERT_TRUE(after_delete.is_object());
  EXPECT_TRUE(after_delete["models"].empty());
  EXPECT_EQ(env.Call("GET", "/v1/admin/deployments/" + id, env.deployer_key).status, 404);
}

TEST(HubTest, NodeTooSmallShowsDoesNotFit) {
  FleetEnv env;
  env.AddModel("big", "7b", Digest('b'), 5'100'000'000);
  TestNode node = env.Enroll("small-pc");
  auto link = env.Connect(node);
  ASSERT_TRUE(link.has_value());
  ASSERT_TRUE((*link)->Send(Hello(node, 3'200'000'000)).ok());
  ASSERT_TRUE(ReceiveType(**link, "desired_models").is_object());
  nlohmann::json created = env.CallJson("POST", "/v1/admin/deployments", env.deployer_key,
                                        DeploymentBody("big:7b", {{"all", true}}), 201);
  ASSERT_EQ(created["nodes"].size(), 1u);
  EXPECT_EQ(created["nodes"][0]["state"], "does_not_fit");
  EXPECT_EQ(created["nodes"][0]["reason"], "needs 5.1 GB, has 3.2 GB");
  // Nothing to push: the desired set stayed empty.
  EXPECT_TRUE(ReceiveType(**link, "desired_models", 300ms).is_null());
}

TEST(HubTest, LabelChangePushesDesiredModels) {
  FleetEnv env;
  env.AddModel("m", "1", Digest('c'), 1 * kGB);
  env.CallJson("POST", "/v1/admin/deployments", env.deployer_key,
               DeploymentBody("m:1", {{"labels", {{"site", "ward-3"}}}}), 201);
  TestNode node = env.Enroll("pc-1");
  auto link = env.Connect(node);
  ASSERT_TRUE(link.has_value());
  ASSERT_TRUE((*link)->Send(Hello(node, 8 * kGB)).ok());
  EXPECT_TRUE(DesiredDigests(ReceiveType(**link, "desired_models")).empty());

  nlohmann::json labelled = env.CallJson("POST", "/v1/admin/nodes/" + node.id + "/labels",
                                         env.admin_key, R"({"set":{"site":"ward-3"}})");
  EXPECT_EQ(labelled["labels"]["site"], "ward-3");
  EXPECT_EQ(labelled["status"], "online");
  EXPECT_EQ(DesiredDigests(ReceiveType(**link, "desired_models")),
            std::vector<std::string>{Digest('c')});

  env.CallJson("POST", "/v1/admin/nodes/" + node.id + "/labels", env.admin_key,
               R"({"remove":["site"],"group":"office"})");
  EXPECT_TRUE(DesiredDigests(ReceiveType(**link, "desired_models")).empty());
  EXPECT_EQ(env.store().GetNode(node.id)->group, "office");
  // Deployers may read nodes but not label them.
  EXPECT_EQ(env.Call("POST", "/v1/admin/nodes/" + node.id + "/labels", env.deployer_key,
                     R"({"set":{"a":"b"}})")
                .status,
            403);
  EXPECT_EQ(env.Call("POST", "/v1/admin/nodes/" + node.id + "/labels", env.admin_key,
                     R"({"set":{"bad key":"b"}})")
                .status,
            400);
}

TEST(HubTest, RevokeSendsRevokedAndClosesWithinFiveSeconds) {
  FleetEnv env;
  TestNode node = env.Enroll("pc-1");
  auto link = env.Connect(node);
  ASSERT_TRUE(link.has_value());
  ASSERT_TRUE((*link)->Send(Hello(node, 8 * kGB)).ok());
  ASSERT_TRUE(ReceiveType(**link, "desired_models").is_object());

  const auto start = std::chrono::steady_clock::now();
  nlohmann::json revoked_node =
      env.CallJson("POST", "/v1/admin/nodes/" + node.id + "/revoke", env.admin_key);
  EXPECT_EQ(revoked_node["status"], "revoked");
  auto revoked = ReceiveType(**link, "revoked");
  ASSERT_TRUE(revoked.is_object());
  EXPECT_FALSE(revoked.value("reason", "").empty());
  auto after = (*link)->Receive(5s);
  ASSERT_FALSE(after.has_value());
  EXPECT_EQ(after.error().code(), StatusCode::kUnavailable) << after.error().ToString();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_EQ(env.fleet().connected_nodes(), 0u);

  // Refused with 401 before any upgrade from now on.
  auto again = env.Connect(node);
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(env.store().GetNode(node.id)->status, "revoked");
}

TEST(HubTest, MissedHeartbeatsMakeANodeUnhealthyThenOffline) {
  FleetEnv env;
  TestNode node = env.Enroll("pc-1");
  auto link = env.Connect(node);
  ASSERT_TRUE(link.has_value());
  ASSERT_TRUE((*link)->Send(Hello(node, 8 * kGB)).ok());
  ASSERT_TRUE(ReceiveType(**link, "desired_models").is_object());
  auto status = [&] {
    return env.CallJson("GET", "/v1/admin/nodes/" + node.id, env.deployer_key)["status"];
  };
  EXPECT_EQ(status(), "online");

  env.Advance(14'000);
  env.fleet().SweepHealth();
  EXPECT_EQ(status(), "online");
  env.Advance(2'000);  // 16 s silent: 3 heartbeats missed
  env.fleet().SweepHealth();
  EXPECT_EQ(status(), "unhealthy");
  EXPECT_EQ(env.store().GetNode(node.id)->status, "unhealthy");

  // A heartbeat brings it back.
  ASSERT_TRUE((*link)->Send(R"({"type":"heartbeat","queue_depth":0})").ok());
  EXPECT_TRUE(Eventually([&] { return status() == "online"; }));

  env.Advance(61'000);  // 12 heartbeats missed
  env.fleet().SweepHealth();
  EXPECT_EQ(status(), "offline");
  EXPECT_EQ(env.fleet().connected_nodes(), 0u);
  auto closed = (*link)->Receive(5s);
  ASSERT_FALSE(closed.has_value());
  EXPECT_EQ(closed.error().code(), StatusCode::kUnavailable);
}

TEST(HubTest, HeartbeatsPersistChangesAtOnceAndTheRestAtMostEveryInterval) {
  FleetEnv env;
  TestNode node = env.Enroll("pc-1");
  auto link = env.Connect(node);
  ASSERT_TRUE(link.has_value());
  ASSERT_TRUE((*link)->Send(Hello(node, 8 * kGB)).ok());
  ASSERT_TRUE(ReceiveType(**link, "desired_models").is_object());
  const int64_t seen_at_hello = env.store().GetNode(node.id)->last_seen_at;

  // Free memory moves on every heartbeat: not written before persist_interval_seconds (10 s).
  env.Advance(5'000);
  ASSERT_TRUE((*link)->Send(R"({"type":"heartbeat","capabilities":{"ram_free":7000000000}})").ok());
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(env.store().GetNode(node.id)->last_seen_at, seen_at_hello);
  env.Advance(6'000);
  ASSERT_TRUE((*link)->Send(R"({"type":"heartbeat","capabilities":{"ram_free":6000000000}})").ok());
  EXPECT_TRUE(
      Eventually([&] { return env.store().GetNode(node.id)->last_seen_at > seen_at_hello; }));
  EXPECT_NE(env.store().GetNode(node.id)->capabilities_json.find("6000000000"), std::string::npos);

  // A model state change is written at once.
  env.Advance(1'000);
  ASSERT_TRUE((*link)
                  ->Send(nlohmann::json{{"type", "heartbeat"},
                                        {"models", {{{"digest", Digest('d')}, {"state", "ready"}}}}}
                             .dump())
                  .ok());
  EXPECT_TRUE(Eventually([&] {
    return env.store().GetNode(node.id)->models_json.find(Digest('d')) != std::string::npos;
  }));
  // "removed": the node no longer holds it.
  ASSERT_TRUE((*link)->Send(ModelStatus(Digest('d'), "removed")).ok());
  EXPECT_TRUE(Eventually([&] {
    return env.store().GetNode(node.id)->models_json.find(Digest('d')) == std::string::npos;
  }));
}

TEST(HubTest, ANewConnectionOfTheSameNodeReplacesTheOld) {
  FleetEnv env;
  TestNode node = env.Enroll("pc-1");
  auto first = env.Connect(node);
  ASSERT_TRUE(first.has_value());
  ASSERT_TRUE((*first)->Send(Hello(node, 8 * kGB)).ok());
  ASSERT_TRUE(ReceiveType(**first, "desired_models").is_object());
  auto second = env.Connect(node);
  ASSERT_TRUE(second.has_value());
  ASSERT_TRUE((*second)->Send(Hello(node, 8 * kGB)).ok());
  ASSERT_TRUE(ReceiveType(**second, "desired_models").is_object());
  auto closed = (*first)->Receive(5s);
  ASSERT_FALSE(closed.has_value());
  EXPECT_EQ(env.fleet().connected_nodes(), 1u);
  // The old link's close does not mark the node offline.
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(env.store().GetNode(node.id)->status, "online");
}

TEST(HubTest, ClosedLinkMarksTheNodeOffline) {
  FleetEnv env;
  TestNode node = env.Enroll("pc-1");
  {
    auto link = env.Connect(node);
    ASSERT_TRUE(link.has_value());
    ASSERT_TRUE((*link)->Send(Hello(node, 8 * kGB)).ok());
    ASSERT_TRUE(ReceiveType(**link, "desired_models").is_object());
  }
  EXPECT_TRUE(Eventually([&] { return env.store().GetNode(node.id)->status == "offline"; }));
  EXPECT_EQ(env.fleet().connected_nodes(), 0u);
}

}  // namespace
}  // namespace locai::control::fleet

// Deployments through the HTTP routes with fake nodes: canary rollout when a tag moves, the rest
// following once the canary is ready, rollback, replicas, validation and roles.

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

struct FakeNode {
  TestNode node;
  std::unique_ptr<net::WebSocketClient> link;
};

FakeNode Join(FleetEnv& env, const std::string& name, int64_t ram_free) {
  FakeNode fake;
  fake.node = env.Enroll(name);
  auto link = env.Connect(fake.node);
  EXPECT_TRUE(link.has_value());
  fake.link = std::move(*link);
  EXPECT_TRUE(fake.link
                  ->Send(nlohmann::json{{"type", "hello"},
                                        {"node_id", fake.node.id},
                                        {"capabilities", {{"ram_free", ram_free}}},
                                        {"models", nlohmann::json::array()}}
                             .dump())
                  .ok());
  EXPECT_TRUE(ReceiveType(*fake.link, "desired_models").is_object());
  return fake;
}

void Report(FakeNode& fake, const std::string& digest, const std::string& state) {
  EXPECT_TRUE(
      fake.link
          ->Send(nlohmann::json{
              {"type", "model_status"}, {"digest", digest}, {"state", state}, {"progress", 1}}
                     .dump())
          .ok());
}

TEST(DeploymentsTest, TagMoveRollsOutToTheCanaryFirstThenTheRestThenRollsBack) {
  FleetEnv env;
  env.AddModel("m", "1", Digest('a'), 1 * kGB);
  // Names sort as ids do not; what matters is one canary of two.
  FakeNode one = Join(env, "one", 8 * kGB);
  FakeNode two = Join(env, "two", 8 * kGB);
  env.CallJson("POST", "/v1/admin/deployments", env.deployer_key,
               R"({"name":"assistant","model":"m:1","target":{"all":true},"canary_percent":50})",
               201);
  EXPECT_EQ(DesiredDigests(ReceiveType(*one.link, "desired_models")),
            std::vector<std::string>{Digest('a')});
  EXPECT_EQ(DesiredDigests(ReceiveType(*two.link, "desired_models")),
            std::vector<std::string>{Digest('a')});
  Report(one, Digest('a'), "ready");
  Report(two, Digest('a'), "ready");

  // The tag moves: the registry tells the fleet.
  env.AddModel("m", "1", Digest('b'), 1 * kGB);
  env.fleet().ModelTagsChanged(testing::kOrg);
  nlohmann::json deployment =
      env.CallJson("GET", "/v1/admin/deployments/assistant", env.deployer_key);
  EXPECT_EQ(deployment["digest"], Digest('b'));
  EXPECT_EQ(deployment["previous_digest"], Digest('a'));
  EXPECT_EQ(deployment["rollout_state"], "canary");
  FakeNode* canary = one.node.id < two.node.id ? &one : &two;
  FakeNode* rest = canary == &one ? &two : &one;
  EXPECT_EQ(DesiredDigests(ReceiveType(*canary->link, "desired_models")),
            std::vector<std::string>{Digest('b')});
  // The other keeps the previous version: nothing new for it.
  EXPECT_TRUE(ReceiveType(*rest->link, "desired_models", 300ms).is_null());

  Report(*canary, Digest('b'), "ready");
  EXPECT_EQ(DesiredDigests(ReceiveType(*rest->link, "desired_models")),
            std::vector<std::string>{Digest('b')});
  EXPECT_EQ(
      env.CallJson("GET", "/v1/admin/deployments/assistant", env.deployer_key)["rollout_state"],
      "rolling_out");
  Report(*rest, Digest('b'), "ready");
  for (int i = 0; i < 200; ++i) {
    if (env.CallJson("GET", "/v1/admin/deployments/assistant", env.deployer_key)["rollout_state"] ==
        "stable") {
      break;
    }
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(
      env.CallJson("GET", "/v1/admin/deployments/assistant", env.deployer_key)["rollout_state"],
      "stable");

  // The nodes drop the old version (a heartbeat lists only what they hold).
  for (FakeNode* fake : {&one, &two}) {
    EXPECT_TRUE(
        fake->link
            ->Send(nlohmann::json{{"type", "heartbeat"},
                                  {"models", {{{"digest", Digest('b')}, {"state", "ready"}}}}}
                       .dump())
            .ok());
  }

  // Rollback: the previous digest everywhere at once.
  nlohmann::json rolled =
      env.CallJson("POST", "/v1/admin/deployments/assistant/rollback", env.deployer_key);
  EXPECT_EQ(rolled["digest"], Digest('a'));
  EXPECT_EQ(rolled["previous_digest"], Digest('b'));
  EXPECT_EQ(rolled["rollout_state"], "rolled_back");
  EXPECT_EQ(DesiredDigests(ReceiveType(*one.link, "desired_models")),
            std::vector<std::string>{Digest('a')});
  EXPECT_EQ(DesiredDigests(ReceiveType(*two.link, "desired_models")),
            std::vector<std::string>{Digest('a')});
}

TEST(DeploymentsTest, UpdateWithANewTagStartsACanaryAndReplicasPickTheLargestNodes) {
  FleetEnv env;
  env.AddModel("m", "1", Digest('a'), 1 * kGB);
  env.AddModel("m", "2", Digest('b'), 1 * kGB);
  FakeNode small = Join(env, "small", 2 * kGB);
  FakeNode large = Join(env, "large", 16 * kGB);
  nlohmann::json created = env.CallJson(
      "POST", "/v1/admin/deployments", env.deployer_key,
      R"({"name":"d","model":"m:1","target":{"all":true},"replicas":1,"parallel":2,"context_length":1024})",
      201);
  EXPECT_EQ(created["replicas"], 1);
  EXPECT_EQ(created["parallel"], 2);
  EXPECT_EQ(created["context_length"], 1024);
  ASSERT_EQ(created["nodes"].size(), 1u);
  EXPECT_EQ(created["nodes"][0]["node_id"], large.node.id);
  EXPECT_EQ(DesiredDigests(ReceiveType(*large.link, "desired_models")),
            std::vector<std::string>{Digest('a')});
  EXPECT_TRUE(ReceiveType(*small.link, "desired_models", 300ms).is_null());

  nlohmann::json updated = env.CallJson("POST", "/v1/admin/deployments", env.deployer_key,
                                        R"({"name":"d","model":"m:2","target":{"all":true}})");
  EXPECT_EQ(updated["id"], created["id"]);
  EXPECT_EQ(updated["digest"], Digest('b'));
  EXPECT_EQ(updated["previous_digest"], Digest('a'));
  EXPECT_EQ(updated["replicas"], 1);  // kept
  // One placed node: it is the canary.
  EXPECT_EQ(DesiredDigests(ReceiveType(*large.link, "desired_models")),
            std::vector<std::string>{Digest('b')});
}

TEST(DeploymentsTest, ValidationAndRoles) {
  FleetEnv env;
  env.AddModel("m", "1", Digest('a'), 1 * kGB);
  const std::string ok = R"({"model":"m:1","target":{"all":true}})";
  EXPECT_EQ(env.Call("POST", "/v1/admin/deployments", "", ok).status, 401);
  EXPECT_EQ(env.Call("POST", "/v1/admin/deployments", env.inference_key, ok).status, 403);
  EXPECT_EQ(env.Call("GET", "/v1/admin/nodes", env.inference_key).status, 403);
  EXPECT_EQ(env.Call("POST", "/v1/admin/deployments", env.deployer_key,
                     R"({"model":"nope:1","target":{"all":true}})")
                .status,
            404);
  for (const char* body :
       {R"({"target":{"all":true}})", R"({"model":"m:1"})", R"({"model":"m:1","target":{}})",
        R"({"model":"m:1","target":{"all":true},"canary_percent":101})",
        R"({"model":"m:1","target":{"all":true},"replicas":-1})",
        R"({"model":"m:1","target":{"all":true},"parallel":0})",
        R"({"model":"m:1","target":{"all":true},"name":"a b"})", "[]"}) {
    EXPECT_EQ(env.Call("POST", "/v1/admin/deployments", env.deployer_key, body).status, 400)
        << body;
  }
  // Latest tag by default; no previous version to roll back to.
  env.AddModel("m", "latest", Digest('c'), 1 * kGB);
  nlohmann::json created = env.CallJson("POST", "/v1/admin/deployments", env.deployer_key,
                                        R"({"model":"m","target":{"group":"x"}})", 201);
  EXPECT_EQ(created["model"], "m:latest");
  EXPECT_EQ(created["digest"], Digest('c'));
  EXPECT_EQ(created["target"], nlohmann::json::parse(R"({"group":"x"})"));
  EXPECT_EQ(env.Call("POST", "/v1/admin/deployments/m:latest/rollback", env.deployer_key).status,
            400);
  EXPECT_EQ(env.Call("DELETE", "/v1/admin/deployments/none", env.deployer_key).status, 404);
  EXPECT_EQ(env.Call("GET", "/v1/admin/nodes/n_none", env.admin_key).status, 404);
}

}  // namespace
}  // namespace locai::control::fleet

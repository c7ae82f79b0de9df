#include "control/fleet/fleet_plan.h"

#include <gtest/gtest.h>

namespace locai::control::fleet {
namespace {

constexpr int64_t kGB = 1'000'000'000;

NodeView Node(std::string id, int64_t ram_free, std::string group = "") {
  NodeView node;
  node.id = std::move(id);
  node.ram_free = ram_free;
  node.group = std::move(group);
  node.online = true;
  return node;
}

DeploymentSpec Deployment(std::string id, std::string model, std::string digest) {
  DeploymentSpec spec;
  spec.id = std::move(id);
  spec.model = std::move(model);
  spec.digest = std::move(digest);
  spec.target.all = true;
  spec.context_length = 1000;
  spec.parallel = 1;
  return spec;
}

const std::map<std::string, ManifestInfo> kManifests = {
    {"sha256:small", {1 * kGB, {1 * kGB, 0, 0}}},
    {"sha256:big", {5 * kGB, {5 * kGB, 100'000, 0}}},  // 5.1 GB at 1000 tokens
    {"sha256:small2", {2 * kGB, {1 * kGB, 0, 0}}},
};

TEST(FleetPlanTest, UnionOverDeploymentsMergesNamesOfOneDigest) {
  DeploymentSpec a = Deployment("d_a", "llama:1b", "sha256:small");
  DeploymentSpec b = Deployment("d_b", "assistant:latest", "sha256:small");
  b.context_length = 8192;
  b.parallel = 4;
  DeploymentSpec c = Deployment("d_c", "big:7b", "sha256:big");
  FleetPlan plan = PlanFleet({a, b, c}, {Node("n1", 16 * kGB), Node("n2", 3 * kGB)}, kManifests);

  ASSERT_EQ(plan.desired.at("n1").size(), 2u);
  const DesiredModel& big = plan.desired.at("n1")[0];
  EXPECT_EQ(big.digest, "sha256:big");
  const DesiredModel& small = plan.desired.at("n1")[1];
  EXPECT_EQ(small.digest, "sha256:small");
  EXPECT_EQ(small.names, (std::vector<std::string>{"assistant:latest", "llama:1b"}));
  EXPECT_EQ(small.context_length, 8192);
  EXPECT_EQ(small.parallel, 4);
  EXPECT_EQ(small.size, 1 * kGB);

  // n2 has 3 GB: the small model yes, the big one does not fit.
  ASSERT_EQ(plan.desired.at("n2").size(), 1u);
  EXPECT_EQ(plan.desired.at("n2")[0].digest, "sha256:small");
  const DeploymentPlan& big_plan = plan.deployments[2];
  ASSERT_EQ(big_plan.nodes.size(), 2u);
  EXPECT_EQ(big_plan.nodes[1],
            (NodeDeploymentState{"n2", "", "does_not_fit", 0, "needs 5.1 GB, has 3.0 GB"}));
  EXPECT_EQ(big_plan.nodes[0], (NodeDeploymentState{"n1", "sha256:big", "pending", 0, ""}));
}

TEST(FleetPlanTest, NodeStatesFollowReports) {
  NodeView node = Node("n1", 16 * kGB);
  node.models["sha256:small"] = {"sha256:small", {"llama:1b"}, "downloading", 0.43, ""};
  NodeView failed = Node("n2", 16 * kGB);
  failed.models["sha256:small"] = {"sha256:small", {}, "failed", 0, "digest mismatch"};
  NodeView offline = Node("n3", 16 * kGB);
  offline.online = false;
  FleetPlan plan =
      PlanFleet({Deployment("d", "llama:1b", "sha256:small")}, {node, failed, offline}, kManifests);
  const auto& rows = plan.deployments[0].nodes;
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0], (NodeDeploymentState{"n1", "sha256:small", "downloading", 0.43, ""}));
  EXPECT_EQ(rows[1], (NodeDeploymentState{"n2", "sha256:small", "failed", 0, "digest mismatch"}));
  EXPECT_EQ(rows[2], (NodeDeploymentState{"n3", "", "offline", 0, "node is offline"}));
  EXPECT_TRUE(plan.desired.at("n3").empty());
}

TEST(FleetPlanTest, ModelAlreadyLoadedCountsAsFree) {
  // n1 runs the previous version (5.1 GB) and has 1 GB free; the new version needs 5.1 GB too.
  DeploymentSpec spec = Deployment("d", "big:7b", "sha256:big");
  spec.previous_digest = "sha256:small";
  spec.rollout_state = RolloutState::kCanary;
  NodeView node = Node("n1", 1 * kGB);
  node.models["sha256:small"] = {"sha256:small", {"big:7b"}, "ready", 1, ""};
  FleetPlan plan = PlanFleet({spec}, {node}, kManifests);
  // Held: the small manifest needs 1 GB; 1 + 1 = 2 GB < 5.1 GB: does not fit.
  EXPECT_EQ(plan.deployments[0].placement[0].kind, PlacementKind::kDoesNotFit);
  node.models["sha256:small"].state = "failed";
  node.ram_free = 5 * kGB;
  node.models["sha256:big"] = {"sha256:big", {"big:7b"}, "ready", 1, ""};
  plan = PlanFleet({spec}, {node}, kManifests);
  EXPECT_EQ(plan.deployments[0].placement[0].kind, PlacementKind::kPlace);
  EXPECT_EQ(plan.deployments[0].placement[0].available_bytes, 5 * kGB + 5'100'000'000);
}

TEST(FleetPlanTest, CanaryProgressionAcrossPlans) {
  DeploymentSpec spec = Deployment("d", "llama:1b", "sha256:small2");
  spec.previous_digest = "sha256:small";
  spec.rollout_state = RolloutState::kCanary;
  spec.canary_percent = 50;
  std::vector<NodeView> nodes = {Node("n1", 8 * kGB), Node("n2", 8 * kGB), Node("n3", 8 * kGB),
                                 Node("n4", 8 * kGB)};
  for (auto& node : nodes) node.models["sha256:small"] = {"sha256:small", {}, "ready", 1, ""};

  FleetPlan plan = PlanFleet({spec}, nodes, kManifests);
  EXPECT_EQ(plan.deployments[0].rollout.state, RolloutState::kCanary);
  EXPECT_EQ(plan.desired.at("n1")[0].digest, "sha256:small2");
  EXPECT_EQ(plan.desired.at("n2")[0].digest, "sha256:small2");
  EXPECT_EQ(plan.desired.at("n3")[0].digest, "sha256:small");
  EXPECT_EQ(plan.desired.at("n3")[0].size, 1 * kGB);
  EXPECT_EQ(plan.desired.at("n4")[0].digest, "sha256:small");

  nodes[0].models["sha256:small2"] = {"sha256:small2", {}, "ready", 1, ""};
  plan = PlanFleet({spec}, nodes, kManifests);
  EXPECT_EQ(plan.deployments[0].rollout.state, RolloutState::kCanary);
  nodes[1].models["sha256:small2"] = {"sha256:small2", {}, "ready", 1, ""};
  plan = PlanFleet({spec}, nodes, kManifests);
  EXPECT_EQ(plan.deployments[0].rollout.state, RolloutState::kRollingOut);
  for (const auto& node : nodes) EXPECT_EQ(plan.desired.at(node.id)[0].digest, "sha256:small2");
}

TEST(FleetPlanTest, NodesWithoutDeploymentsGetAnEmptySet) {
  FleetPlan plan = PlanFleet({}, {Node("n1", kGB)}, kManifests);
  ASSERT_EQ(plan.desired.count("n1"), 1u);
  EXPECT_TRUE(plan.desired.at("n1").empty());
}

}  // namespace
}  // namespace locai::control::fleet

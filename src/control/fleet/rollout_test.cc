#include "control/fleet/rollout.h"

#include <gtest/gtest.h>

namespace locai::control::fleet {
namespace {

RolloutInput Canary(std::vector<std::string> nodes, int percent, std::set<std::string> ready = {}) {
  RolloutInput input;
  input.digest = "sha256:new";
  input.previous_digest = "sha256:old";
  input.state = RolloutState::kCanary;
  input.canary_percent = percent;
  input.placed_nodes = std::move(nodes);
  input.ready_nodes = std::move(ready);
  return input;
}

TEST(RolloutTest, CanaryCount) {
  EXPECT_EQ(CanaryCount(0, 10), 0u);
  EXPECT_EQ(CanaryCount(1, 10), 1u);
  EXPECT_EQ(CanaryCount(10, 10), 1u);
  EXPECT_EQ(CanaryCount(11, 10), 2u);  // rounded up
  EXPECT_EQ(CanaryCount(10, 0), 1u);   // at least one
  EXPECT_EQ(CanaryCount(4, 50), 2u);
  EXPECT_EQ(CanaryCount(4, 100), 4u);
  EXPECT_EQ(CanaryCount(4, 250), 4u);
  EXPECT_EQ(CanaryCount(4, -3), 1u);
}

TEST(RolloutTest, StableGivesEveryNodeTheDigest) {
  RolloutInput input;
  input.digest = "sha256:a";
  input.placed_nodes = {"n2", "n1"};
  RolloutPlan plan = PlanRollout(input);
  EXPECT_EQ(plan.state, RolloutState::kStable);
  EXPECT_EQ(plan.desired,
            (std::map<std::string, std::string>{{"n1", "sha256:a"}, {"n2", "sha256:a"}}));
  EXPECT_TRUE(plan.canary_nodes.empty());
}

TEST(RolloutTest, CanaryFirstThenTheRest) {
  // 4 nodes, 25%: one canary (the first by id) gets the new digest, the rest keep the old one.
  RolloutPlan plan = PlanRollout(Canary({"n3", "n1", "n4", "n2"}, 25));
  EXPECT_EQ(plan.state, RolloutState::kCanary);
  EXPECT_EQ(plan.canary_nodes, (std::vector<std::string>{"n1"}));
  EXPECT_EQ(
      plan.desired,
      (std::map<std::string, std::string>{
          {"n1", "sha256:new"}, {"n2", "sha256:old"}, {"n3", "sha256:old"}, {"n4", "sha256:old"}}));

  // The canary reports ready: everyone moves to the new digest.
  plan = PlanRollout(Canary({"n3", "n1", "n4", "n2"}, 25, {"n1"}));
  EXPECT_EQ(plan.state, RolloutState::kRollingOut);
  for (const auto& [node, digest] : plan.desired) EXPECT_EQ(digest, "sha256:new") << node;

  // Still rolling out while some are not ready; stable once all are.
  RolloutInput rolling = Canary({"n1", "n2", "n3", "n4"}, 25, {"n1", "n2", "n3"});
  rolling.state = RolloutState::kRollingOut;
  EXPECT_EQ(PlanRollout(rolling).state, RolloutState::kRollingOut);
  rolling.ready_nodes.insert("n4");
  EXPECT_EQ(PlanRollout(rolling).state, RolloutState::kStable);
}

TEST(RolloutTest, CanaryWaitsForEveryCanaryNode) {
  // 10 nodes at 20%: two canaries; one ready is not enough.
  std::vector<std::string> nodes;
  for (int i = 0; i < 10; ++i) nodes.push_back("n" + std::to_string(i));
  RolloutPlan plan = PlanRollout(Canary(nodes, 20, {"n0"}));
  EXPECT_EQ(plan.state, RolloutState::kCanary);
  EXPECT_EQ(plan.canary_nodes, (std::vector<std::string>{"n0", "n1"}));
  int on_new = 0;
  for (const auto& [node, digest] : plan.desired) on_new += digest == "sha256:new";
  EXPECT_EQ(on_new, 2);
  EXPECT_EQ(PlanRollout(Canary(nodes, 20, {"n0", "n1"})).state, RolloutState::kRollingOut);
}

TEST(RolloutTest, ReadyNodesAreChosenAsCanariesFirst) {
  // n3 already holds the new digest (placement moved): it stays the canary, no second download.
  RolloutPlan plan = PlanRollout(Canary({"n1", "n2", "n3", "n4", "n5"}, 20, {"n3"}));
  EXPECT_EQ(plan.state, RolloutState::kRollingOut);
  plan = PlanRollout(Canary({"n1", "n2", "n3", "n4", "n5"}, 40, {"n3"}));
  EXPECT_EQ(plan.state, RolloutState::kCanary);
  EXPECT_EQ(plan.canary_nodes, (std::vector<std::string>{"n1", "n3"}));
}

TEST(RolloutTest, FailedCanaryHoldsTheRestBack) {
  // The canary never becomes ready (failed): the other nodes keep the previous digest.
  RolloutPlan plan = PlanRollout(Canary({"n1", "n2"}, 50));
  EXPECT_EQ(plan.state, RolloutState::kCanary);
  EXPECT_EQ(plan.desired.at("n1"), "sha256:new");
  EXPECT_EQ(plan.desired.at("n2"), "sha256:old");
}

TEST(RolloutTest, CanaryWithoutPreviousDigestIsStable) {
  RolloutInput input = Canary({"n1", "n2"}, 50);
  input.previous_digest = "";
  RolloutPlan plan = PlanRollout(input);
  EXPECT_EQ(plan.state, RolloutState::kStable);
  EXPECT_EQ(plan.desired.at("n2"), "sha256:new");
}

TEST(RolloutTest, CanaryWithNoPlacedNodesWaits) {
  RolloutPlan plan = PlanRollout(Canary({}, 50));
  EXPECT_EQ(plan.state, RolloutState::kCanary);
  EXPECT_TRUE(plan.desired.empty());
}

TEST(RolloutTest, RollbackSwapsDigestsAndSkipsTheCanary) {
  auto target = PlanRollback("sha256:new", "sha256:old");
  ASSERT_TRUE(target.has_value());
  EXPECT_EQ(target->digest, "sha256:old");
  EXPECT_EQ(target->previous_digest, "sha256:new");
  EXPECT_EQ(target->state, RolloutState::kRolledBack);

  RolloutInput input;
  input.digest = target->digest;
  input.previous_digest = target->previous_digest;
  input.state = target->state;
  input.placed_nodes = {"n1", "n2", "n3"};
  RolloutPlan plan = PlanRollout(input);
  EXPECT_EQ(plan.state, RolloutState::kRolledBack);
  for (const auto& [node, digest] : plan.desired) EXPECT_EQ(digest, "sha256:old") << node;
  input.ready_nodes = {"n1", "n2", "n3"};
  EXPECT_EQ(PlanRollout(input).state, RolloutState::kStable);
}

TEST(RolloutTest, RollbackWithoutPreviousFails) {
  auto target = PlanRollback("sha256:a", "");
  ASSERT_FALSE(target.has_value());
  EXPECT_EQ(target.error().code(), StatusCode::kFailedPrecondition);
}

TEST(RolloutTest, StateNames) {
  for (auto state : {RolloutState::kStable, RolloutState::kCanary, RolloutState::kRollingOut,
                     RolloutState::kRolledBack}) {
    EXPECT_EQ(ParseRolloutState(RolloutStateName(state)), state);
  }
  EXPECT_EQ(ParseRolloutState(""), RolloutState::kStable);
  EXPECT_EQ(StateAfterDigestChange("", "sha256:a"), RolloutState::kStable);
  EXPECT_EQ(StateAfterDigestChange("sha256:a", "sha256:a"), RolloutState::kStable);
  EXPECT_EQ(StateAfterDigestChange("sha256:a", "sha256:b"), RolloutState::kCanary);
}

}  // namespace
}  // namespace locai::control::fleet

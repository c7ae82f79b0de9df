#include "control/fleet/placement.h"

#include <gtest/gtest.h>

namespace locai::control::fleet {
namespace {

constexpr int64_t kGB = 1'000'000'000;

CandidateNode Node(std::string id, int64_t ram_free, std::string group = "",
                   std::map<std::string, std::string> labels = {}) {
  CandidateNode node;
  node.id = std::move(id);
  node.ram_free = ram_free;
  node.group = std::move(group);
  node.labels = std::move(labels);
  return node;
}

PlacementRequest AllNodes(int64_t required, int replicas = 0) {
  PlacementRequest request;
  request.target.all = true;
  request.required_bytes = required;
  request.replicas = replicas;
  return request;
}

std::vector<PlacementKind> Kinds(const std::vector<PlacementDecision>& decisions) {
  std::vector<PlacementKind> kinds;
  for (const auto& decision : decisions) kinds.push_back(decision.kind);
  return kinds;
}

TEST(PlacementTest, RequiredBytesAddsWeightsKvAndCompute) {
  ModelMemory memory{4 * kGB, 1000, 500'000'000};
  EXPECT_EQ(RequiredBytes(memory, 4096, 2), 4 * kGB + 1000 * 4096 * 2 + 500'000'000);
  EXPECT_EQ(RequiredBytes(memory, 0, 1), 4 * kGB + 500'000'000);
  // parallel below 1 counts as 1; huge values saturate instead of overflowing.
  EXPECT_EQ(RequiredBytes(memory, 10, 0), 4 * kGB + 10'000 + 500'000'000);
  EXPECT_EQ(RequiredBytes({INT64_MAX / 2, INT64_MAX / 2, INT64_MAX / 2}, 1 << 20, 64), INT64_MAX);
}

TEST(PlacementTest, FormatBytes) {
  EXPECT_EQ(FormatBytes(5'100'000'000), "5.1 GB");
  EXPECT_EQ(FormatBytes(3'199'999'999), "3.1 GB");  // rounded down, never overstated
  EXPECT_EQ(FormatBytes(12 * kGB), "12.0 GB");
  EXPECT_EQ(FormatBytes(512'000'000), "0.5 GB");
  EXPECT_EQ(FormatBytes(64'000'000), "64 MB");
  EXPECT_EQ(FormatBytes(-5), "0 MB");
}

TEST(PlacementTest, TooSmallNodeDoesNotFitWithReason) {
  auto decisions =
      Place(AllNodes(5'100'000'000), {Node("n_small", 3'200'000'000), Node("n_big", 8 * kGB)});
  ASSERT_EQ(decisions.size(), 2u);
  EXPECT_EQ(decisions[0].kind, PlacementKind::kDoesNotFit);
  EXPECT_EQ(decisions[0].reason, "needs 5.1 GB, has 3.2 GB");
  EXPECT_EQ(decisions[1].kind, PlacementKind::kPlace);
  EXPECT_TRUE(decisions[1].reason.empty());
}

TEST(PlacementTest, ExactFitIsPlaced) {
  auto decisions = Place(AllNodes(4 * kGB), {Node("n1", 4 * kGB), Node("n2", 4 * kGB - 1)});
  EXPECT_EQ(Kinds(decisions),
            (std::vector<PlacementKind>{PlacementKind::kPlace, PlacementKind::kDoesNotFit}));
}

TEST(PlacementTest, HeldBytesOfTheSameDeploymentCountAsFree) {
  CandidateNode node = Node("n1", 1 * kGB);
  node.held_bytes = 4 * kGB;  // the node already runs this deployment's model
  auto decisions = Place(AllNodes(5 * kGB), {node});
  EXPECT_EQ(decisions[0].kind, PlacementKind::kPlace);
  EXPECT_EQ(decisions[0].available_bytes, 5 * kGB);
}

TEST(PlacementTest, OfflineNodesAreNotPlaced) {
  CandidateNode offline = Node("n1", 64 * kGB);
  offline.online = false;
  auto decisions = Place(AllNodes(kGB), {offline, Node("n2", 2 * kGB)});
  EXPECT_EQ(decisions[0].kind, PlacementKind::kOffline);
  EXPECT_EQ(decisions[0].reason, "node is offline");
  EXPECT_EQ(decisions[1].kind, PlacementKind::kPlace);
}

TEST(PlacementTest, UntargetedBeforeOfflineAndMemory) {
  PlacementRequest request = AllNodes(100 * kGB);
  request.target = DeploymentTarget{};
  request.target.group = "clinical";
  CandidateNode offline = Node("n1", 0, "office");
  offline.online = false;
  auto decisions = Place(request, {offline, Node("n2", 0, "clinical")});
  EXPECT_EQ(Kinds(decisions),
            (std::vector<PlacementKind>{PlacementKind::kNotTargeted, PlacementKind::kDoesNotFit}));
}

TEST(PlacementTest, GroupTarget) {
  PlacementRequest request = AllNodes(kGB);
  request.target = DeploymentTarget{};
  request.target.group = "clinical";
  auto decisions = Place(request, {Node("n1", 8 * kGB, "clinical"), Node("n2", 8 * kGB, "office"),
                                   Node("n3", 8 * kGB)});
  EXPECT_EQ(Kinds(decisions),
            (std::vector<PlacementKind>{PlacementKind::kPlace, PlacementKind::kNotTargeted,
                                        PlacementKind::kNotTargeted}));
}

TEST(PlacementTest, LabelTargetNeedsEveryLabel) {
  PlacementRequest request = AllNodes(kGB);
  request.target = DeploymentTarget{};
  request.target.labels = {{"site", "ward-3"}, {"tier", "gpu"}};
  auto decisions =
      Place(request, {Node("n1", 8 * kGB, "", {{"site", "ward-3"}, {"tier", "gpu"}, {"x", "y"}}),
                      Node("n2", 8 * kGB, "", {{"site", "ward-3"}}),
                      Node("n3", 8 * kGB, "", {{"site", "ward-4"}, {"tier", "gpu"}})});
  EXPECT_EQ(Kinds(decisions),
            (std::vector<PlacementKind>{PlacementKind::kPlace, PlacementKind::kNotTargeted,
                                        PlacementKind::kNotTargeted}));
}

TEST(PlacementTest, NamedNodesTarget) {
  PlacementRequest request = AllNodes(kGB);
  request.target = DeploymentTarget{};
  request.target.nodes = {"n3", "n1"};
  auto decisions = Place(request, {Node("n1", 8 * kGB), Node("n2", 8 * kGB), Node("n3", 8 * kGB)});
  EXPECT_EQ(Kinds(decisions),
            (std::vector<PlacementKind>{PlacementKind::kPlace, PlacementKind::kNotTargeted,
                                        PlacementKind::kPlace}));
}

TEST(PlacementTest, ReplicasPickMostFreeMemoryThenId) {
  auto decisions = Place(AllNodes(2 * kGB, 2),
                         {Node("n_a", 4 * kGB), Node("n_b", 16 * kGB), Node("n_c", 1 * kGB),
                          Node("n_d", 8 * kGB), Node("n_e", 8 * kGB)});
  EXPECT_EQ(Kinds(decisions),
            (std::vector<PlacementKind>{PlacementKind::kNotSelected, PlacementKind::kPlace,
                                        PlacementKind::kDoesNotFit, PlacementKind::kPlace,
                                        PlacementKind::kNotSelected}));
  EXPECT_NE(decisions[0].reason.find("replicas (2)"), std::string::npos);
}

TEST(PlacementTest, ReplicasAboveFittingNodesPlaceAllThatFit) {
  auto decisions = Place(AllNodes(2 * kGB, 5), {Node("n1", 4 * kGB), Node("n2", 1 * kGB)});
  EXPECT_EQ(Kinds(decisions),
            (std::vector<PlacementKind>{PlacementKind::kPlace, PlacementKind::kDoesNotFit}));
}

TEST(PlacementTest, ReplicasCountHeldMemory) {
  CandidateNode holder = Node("n1", 1 * kGB);
  holder.held_bytes = 6 * kGB;  // 7 GB available: beats n2's 5 GB
  auto decisions = Place(AllNodes(2 * kGB, 1), {holder, Node("n2", 5 * kGB)});
  EXPECT_EQ(Kinds(decisions),
            (std::vector<PlacementKind>{PlacementKind::kPlace, PlacementKind::kNotSelected}));
}

TEST(PlacementTest, NoCandidates) { EXPECT_TRUE(Place(AllNodes(kGB, 3), {}).empty()); }

TEST(PlacementTest, ParseTargets) {
  auto all = ParseDeploymentTarget(nlohmann::json::parse(R"({"all":true})"));
  ASSERT_TRUE(all.has_value());
  EXPECT_TRUE(all->all);
  auto group = ParseDeploymentTarget(nlohmann::json::parse(R"({"group":"clinical"})"));
  ASSERT_TRUE(group.has_value());
  EXPECT_EQ(group->group, "clinical");
  auto labels = ParseDeploymentTarget(nlohmann::json::parse(R"({"labels":{"site":"ward-3"}})"));
  ASSERT_TRUE(labels.has_value());
  EXPECT_EQ(labels->labels.at("site"), "ward-3");
  auto nodes = ParseDeploymentTarget(nlohmann::json::parse(R"({"nodes":["n_1","n_2"]})"));
  ASSERT_TRUE(nodes.has_value());
  EXPECT_EQ(nodes->nodes, (std::vector<std::string>{"n_1", "n_2"}));
  for (const auto& target : {*all, *group, *labels, *nodes}) {
    auto again = ParseDeploymentTarget(DeploymentTargetToJson(target));
    ASSERT_TRUE(again.has_value());
    EXPECT_EQ(*again, target);
  }
}

TEST(PlacementTest, ParseTargetRejectsMalformed) {
  for (const char* text :
       {R"({})", R"([])", R"("all")", R"({"all":false})", R"({"all":true,"group":"g"})",
        R"({"group":""})", R"({"group":3})", R"({"labels":{}})", R"({"labels":{"a":1}})",
        R"({"nodes":[]})", R"({"nodes":[1]})", R"({"nodes":[""]})", R"({"region":"eu"})"}) {
    auto target = ParseDeploymentTarget(nlohmann::json::parse(text));
    ASSERT_FALSE(target.has_value()) << text;
    EXPECT_EQ(target.error().code(), StatusCode::kInvalidArgument) << text;
  }
}

}  // namespace
}  // namespace locai::control::fleet

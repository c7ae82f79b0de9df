#include "control/router/node_selector.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace locai::control::router {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// A clock the test moves by hand.
struct FakeClock {
  std::chrono::steady_clock::time_point now{seconds(1000)};
  std::function<std::chrono::steady_clock::time_point()> Fn() {
    return [this] { return now; };
  }
};

NodeCandidate Node(std::string id, std::string org, int64_t outstanding = 0) {
  NodeCandidate node;
  node.id = std::move(id);
  node.org_id = std::move(org);
  node.healthy = true;
  node.models_ready = {"llama3.2:1b"};
  node.outstanding_tokens = outstanding;
  return node;
}

SelectionRequest Request(std::string org, std::string session = "") {
  SelectionRequest request;
  request.org_id = std::move(org);
  request.model = "llama3.2:1b";
  request.session_id = std::move(session);
  return request;
}

TEST(NodeSelector, OrdersByReportedLoadAndFiltersIneligible) {
  NodeSelector selector;
  NodeCandidate unhealthy = Node("n-unhealthy", "org1");
  unhealthy.healthy = false;
  NodeCandidate no_model = Node("n-nomodel", "org1");
  no_model.models_ready = {"qwen3:8b"};
  std::vector<NodeCandidate> nodes = {Node("n-busy", "org1", 900),
                                      Node("n-idle", "org1", 10),
                                      Node("n-mid", "org1", 300),
                                      unhealthy,
                                      no_model,
                                      Node("n-other", "org2", 0)};
  EXPECT_EQ(selector.Order(nodes, Request("org1")),
            (std::vector<std::string>{"n-idle", "n-mid", "n-busy"}));
  EXPECT_EQ(selector.Order(nodes, Request("org2")), (std::vector<std::string>{"n-other"}));
  EXPECT_TRUE(selector.Order(nodes, Request("org3")).empty());
}

TEST(NodeSelector, ConsecutivePicksSpreadLoadUntilReleased) {
  NodeSelector selector;
  std::vector<NodeCandidate> nodes = {Node("a", "org1"), Node("b", "org1"), Node("c", "org1")};
  std::vector<NodeSelector::Lease> leases;
  std::map<std::string, int> picked;
  for (int i = 0; i < 6; ++i) {
    NodeSelector::Pick pick = selector.PickNode(nodes, Request("org1"), 100);
    ASSERT_EQ(pick.ordered.size(), 3u);
    ASSERT_TRUE(pick.lease.held());
    ++picked[pick.ordered.front()];
    leases.push_back(std::move(pick.lease));
  }
  EXPECT_EQ(picked, (std::map<std::string, int>{{"a", 2}, {"b", 2}, {"c", 2}}));
  EXPECT_EQ(selector.InFlightTokens("a"), 200);
  leases.clear();
  EXPECT_EQ(selector.InFlightTokens("a"), 0);
  EXPECT_EQ(selector.InFlightTokens("b"), 0);
}

TEST(NodeSelector, ConcurrentPicksSpreadEvenly) {
  NodeSelector selector;
  std::vector<NodeCandidate> nodes;
  for (int i = 0; i < 4; ++i) nodes.push_back(Node("n" + std::to_string(i), "org1"));
  constexpr int kThreads = 8;
  constexpr int kPicksPerThread = 25;
  std::vector<std::vector<NodeSelector::Lease>> held(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPicksPerThread; ++i) {
        held[t].push_back(selector.PickNode(nodes, Request("org1"), 10).lease);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  // Every pick saw all earlier ones: the 200 leases sit 50 on each node.
  for (const NodeCandidate& node : nodes) EXPECT_EQ(selector.InFlightTokens(node.id), 500);
  held.clear();
  for (const NodeCandidate& node : nodes) EXPECT_EQ(selector.InFlightTokens(node.id), 0);
}

TEST(NodeSelector, PrefersCallersGroupAndLabelsOverLoad) {
  NodeSelector selector;
  NodeCandidate london = Node("london", "org1", 500);
  london.group = "uk";
  london.labels = {{"site", "london"}, {"gpu", "none"}};
  NodeCandidate leeds = Node("leeds", "org1", 100);
  leeds.group = "uk";
  leeds.labels = {{"site", "leeds"}};
  NodeCandidate paris = Node("paris", "org1", 0);
  paris.group = "fr";
  std::vector<NodeCandidate> nodes = {paris, leeds, london};

  SelectionRequest request = Request("org1");
  request.preferred_group = "uk";
  request.preferred_labels = {{"site", "london"}};
  EXPECT_EQ(selector.Order(nodes, request), (std::vector<std::string>{"london", "leeds", "paris"}));
  request.preferred_labels.clear();
  EXPECT_EQ(selector.Order(nodes, request), (std::vector<std::string>{"leeds", "london", "paris"}));
}

TEST(NodeSelector, SessionAffinitySticksEvenWhenBusier) {
  FakeClock clock;
  NodeSelector selector(NodeSelectorOptions{.session_ttl = seconds(60), .now = clock.Fn()});
  std::vector<NodeCandidate> nodes = {Node("a", "org1", 0), Node("b", "org1", 800)};
  selector.BindSession("org1", "conv-1", "b");
  EXPECT_EQ(selector.Order(nodes, Request("org1", "conv-1")), (std::vector<std::string>{"b", "a"}));
  // Without the session, or with another one, load decides.
  EXPECT_EQ(selector.Order(nodes, Request("org1")).front(), "a");
  EXPECT_EQ(selector.Order(nodes, Request("org1", "conv-2")).front(), "a");
  // A bound node that cannot serve is skipped, and the next one is offered.
  nodes[1].healthy = false;
  EXPECT_EQ(selector.Order(nodes, Request("org1", "conv-1")), (std::vector<std::string>{"a"}));
  nodes[1].healthy = true;
  // Expiry: the binding lapses session_ttl after its last use.
  clock.now += seconds(59);
  EXPECT_EQ(selector.SessionNode("org1", "conv-1"), "b");
  selector.BindSession("org1", "conv-1", "b");  // used again: refreshed
  clock.now += seconds(59);
  EXPECT_EQ(selector.Order(nodes, Request("org1", "conv-1")).front(), "b");
  clock.now += seconds(2);
  EXPECT_EQ(selector.SessionNode("org1", "conv-1"), "");
  EXPECT_EQ(selector.Order(nodes, Request("org1", "conv-1")).front(), "a");
}

TEST(NodeSelector, SessionAffinityNeverCrossesOrganisations) {
  NodeSelector selector;
  std::vector<NodeCandidate> nodes = {Node("a1", "org1", 0), Node("b1", "org1", 500),
                                      Node("a2", "org2", 0), Node("b2", "org2", 500)};
  selector.BindSession("org1", "same-session", "b1");
  // org2 uses the same session id: no binding of org1 applies, and no org1 node is offered.
  EXPECT_EQ(selector.Order(nodes, Request("org2", "same-session")),
            (std::vector<std::string>{"a2", "b2"}));
  EXPECT_EQ(selector.SessionNode("org2", "same-session"), "");
  // Even a binding (wrongly) made to another organisation's node is never used.
  selector.BindSession("org2", "same-session", "b1");
  EXPECT_EQ(selector.Order(nodes, Request("org2", "same-session")),
            (std::vector<std::string>{"a2", "b2"}));
  EXPECT_EQ(selector.Order(nodes, Request("org1", "same-session")).front(), "b1");
}

TEST(NodeSelector, SessionTableIsBounded) {
  FakeClock clock;
  NodeSelector selector(NodeSelectorOptions{.max_sessions = 3, .now = clock.Fn()});
  for (int i = 0; i < 5; ++i) {
    selector.BindSession("org1", "s" + std::to_string(i), "a");
    clock.now += milliseconds(1);
  }
  EXPECT_EQ(selector.session_count(), 3u);
  EXPECT_EQ(selector.SessionNode("org1", "s0"), "");  // the least recently used went first
  EXPECT_EQ(selector.SessionNode("org1", "s4"), "a");
  selector.BindSession("org1", "", "a");  // no session id: nothing bound
  EXPECT_EQ(selector.session_count(), 3u);
}

TEST(NodeSelector, RepeatedFailuresCoolDownThenRecover) {
  FakeClock clock;
  NodeSelector selector(NodeSelectorOptions{.failure_threshold = 3,
                                            .failure_window = seconds(10),
                                            .cooldown = seconds(30),
                                            .now = clock.Fn()});
  std::vector<NodeCandidate> nodes = {Node("flaky", "org1", 0), Node("steady", "org1", 100)};
  EXPECT_FALSE(selector.RecordFailure("flaky"));
  EXPECT_FALSE(selector.RecordFailure("flaky"));
  EXPECT_EQ(selector.Order(nodes, Request("org1")).front(), "flaky");
  EXPECT_TRUE(selector.RecordFailure("flaky"));
  EXPECT_TRUE(selector.InCooldown("flaky"));
  EXPECT_EQ(selector.Order(nodes, Request("org1")), (std::vector<std::string>{"steady"}));
  // Affinity does not bring a cooling node back either.
  selector.BindSession("org1", "s", "flaky");
  EXPECT_EQ(selector.Order(nodes, Request("org1", "s")), (std::vector<std::string>{"steady"}));
  clock.now += seconds(29);
  EXPECT_TRUE(selector.InCooldown("flaky"));
  clock.now += seconds(1);
  EXPECT_FALSE(selector.InCooldown("flaky"));
  EXPECT_EQ(selector.Order(nodes, Request("org1")).front(), "flaky");
  // The count started over: one more failure does not cool it down again.
  EXPECT_FALSE(selector.RecordFailure("flaky"));
}

TEST(NodeSelector, FailuresOutsideTheWindowOrBeforeSuccessDoNotCount) {
  FakeClock clock;
  NodeSelector selector(NodeSelectorOptions{.failure_threshold = 3,
                                            .failure_window = seconds(10),
                                            .cooldown = seconds(30),
                                            .now = clock.Fn()});
  EXPECT_FALSE(selector.RecordFailure("n"));
  EXPECT_FALSE(selector.RecordFailure("n"));
  clock.now += seconds(11);
  EXPECT_FALSE(selector.RecordFailure("n"));  // the first two have left the window
  EXPECT_FALSE(selector.RecordFailure("n"));
  selector.RecordSuccess("n");
  EXPECT_FALSE(selector.RecordFailure("n"));
  EXPECT_FALSE(selector.RecordFailure("n"));
  EXPECT_FALSE(selector.InCooldown("n"));
  EXPECT_TRUE(selector.RecordFailure("n"));
}

TEST(NodeSelector, RetryOrderAndAcquireOnNextNode) {
  NodeSelector selector;
  std::vector<NodeCandidate> nodes = {Node("a", "org1", 0), Node("b", "org1", 50)};
  NodeSelector::Pick pick = selector.PickNode(nodes, Request("org1"), 40);
  ASSERT_EQ(pick.ordered, (std::vector<std::string>{"a", "b"}));
  // "a" drops before the first token: release it and retry on "b".
  pick.lease.Release();
  EXPECT_FALSE(pick.lease.held());
  selector.RecordFailure("a");
  NodeSelector::Lease retry = selector.Acquire(pick.ordered[1], 40);
  EXPECT_EQ(retry.node_id(), "b");
  EXPECT_EQ(selector.InFlightTokens("b"), 40);
  EXPECT_EQ(selector.InFlightTokens("a"), 0);
  NodeSelector::Lease moved = std::move(retry);
  EXPECT_FALSE(retry.held());  // NOLINT(bugprone-use-after-move): the moved-from state is defined
  EXPECT_EQ(selector.InFlightTokens("b"), 40);
  moved = NodeSelector::Lease();
  EXPECT_EQ(selector.InFlightTokens("b"), 0);
  // No candidate: an empty pick holds nothing.
  NodeSelector::Pick none = selector.PickNode(nodes, Request("org9"), 40);
  EXPECT_TRUE(none.ordered.empty());
  EXPECT_FALSE(none.lease.held());
}

}  // namespace
}  // namespace locai::control::router

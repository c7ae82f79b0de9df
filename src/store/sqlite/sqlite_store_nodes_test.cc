// SqliteStore: join tokens (including the consume race), enrolment with the node limit, nodes.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "store/sqlite/sqlite_store.h"
#include "store/testing/store_fixture.h"

namespace locai::store {
namespace {

using testing::StoreTest;

constexpr int64_t kNow = 1'000'000;

JoinToken MakeToken(std::string id, int64_t uses, int64_t expires_at = kNow + 60'000) {
  JoinToken token;
  token.id = std::move(id);
  token.org_id = "org1";
  token.secret_hash = "salt$hash";
  token.group = "clinical";
  token.expires_at = expires_at;
  token.uses_left = uses;
  token.created_at = kNow - 1000;
  return token;
}

Node MakeNode(std::string id, std::string name = "box") {
  Node node;
  node.id = std::move(id);
  node.org_id = "org1";
  node.name = std::move(name);
  node.group = "default";
  node.labels = {{"site", "ward-3"}};
  node.public_key = "pk";
  node.enrolled_at = kNow;
  node.last_seen_at = kNow;
  return node;
}

// Runs `n` threads, each with its own SqliteStore (connection) on `path`, released together.
template <typename Work>
void RaceOnStores(const std::string& path, int n, Work work) {
  std::vector<std::unique_ptr<SqliteStore>> stores;
  for (int i = 0; i < n; ++i) {
    auto store = SqliteStore::Open(path);
    ASSERT_TRUE(store.has_value()) << store.error().ToString();
    stores.push_back(std::move(*store));
  }
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) {
    threads.emplace_back([&, i] {
      while (!go.load()) std::this_thread::yield();
      work(*stores[static_cast<size_t>(i)], i);
    });
  }
  go.store(true);
  for (auto& thread : threads) thread.join();
}

TEST_F(StoreTest, JoinTokens) {
  ASSERT_TRUE(store_->CreateJoinToken(MakeToken("t1", 2)).ok());
  EXPECT_EQ(store_->CreateJoinToken(MakeToken("t1", 2)).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(store_->CreateJoinToken(MakeToken("t2", -1)).code(), StatusCode::kInvalidArgument);
  auto token = store_->GetJoinToken("t1");
  ASSERT_TRUE(token.has_value());
  EXPECT_EQ(token->group, "clinical");
  EXPECT_EQ(token->uses_left, 2);
  EXPECT_FALSE(token->revoked);

  EXPECT_EQ(store_->ConsumeJoinToken("t1", kNow)->uses_left, 1);
  EXPECT_EQ(store_->ConsumeJoinToken("t1", kNow)->uses_left, 0);
  auto spent = store_->ConsumeJoinToken("t1", kNow);
  ASSERT_FALSE(spent.has_value());
  EXPECT_EQ(spent.error().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(spent.error().message().find("no uses left"), std::string::npos);
  EXPECT_EQ(store_->ConsumeJoinToken("nope", kNow).error().code(), StatusCode::kNotFound);

  ASSERT_TRUE(store_->CreateJoinToken(MakeToken("t3", 5, kNow)).ok());
  auto expired = store_->ConsumeJoinToken("t3", kNow);
  ASSERT_FALSE(expired.has_value());
  EXPECT_NE(expired.error().message().find("expired"), std::string::npos);
  EXPECT_EQ(store_->GetJoinToken("t3")->uses_left, 5);

  ASSERT_TRUE(store_->CreateJoinToken(MakeToken("t4", 5)).ok());
  EXPECT_EQ(store_->RevokeJoinToken("other", "t4").code(), StatusCode::kNotFound);
  ASSERT_TRUE(store_->RevokeJoinToken("org1", "t4").ok());
  auto revoked = store_->ConsumeJoinToken("t4", kNow);
  ASSERT_FALSE(revoked.has_value());
  EXPECT_NE(revoked.error().message().find("revoked"), std::string::npos);

  auto tokens = store_->ListJoinTokens("org1");
  ASSERT_TRUE(tokens.has_value());
  EXPECT_EQ(tokens->size(), 3u);
}

TEST_F(StoreTest, OneUseTokenRaceHasExactlyOneWinner) {
  ASSERT_TRUE(store_->CreateJoinToken(MakeToken("once", 1)).ok());
  std::atomic<int> wins{0};
  std::atomic<int> refused{0};
  std::atomic<int> other{0};
  RaceOnStores(path(), 4, [&](SqliteStore& store, int) {
    auto result = store.ConsumeJoinToken("once", kNow);
    if (result) {
      ++wins;
    } else if (result.error().code() == StatusCode::kFailedPrecondition) {
      ++refused;
    } else {
      ++other;
    }
  });
  EXPECT_EQ(wins.load(), 1);
  EXPECT_EQ(refused.load(), 3);
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(store_->GetJoinToken("once")->uses_left, 0);
}

TEST_F(StoreTest, EnrollNodeTakesTheTokenAndFillsTheNode) {
  ASSERT_TRUE(store_->CreateJoinToken(MakeToken("t1", 1)).ok());
  Node request = MakeNode("n1");
  request.org_id = "ignored";
  request.group = "";
  request.status = "";
  auto node = store_->EnrollNode("t1", kNow + 5, request, std::nullopt);
  ASSERT_TRUE(node.has_value()) << node.error().ToString();
  EXPECT_EQ(node->org_id, "org1");
  EXPECT_EQ(node->group, "clinical");
  EXPECT_EQ(node->enrolled_at, kNow + 5);
  EXPECT_EQ(node->status, "offline");
  auto stored = store_->GetNode("n1");
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->labels.at("site"), "ward-3");
  EXPECT_EQ(stored->group, "clinical");
  EXPECT_EQ(store_->GetJoinToken("t1")->uses_left, 0);

  // A refused enrolment (token used up, duplicate id) leaves no node and no use taken.
  EXPECT_EQ(store_->EnrollNode("t1", kNow, MakeNode("n2"), std::nullopt).error().code(),
            StatusCode::kFailedPrecondition);
  ASSERT_TRUE(store_->CreateJoinToken(MakeToken("t2", 3)).ok());
  EXPECT_EQ(store_->EnrollNode("t2", kNow, MakeNode("n1"), std::nullopt).error().code(),
            StatusCode::kAlreadyExists);
  EXPECT_EQ(store_->GetJoinToken("t2")->uses_left, 3);
  EXPECT_EQ(*store_->CountNodes("org1"), 1);
}

TEST_F(StoreTest, EnrollNodeEnforcesTheNodeLimit) {
  ASSERT_TRUE(store_->CreateJoinToken(MakeToken("t1", 10)).ok());
  ASSERT_TRUE(store_->EnrollNode("t1", kNow, MakeNode("n1"), 2).has_value());
  ASSERT_TRUE(store_->EnrollNode("t1", kNow, MakeNode("n2"), 2).has_value());
  auto third = store_->EnrollNode("t1", kNow, MakeNode("n3"), 2);
  ASSERT_FALSE(third.has_value());
  EXPECT_EQ(third.error().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(third.error().message().find("node limit reached: 2 of 2"), std::string::npos)
      << third.error().message();
  EXPECT_EQ(store_->GetJoinToken("t1")->uses_left, 8);  // the refused one kept its use
  // A revoked node frees its place.
  ASSERT_TRUE(store_->RevokeNode("org1", "n1", kNow).ok());
  EXPECT_TRUE(store_->EnrollNode("t1", kNow, MakeNode("n3"), 2).has_value());
}

TEST_F(StoreTest, RaceForTheLastNodePlaceHasExactlyOneWinner) {
  ASSERT_TRUE(store_->CreateJoinToken(MakeToken("t1", 10)).ok());
  ASSERT_TRUE(store_->EnrollNode("t1", kNow, MakeNode("n0"), 3).has_value());
  ASSERT_TRUE(store_->EnrollNode("t1", kNow, MakeNode("n1"), 3).has_value());
  std::atomic<int> wins{0};
  std::atomic<int> exhausted{0};
  RaceOnStores(path(), 4, [&](SqliteStore& store, int i) {
    auto result = store.EnrollNode("t1", kNow, MakeNode("racer" + std::to_string(i)), 3);
    if (result) {
      ++wins;
    } else if (result.error().code() == StatusCode::kResourceExhausted) {
      ++exhausted;
    }
  });
  EXPECT_EQ(wins.load(), 1);
  EXPECT_EQ(exhausted.load(), 3);
  EXPECT_EQ(*store_->CountNodes("org1"), 3);
  EXPECT_EQ(store_->GetJoinToken("t1")->uses_left, 7);
}

TEST_F(StoreTest, NodeLabelsAndGroup) {
  ASSERT_TRUE(store_->CreateNode(MakeNode("n1")).ok());
  auto node = store_->UpdateNodeLabels("org1", "n1", {{"tier", "gold"}, {"site", "ward-4"}},
                                       {"absent"}, std::string("icu"));
  ASSERT_TRUE(node.has_value()) << node.error().ToString();
  EXPECT_EQ(node->labels.size(), 2u);
  EXPECT_EQ(node->labels.at("site"), "ward-4");
  EXPECT_EQ(node->group, "icu");
  node = store_->UpdateNodeLabels("org1", "n1", {}, {"tier"}, std::nullopt);
  ASSERT_TRUE(node.has_value());
  auto stored = store_->GetNode("n1");
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->labels, (std::map<std::string, std::string>{{"site", "ward-4"}}));
  EXPECT_EQ(stored->group, "icu");
  EXPECT_EQ(store_->UpdateNodeLabels("other", "n1", {}, {}, std::nullopt).error().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(store_->UpdateNodeLabels("org1", "n1", {{"", "x"}}, {}, std::nullopt).error().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(StoreTest, NodeStatusAndRevocation) {
  ASSERT_TRUE(store_->CreateNode(MakeNode("n1", "b")).ok());
  ASSERT_TRUE(store_->CreateNode(MakeNode("n2", "a")).ok());
  Node bad = MakeNode("n3");
  bad.status = "sleeping";
  EXPECT_EQ(store_->CreateNode(bad).code(), StatusCode::kInvalidArgument);

  ASSERT_TRUE(store_->UpdateNodeStatus("n1", "online", kNow + 10, R"({"cores":8})", "[]").ok());
  ASSERT_TRUE(store_->UpdateNodeStatus("n1", "unhealthy", kNow + 20, "", "").ok());
  auto node = store_->GetNode("n1");
  ASSERT_TRUE(node.has_value());
  EXPECT_EQ(node->status, "unhealthy");
  EXPECT_EQ(node->last_seen_at, kNow + 20);
  EXPECT_EQ(node->capabilities_json, R"({"cores":8})");  // kept
  EXPECT_EQ(store_->UpdateNodeStatus("n1", "revoked", kNow, "", "").code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->UpdateNodeStatus("nope", "online", kNow, "", "").code(), StatusCode::kNotFound);

  EXPECT_EQ(store_->RevokeNode("other", "n1", kNow).code(), StatusCode::kNotFound);
  ASSERT_TRUE(store_->RevokeNode("org1", "n1", kNow + 30).ok());
  ASSERT_TRUE(store_->RevokeNode("org1", "n1", kNow + 40).ok());
  node = store_->GetNode("n1");
  EXPECT_EQ(node->status, "revoked");
  EXPECT_EQ(node->revoked_at, kNow + 30);
  // A heartbeat after revocation does not bring the node back.
  EXPECT_EQ(store_->UpdateNodeStatus("n1", "online", kNow + 50, "", "").code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->GetNode("n1")->status, "revoked");

  EXPECT_EQ(*store_->CountNodes("org1"), 1);
  auto nodes = store_->ListNodes("org1");
  ASSERT_TRUE(nodes.has_value());
  ASSERT_EQ(nodes->size(), 2u);
  EXPECT_EQ((*nodes)[0].id, "n2");  // by name
  EXPECT_TRUE(store_->ListNodes("other")->empty());
}

}  // namespace
}  // namespace locai::store

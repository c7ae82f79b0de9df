// SqliteStore: deployments and per-node deployment state.
#include <gtest/gtest.h>

#include "store/sqlite/sqlite_store.h"
#include "store/testing/store_fixture.h"

namespace locai::store {
namespace {

using testing::StoreTest;

Deployment MakeDeployment(std::string id, std::string name) {
  Deployment d;
  d.id = std::move(id);
  d.org_id = "org1";
  d.name = std::move(name);
  d.model = "llama3.2:1b";
  d.digest = "sha256:" + std::string(64, 'a');
  d.target_json = R"({"group":"clinical"})";
  d.replicas = 2;
  d.canary_percent = 25;
  d.context_length = 4096;
  d.parallel = 2;
  d.rollout_state = "rolling";
  d.created_at = 100;
  d.updated_at = 100;
  return d;
}

Node MakeNode(std::string id) {
  Node node;
  node.id = std::move(id);
  node.org_id = "org1";
  node.name = node.id;
  node.public_key = "pk";
  return node;
}

TEST_F(StoreTest, DeploymentsCrud) {
  ASSERT_TRUE(store_->CreateDeployment(MakeDeployment("d1", "chat")).ok());
  ASSERT_TRUE(store_->CreateDeployment(MakeDeployment("d2", "embed")).ok());
  EXPECT_EQ(store_->CreateDeployment(MakeDeployment("d3", "chat")).code(),
            StatusCode::kAlreadyExists);
  EXPECT_EQ(store_->CreateDeployment(MakeDeployment("d1", "other")).code(),
            StatusCode::kAlreadyExists);
  Deployment bad = MakeDeployment("d4", "bad");
  bad.canary_percent = 101;
  EXPECT_EQ(store_->CreateDeployment(bad).code(), StatusCode::kInvalidArgument);
  Deployment orphan = MakeDeployment("d5", "orphan");
  orphan.org_id = "missing";
  EXPECT_EQ(store_->CreateDeployment(orphan).code(), StatusCode::kNotFound);

  auto got = store_->GetDeployment("org1", "d1");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->model, "llama3.2:1b");
  EXPECT_EQ(got->target_json, R"({"group":"clinical"})");
  EXPECT_EQ(got->context_length, 4096);
  EXPECT_EQ(store_->GetDeployment("other", "d1").error().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->GetDeploymentByName("org1", "embed")->id, "d2");

  Deployment update = *got;
  update.previous_digest = update.digest;
  update.digest = "sha256:" + std::string(64, 'b');
  update.created_at = 999;  // ignored
  update.updated_at = 200;
  ASSERT_TRUE(store_->UpdateDeployment(update).ok());
  got = store_->GetDeployment("org1", "d1");
  EXPECT_EQ(got->previous_digest, "sha256:" + std::string(64, 'a'));
  EXPECT_EQ(got->created_at, 100);
  EXPECT_EQ(got->updated_at, 200);
  update.name = "embed";
  EXPECT_EQ(store_->UpdateDeployment(update).code(), StatusCode::kAlreadyExists);
  update.id = "nope";
  update.name = "x";
  EXPECT_EQ(store_->UpdateDeployment(update).code(), StatusCode::kNotFound);

  ASSERT_TRUE(store_->CreateOrg(Org{"org2", "beta", "free", 0}).ok());
  Deployment theirs = MakeDeployment("d9", "chat");  // same name, another org: fine
  theirs.org_id = "org2";
  ASSERT_TRUE(store_->CreateDeployment(theirs).ok());
  EXPECT_EQ(store_->ListDeployments("org1")->size(), 2u);
  EXPECT_EQ(store_->ListAllDeployments()->size(), 3u);

  EXPECT_EQ(store_->DeleteDeployment("org2", "d1").code(), StatusCode::kNotFound);
  ASSERT_TRUE(store_->DeleteDeployment("org1", "d1").ok());
  EXPECT_EQ(store_->ListDeployments("org1")->size(), 1u);
}

TEST_F(StoreTest, DeploymentNodeStates) {
  ASSERT_TRUE(store_->CreateDeployment(MakeDeployment("d1", "chat")).ok());
  ASSERT_TRUE(store_->CreateDeployment(MakeDeployment("d2", "embed")).ok());
  ASSERT_TRUE(store_->CreateNode(MakeNode("n1")).ok());
  ASSERT_TRUE(store_->CreateNode(MakeNode("n2")).ok());

  DeploymentNodeState state{"d1", "n1", "sha256:x", "downloading", 0.5, "", 10};
  ASSERT_TRUE(store_->UpsertDeploymentNodeState(state).ok());
  state.state = "does_not_fit";
  state.progress = 0;
  state.reason = "needs 5.1 GB, has 3.2 GB";
  state.updated_at = 20;
  ASSERT_TRUE(store_->UpsertDeploymentNodeState(state).ok());
  ASSERT_TRUE(store_->UpsertDeploymentNodeState({"d1", "n2", "sha256:x", "ready", 1, "", 30}).ok());
  ASSERT_TRUE(
      store_->UpsertDeploymentNodeState({"d2", "n1", "sha256:y", "pending", 0, "", 30}).ok());
  EXPECT_EQ(
      store_->UpsertDeploymentNodeState({"d1", "missing", "sha256:x", "ready", 1, "", 1}).code(),
      StatusCode::kNotFound);
  EXPECT_EQ(store_->UpsertDeploymentNodeState({"d1", "n1", "", "", 0, "", 1}).code(),
            StatusCode::kInvalidArgument);

  auto states = store_->ListDeploymentNodeStates("d1");
  ASSERT_TRUE(states.has_value());
  ASSERT_EQ(states->size(), 2u);
  EXPECT_EQ((*states)[0].node_id, "n1");
  EXPECT_EQ((*states)[0].state, "does_not_fit");
  EXPECT_EQ((*states)[0].reason, "needs 5.1 GB, has 3.2 GB");
  EXPECT_EQ((*states)[0].updated_at, 20);
  EXPECT_DOUBLE_EQ((*states)[1].progress, 1.0);
  EXPECT_EQ(store_->ListNodeDeploymentStates("n1")->size(), 2u);

  ASSERT_TRUE(store_->DeleteDeploymentNodeState("d2", "n1").ok());
  EXPECT_EQ(store_->DeleteDeploymentNodeState("d2", "n1").code(), StatusCode::kNotFound);
  // Deleting the deployment drops its states.
  ASSERT_TRUE(store_->DeleteDeployment("org1", "d1").ok());
  EXPECT_TRUE(store_->ListNodeDeploymentStates("n1")->empty());
  EXPECT_TRUE(store_->ListNodeDeploymentStates("n2")->empty());
}

}  // namespace
}  // namespace locai::store

// SqliteStore: blob records with the storage limit, model tags, garbage-collection candidates,
// uploads.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "store/sqlite/sqlite_store.h"
#include "store/testing/store_fixture.h"

namespace locai::store {
namespace {

using testing::StoreTest;

std::string Digest(char c) { return "sha256:" + std::string(64, c); }

ModelTag MakeTag(std::string name, std::string tag, std::string digest, int64_t at = 100) {
  return ModelTag{"org1", std::move(name), std::move(tag), std::move(digest), "{}", at, at};
}

TEST_F(StoreTest, BlobRecords) {
  ASSERT_TRUE(store_->PutBlobRecord({Digest('a'), 100, 10}, "org1", std::nullopt).ok());
  ASSERT_TRUE(store_->PutBlobRecord({Digest('a'), 100, 20}, "org1", std::nullopt).ok());
  EXPECT_EQ(store_->PutBlobRecord({Digest('a'), 99, 20}, "org1", std::nullopt).code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->PutBlobRecord({Digest('b'), 1, 20}, "missing", std::nullopt).code(),
            StatusCode::kNotFound);
  EXPECT_EQ(store_->GetBlobRecord(Digest('b')).error().code(), StatusCode::kNotFound);

  auto blob = store_->GetBlobRecord(Digest('a'));
  ASSERT_TRUE(blob.has_value());
  EXPECT_EQ(blob->size, 100u);
  EXPECT_EQ(blob->created_at, 10);
  EXPECT_TRUE(*store_->OrgHasBlob("org1", Digest('a')));
  ASSERT_TRUE(store_->CreateOrg(Org{"org2", "beta", "free", 0}).ok());
  EXPECT_FALSE(*store_->OrgHasBlob("org2", Digest('a')));
  EXPECT_EQ(*store_->OrgBlobBytes("org1"), 100u);
}

TEST_F(StoreTest, StorageLimitCountsDistinctBlobsPerOrg) {
  ASSERT_TRUE(store_->CreateOrg(Org{"org2", "beta", "free", 0}).ok());
  ASSERT_TRUE(store_->PutBlobRecord({Digest('a'), 600, 1}, "org1", 1000).ok());
  Status over = store_->PutBlobRecord({Digest('b'), 401, 1}, "org1", 1000);
  EXPECT_EQ(over.code(), StatusCode::kResourceExhausted);
  EXPECT_NE(over.message().find("storage limit reached"), std::string::npos);
  EXPECT_EQ(store_->GetBlobRecord(Digest('b')).error().code(), StatusCode::kNotFound);
  ASSERT_TRUE(store_->PutBlobRecord({Digest('b'), 400, 1}, "org1", 1000).ok());  // exactly full
  // Recording a blob the org already holds is free, even when full.
  ASSERT_TRUE(store_->PutBlobRecord({Digest('a'), 600, 1}, "org1", 1000).ok());
  EXPECT_EQ(*store_->OrgBlobBytes("org1"), 1000u);
  // Another organisation holding the same blob pays for it itself.
  EXPECT_EQ(store_->PutBlobRecord({Digest('a'), 600, 1}, "org2", 500).code(),
            StatusCode::kResourceExhausted);
  ASSERT_TRUE(store_->PutBlobRecord({Digest('a'), 600, 1}, "org2", 600).ok());
  EXPECT_EQ(*store_->OrgBlobBytes("org2"), 600u);
}

TEST_F(StoreTest, RaceForTheLastStorageBytesHasExactlyOneWinner) {
  ASSERT_TRUE(store_->PutBlobRecord({Digest('a'), 500, 1}, "org1", 1000).ok());
  std::vector<std::unique_ptr<SqliteStore>> stores;
  for (int i = 0; i < 2; ++i) stores.push_back(OpenStore());
  std::atomic<int> wins{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < 2; ++i) {
    threads.emplace_back([&, i] {
      while (!go.load()) std::this_thread::yield();
      if (stores[static_cast<size_t>(i)]
              ->PutBlobRecord({Digest(i == 0 ? 'b' : 'c'), 400, 1}, "org1", 1000)
              .ok()) {
        ++wins;
      }
    });
  }
  go.store(true);
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(wins.load(), 1);
  EXPECT_EQ(*store_->OrgBlobBytes("org1"), 900u);
}

TEST_F(StoreTest, ModelTagsCreateMoveAndDelete) {
  ASSERT_TRUE(store_->PutBlobRecord({Digest('a'), 1, 1}, "org1", std::nullopt).ok());
  ASSERT_TRUE(store_->PutBlobRecord({Digest('b'), 1, 1}, "org1", std::nullopt).ok());
  auto created = store_->PutModelTag(MakeTag("llama3.2", "1b", Digest('a'), 100));
  ASSERT_TRUE(created.has_value()) << created.error().ToString();
  EXPECT_FALSE(created->has_value());
  auto same = store_->PutModelTag(MakeTag("llama3.2", "1b", Digest('a'), 150));
  ASSERT_TRUE(same.has_value());
  EXPECT_FALSE(same->has_value());
  auto moved = store_->PutModelTag(MakeTag("llama3.2", "1b", Digest('b'), 200));
  ASSERT_TRUE(moved.has_value());
  EXPECT_EQ(moved->value_or(""), Digest('a'));

  auto tag = store_->GetModelTag("org1", "llama3.2", "1b");
  ASSERT_TRUE(tag.has_value());
  EXPECT_EQ(tag->digest, Digest('b'));
  EXPECT_EQ(tag->created_at, 100);
  EXPECT_EQ(tag->updated_at, 200);

  // A blob the organisation does not hold cannot be tagged.
  EXPECT_EQ(store_->PutModelTag(MakeTag("x", "latest", Digest('c'))).error().code(),
            StatusCode::kNotFound);
  ASSERT_TRUE(store_->CreateOrg(Org{"org2", "beta", "free", 0}).ok());
  ModelTag foreign = MakeTag("x", "latest", Digest('a'));
  foreign.org_id = "org2";
  EXPECT_EQ(store_->PutModelTag(foreign).error().code(), StatusCode::kNotFound);

  ASSERT_TRUE(store_->PutModelTag(MakeTag("llama3.2", "3b", Digest('a'))).has_value());
  auto tags = store_->ListModelTags("org1");
  ASSERT_TRUE(tags.has_value());
  ASSERT_EQ(tags->size(), 2u);
  EXPECT_EQ((*tags)[0].tag, "1b");
  EXPECT_TRUE(store_->ListModelTags("org2")->empty());

  EXPECT_EQ(store_->DeleteModelTag("org2", "llama3.2", "1b").code(), StatusCode::kNotFound);
  ASSERT_TRUE(store_->DeleteModelTag("org1", "llama3.2", "1b").ok());
  EXPECT_EQ(store_->GetModelTag("org1", "llama3.2", "1b").error().code(), StatusCode::kNotFound);
}

TEST_F(StoreTest, UnreferencedBlobsAndDeletion) {
  ASSERT_TRUE(store_->PutBlobRecord({Digest('a'), 1, 10}, "org1", std::nullopt).ok());  // tagged
  ASSERT_TRUE(store_->PutBlobRecord({Digest('b'), 1, 10}, "org1", std::nullopt).ok());  // deployed
  ASSERT_TRUE(store_->PutBlobRecord({Digest('c'), 1, 10}, "org1", std::nullopt).ok());  // previous
  ASSERT_TRUE(store_->PutBlobRecord({Digest('d'), 1, 10}, "org1", std::nullopt).ok());  // garbage
  ASSERT_TRUE(store_->PutBlobRecord({Digest('e'), 1, 50}, "org1", std::nullopt).ok());  // too new
  ASSERT_TRUE(store_->PutModelTag(MakeTag("m", "1", Digest('a'))).has_value());
  Deployment d;
  d.id = "d1";
  d.org_id = "org1";
  d.name = "chat";
  d.model = "m:1";
  d.digest = Digest('b');
  d.previous_digest = Digest('c');
  d.target_json = R"({"all":true})";
  ASSERT_TRUE(store_->CreateDeployment(d).ok());

  auto garbage = store_->UnreferencedBlobs(20);
  ASSERT_TRUE(garbage.has_value());
  ASSERT_EQ(garbage->size(), 1u);
  EXPECT_EQ((*garbage)[0].digest, Digest('d'));
  EXPECT_EQ(store_->UnreferencedBlobs()->size(), 2u);

  ASSERT_TRUE(store_->DeleteBlobRecord(Digest('d')).ok());
  EXPECT_FALSE(*store_->OrgHasBlob("org1", Digest('d')));
  EXPECT_EQ(store_->DeleteBlobRecord(Digest('d')).code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->DeleteBlobRecord(Digest('a')).code(), StatusCode::kFailedPrecondition);
  Status deployed = store_->DeleteBlobRecord(Digest('c'));  // a deployment's previous version
  EXPECT_EQ(deployed.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(deployed.message().find("deployment"), std::string::npos);
  EXPECT_TRUE(store_->GetBlobRecord(Digest('c')).has_value());
  EXPECT_EQ(*store_->OrgBlobBytes("org1"), 4u);
}

TEST_F(StoreTest, Uploads) {
  ASSERT_TRUE(store_->CreateUpload(Upload{"u1", "org1", 1234, 10}).ok());
  ASSERT_TRUE(store_->CreateUpload(Upload{"u2", "org1", 1, 30}).ok());
  EXPECT_EQ(store_->CreateUpload(Upload{"u1", "org1", 1, 10}).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(store_->CreateUpload(Upload{"u3", "missing", 1, 10}).code(), StatusCode::kNotFound);
  auto upload = store_->GetUpload("u1");
  ASSERT_TRUE(upload.has_value());
  EXPECT_EQ(upload->size_declared, 1234u);
  EXPECT_EQ(upload->org_id, "org1");
  auto stale = store_->ListUploadsCreatedBefore(20);
  ASSERT_TRUE(stale.has_value());
  ASSERT_EQ(stale->size(), 1u);
  EXPECT_EQ((*stale)[0].id, "u1");
  ASSERT_TRUE(store_->DeleteUpload("u1").ok());
  EXPECT_EQ(store_->DeleteUpload("u1").code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->GetUpload("u1").error().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace locai::store

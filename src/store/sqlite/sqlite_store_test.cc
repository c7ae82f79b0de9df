// SqliteStore: opening, migrations, organisations and API keys.
#include "store/sqlite/sqlite_store.h"

#include <gtest/gtest.h>

#include "store/sqlite/migrate.h"
#include "store/testing/store_fixture.h"

namespace locai::store {
namespace {

using testing::StoreTest;

ApiKey MakeKey(std::string id, std::string role = "admin") {
  ApiKey key;
  key.id = std::move(id);
  key.org_id = "org1";
  key.name = "ci";
  key.role = std::move(role);
  key.secret_hash = "salt$hash";
  key.created_at = 2000;
  return key;
}

TEST_F(StoreTest, MigrationsAreIdempotentAndRecorded) {
  EXPECT_EQ(*SchemaVersion(store_->database(), "store"),
            static_cast<int64_t>(StoreMigrations().size()));
  // Opening again (a second connection, then a reopen) applies nothing twice.
  auto second = OpenStore();
  ASSERT_NE(second, nullptr);
  store_.reset();
  store_ = OpenStore();
  ASSERT_NE(store_, nullptr);
  EXPECT_EQ(*SchemaVersion(store_->database(), "store"),
            static_cast<int64_t>(StoreMigrations().size()));
  EXPECT_EQ(store_->ListOrgs()->size(), 1u);
}

TEST_F(StoreTest, NewerSchemaIsRefused) {
  ASSERT_TRUE(store_->database()
                  .Exec("INSERT INTO schema_migrations(component, version, applied_at)"
                        " VALUES ('store', 999, 0)")
                  .ok());
  store_.reset();
  auto reopened = SqliteStore::Open(path());
  ASSERT_FALSE(reopened.has_value());
  EXPECT_EQ(reopened.error().code(), StatusCode::kFailedPrecondition);
}

TEST_F(StoreTest, OtherComponentsShareTheDatabase) {
  ASSERT_TRUE(Migrate(store_->database(), "audit", {"CREATE TABLE audit_events(i INTEGER)"}).ok());
  EXPECT_EQ(*SchemaVersion(store_->database(), "audit"), 1);
}

TEST_F(StoreTest, Orgs) {
  ASSERT_TRUE(store_->CreateOrg(Org{"org2", "beta", "pro", 3000}).ok());
  EXPECT_EQ(store_->CreateOrg(Org{"org3", "acme", "free", 1}).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(store_->CreateOrg(Org{"org1", "other", "free", 1}).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(store_->CreateOrg(Org{"", "x", "free", 1}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->CreateOrg(Org{"org4", "", "free", 1}).code(), StatusCode::kInvalidArgument);

  auto org = store_->GetOrg("org2");
  ASSERT_TRUE(org.has_value());
  EXPECT_EQ(org->name, "beta");
  EXPECT_EQ(org->plan, "pro");
  EXPECT_EQ(org->created_at, 3000);
  EXPECT_EQ(store_->FindOrgByName("acme")->id, "org1");
  EXPECT_EQ(store_->GetOrg("nope").error().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->FindOrgByName("nope").error().code(), StatusCode::kNotFound);

  auto orgs = store_->ListOrgs();
  ASSERT_TRUE(orgs.has_value());
  ASSERT_EQ(orgs->size(), 2u);
  EXPECT_EQ((*orgs)[0].name, "acme");
  EXPECT_EQ((*orgs)[1].name, "beta");
}

TEST_F(StoreTest, ApiKeys) {
  ASSERT_TRUE(store_->CreateApiKey(MakeKey("k1")).ok());
  ASSERT_TRUE(store_->CreateApiKey(MakeKey("k2", "inference")).ok());
  EXPECT_EQ(store_->CreateApiKey(MakeKey("k1")).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(store_->CreateApiKey(MakeKey("k3", "root")).code(), StatusCode::kInvalidArgument);
  ApiKey orphan = MakeKey("k4");
  orphan.org_id = "missing";
  EXPECT_EQ(store_->CreateApiKey(orphan).code(), StatusCode::kNotFound);

  auto key = store_->GetApiKey("k2");
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(key->role, "inference");
  EXPECT_EQ(key->secret_hash, "salt$hash");
  EXPECT_FALSE(key->revoked_at.has_value());
  EXPECT_EQ(key->last_used_at, 0);
  EXPECT_EQ(store_->GetApiKey("nope").error().code(), StatusCode::kNotFound);

  ASSERT_TRUE(store_->TouchApiKey("k2", 5000).ok());
  ASSERT_TRUE(store_->TouchApiKey("k2", 4000).ok());  // never goes back
  EXPECT_EQ(store_->GetApiKey("k2")->last_used_at, 5000);
  EXPECT_EQ(store_->TouchApiKey("nope", 1).code(), StatusCode::kNotFound);

  EXPECT_EQ(store_->RevokeApiKey("other-org", "k1", 6000).code(), StatusCode::kNotFound);
  ASSERT_TRUE(store_->RevokeApiKey("org1", "k1", 6000).ok());
  ASSERT_TRUE(store_->RevokeApiKey("org1", "k1", 7000).ok());  // keeps the first time
  EXPECT_EQ(store_->GetApiKey("k1")->revoked_at, 6000);

  auto keys = store_->ListApiKeys("org1");
  ASSERT_TRUE(keys.has_value());
  ASSERT_EQ(keys->size(), 2u);
  EXPECT_EQ((*keys)[0].id, "k1");
  EXPECT_TRUE(store_->ListApiKeys("other-org")->empty());
}

TEST_F(StoreTest, DataSurvivesReopen) {
  ASSERT_TRUE(store_->CreateApiKey(MakeKey("k1", "deployer")).ok());
  store_.reset();
  store_ = OpenStore();
  ASSERT_NE(store_, nullptr);
  EXPECT_EQ(store_->FindOrgByName("acme")->id, "org1");
  EXPECT_EQ(store_->GetApiKey("k1")->role, "deployer");
}

}  // namespace
}  // namespace locai::store

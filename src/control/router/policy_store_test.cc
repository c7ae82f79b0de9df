#include "control/router/policy_store.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <random>

namespace locai::control::router {
namespace {

using std::chrono::milliseconds;

class PolicyStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("router_policy_" + std::to_string(std::random_device()()));
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "locai.db").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<store::Database> OpenDb() {
    auto db = store::Database::Open(path_);
    EXPECT_TRUE(db) << db.error().ToString();
    return std::move(*db);
  }

  static ProviderConfig OpenAiProvider() {
    return {"openai",
            ProviderKind::kOpenAi,
            "https://api.openai.com/v1",
            "sk-secret-1",
            {"gpt-4o-mini", "gpt-4o"}};
  }

  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(PolicyStoreTest, DefaultPolicyWhenNoneStored) {
  auto db = OpenDb();
  auto store = PolicyStore::Open(*db);
  ASSERT_TRUE(store) << store.error().ToString();
  Result<OrgPolicy> policy = (*store)->GetOrgPolicy("org1");
  ASSERT_TRUE(policy);
  EXPECT_EQ(*policy, OrgPolicy());
  EXPECT_EQ((*store)->GetOrgPolicy("").error().code(), StatusCode::kInvalidArgument);
}

TEST_F(PolicyStoreTest, PoliciesOverridesAndProvidersSurviveReopen) {
  OrgPolicy org;
  org.policy = DataPolicy::kHybrid;
  org.max_queue_wait = milliseconds(1500);
  org.pii_action = policy::PiiAction::kRedact;
  org.cloud_models = {{"llama3.2:1b", "openai/gpt-4o-mini"}, {"qwen3:8b", "claude/sonnet"}};
  KeyPolicyOverride key;
  key.policy = DataPolicy::kLocal;
  key.pii_action = policy::PiiAction::kBlock;
  ProviderConfig claude{"claude", ProviderKind::kAnthropic, "https://api.anthropic.com", "ak", {}};
  {
    auto db = OpenDb();
    auto store = PolicyStore::Open(*db);
    ASSERT_TRUE(store);
    ASSERT_TRUE((*store)->SetOrgPolicy("org1", org).ok());
    ASSERT_TRUE((*store)->SetKeyOverride("org1", "key1", key).ok());
    ASSERT_TRUE((*store)->PutProvider("org1", OpenAiProvider()).ok());
    ASSERT_TRUE((*store)->PutProvider("org1", claude).ok());
  }
  auto db = OpenDb();
  auto store = PolicyStore::Open(*db);
  ASSERT_TRUE(store);
  EXPECT_EQ(*(*store)->GetOrgPolicy("org1"), org);
  EXPECT_EQ(*(*store)->GetOrgPolicy("org2"), OrgPolicy());  // other organisations untouched
  std::optional<KeyPolicyOverride> stored = *(*store)->GetKeyOverride("key1");
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(*stored, key);
  EXPECT_FALSE((*(*store)->GetKeyOverride("key2")).has_value());

  Result<OrgPolicy> resolved = (*store)->ResolveForKey("org1", "key1");
  ASSERT_TRUE(resolved);
  EXPECT_EQ(resolved->policy, DataPolicy::kLocal);
  EXPECT_EQ(resolved->max_queue_wait, milliseconds(1500));
  EXPECT_EQ(resolved->pii_action, policy::PiiAction::kBlock);
  // An override recorded for a key of another organisation does not apply.
  EXPECT_EQ((*store)->ResolveForKey("org2", "key1")->policy, DataPolicy::kOnprem);
  EXPECT_EQ((*store)->ResolveForKey("org1", "no-override")->policy, DataPolicy::kHybrid);

  Result<ProviderConfig> provider = (*store)->GetProvider("org1", "openai");
  ASSERT_TRUE(provider);
  EXPECT_EQ(*provider, OpenAiProvider());
  EXPECT_EQ((*store)->GetProvider("org2", "openai").error().code(), StatusCode::kNotFound);
}

// Reads are cached; every write through the store is seen by the next read.
TEST_F(PolicyStoreTest, ReadsSeeEveryWriteThroughTheCache) {
  auto db = OpenDb();
  auto store = PolicyStore::Open(*db);
  ASSERT_TRUE(store) << store.error().ToString();
  PolicyStore& policies = **store;
  ASSERT_EQ(policies.ResolveForKey("org1", "k1")->policy, DataPolicy::kOnprem);  // cached

  OrgPolicy org;
  org.policy = DataPolicy::kHybrid;
  org.cloud_models = {{"m", "openai/gpt-4o-mini"}};
  ASSERT_TRUE(policies.SetOrgPolicy("org1", org).ok());
  EXPECT_EQ(policies.ResolveForKey("org1", "k1")->policy, DataPolicy::kHybrid);

  KeyPolicyOverride key;
  key.policy = DataPolicy::kLocal;
  ASSERT_TRUE(policies.SetKeyOverride("org1", "k1", key).ok());
  EXPECT_EQ(policies.ResolveForKey("org1", "k1")->policy, DataPolicy::kLocal);
  // The override of org1's key never applies to a caller of another organisation.
  EXPECT_EQ(policies.ResolveForKey("org2", "k1")->policy, DataPolicy::kOnprem);

  ASSERT_TRUE(policies.DeleteKeyOverride("k1").ok());
  EXPECT_EQ(policies.ResolveForKey("org1", "k1")->policy, DataPolicy::kHybrid);
  EXPECT_FALSE(*policies.GetKeyOverride("k1"));
}

TEST_F(PolicyStoreTest, ListProvidersNeverReturnsTheKey) {
  auto db = OpenDb();
  auto store = PolicyStore::Open(*db);
  ASSERT_TRUE(store);
  ASSERT_TRUE((*store)->PutProvider("org1", OpenAiProvider()).ok());
  ProviderConfig keyless{"local-vllm", ProviderKind::kOpenAi, "http://10.0.0.9:8000", "", {}};
  ASSERT_TRUE((*store)->PutProvider("org1", keyless).ok());
  Result<std::vector<ProviderInfo>> list = (*store)->ListProviders("org1");
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].name, "local-vllm");
  EXPECT_FALSE((*list)[0].has_api_key);
  EXPECT_EQ((*list)[1], ToProviderInfo(OpenAiProvider()));
  EXPECT_TRUE((*list)[1].has_api_key);
  EXPECT_TRUE((*store)->ListProviders("org2")->empty());

  // Replacing keeps one row; deleting removes it; deleting again is NotFound.
  ProviderConfig rotated = OpenAiProvider();
  rotated.api_key = "sk-secret-2";
  ASSERT_TRUE((*store)->PutProvider("org1", rotated).ok());
  EXPECT_EQ((*store)->GetProvider("org1", "openai")->api_key, "sk-secret-2");
  EXPECT_EQ((*store)->ListProviders("org1")->size(), 2u);
  EXPECT_TRUE((*store)->DeleteProvider("org1", "openai").ok());
  EXPECT_EQ((*store)->DeleteProvider("org1", "openai").code(), StatusCode::kNotFound);
  EXPECT_EQ((*store)->ProvidersForEgress()->size(), 1u);
}

TEST_F(PolicyStoreTest, InvalidInputIsRefusedAndNothingChanges) {
  auto db = OpenDb();
  auto store = PolicyStore::Open(*db);
  ASSERT_TRUE(store);
  OrgPolicy bad;
  bad.cloud_models["m"] = "no-slash";
  EXPECT_EQ((*store)->SetOrgPolicy("org1", bad).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(*(*store)->GetOrgPolicy("org1"), OrgPolicy());
  ProviderConfig provider = OpenAiProvider();
  provider.base_url = "file:///etc/passwd";
  EXPECT_EQ((*store)->PutProvider("org1", provider).code(), StatusCode::kInvalidArgument);
  KeyPolicyOverride key;
  key.max_queue_wait = milliseconds(-1);
  EXPECT_EQ((*store)->SetKeyOverride("org1", "k", key).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE((*store)->DeleteKeyOverride("k").ok());
}

TEST_F(PolicyStoreTest, AirgappedProcessRefusesProviders) {
  auto db = OpenDb();
  {
    // Configured before the process was made air-gapped.
    auto open = PolicyStore::Open(*db);
    ASSERT_TRUE(open);
    ASSERT_TRUE((*open)->PutProvider("org1", OpenAiProvider()).ok());
  }
  auto store = PolicyStore::Open(*db, PolicyStoreOptions{.airgapped = true});
  ASSERT_TRUE(store);
  Status refused = (*store)->PutProvider("org1", OpenAiProvider());
  EXPECT_EQ(refused.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(refused.message(), "air-gapped: cloud providers cannot be configured");
  EXPECT_TRUE((*store)->ProvidersForEgress()->empty());
  EXPECT_TRUE((*store)->GetOrgPolicy("org1")->airgapped);

  OrgPolicy hybrid;
  hybrid.policy = DataPolicy::kHybrid;
  EXPECT_EQ((*store)->SetOrgPolicy("org2", hybrid).code(), StatusCode::kFailedPrecondition);
  // A key override asking for hybrid resolves to onprem.
  KeyPolicyOverride key;
  key.policy = DataPolicy::kHybrid;
  ASSERT_TRUE((*store)->SetKeyOverride("org2", "k", key).ok());
  EXPECT_EQ((*store)->ResolveForKey("org2", "k")->policy, DataPolicy::kOnprem);
}

TEST_F(PolicyStoreTest, AirgappedOrganisationRefusesProviders) {
  auto db = OpenDb();
  auto store = PolicyStore::Open(*db);
  ASSERT_TRUE(store);
  OrgPolicy airgapped;
  airgapped.airgapped = true;
  ASSERT_TRUE((*store)->SetOrgPolicy("org1", airgapped).ok());
  EXPECT_EQ((*store)->PutProvider("org1", OpenAiProvider()).code(),
            StatusCode::kFailedPrecondition);
  EXPECT_TRUE((*store)->ListProviders("org1")->empty());
  // Another organisation is not air-gapped.
  EXPECT_TRUE((*store)->PutProvider("org2", OpenAiProvider()).ok());
  // An organisation with providers cannot become air-gapped until they are removed.
  EXPECT_EQ((*store)->SetOrgPolicy("org2", airgapped).code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE((*store)->DeleteProvider("org2", "openai").ok());
  EXPECT_TRUE((*store)->SetOrgPolicy("org2", airgapped).ok());
}

}  // namespace
}  // namespace locai::control::router

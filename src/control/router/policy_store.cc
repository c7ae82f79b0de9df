#include "control/router/policy_store.h"

#include <nlohmann/json.hpp>
#include <utility>

#include "store/sqlite/migrate.h"

namespace locai::control::router {
namespace {

constexpr std::string_view kAirgappedProviders = "air-gapped: cloud providers cannot be configured";

Status CheckId(std::string_view id, std::string_view what) {
  if (id.empty()) return Status::InvalidArgument(std::string(what) + " must not be empty");
  return Status::Ok();
}

// Models are kept as a JSON array of strings: nothing in a model name needs escaping by hand.
std::string ModelsToText(const std::vector<std::string>& models) {
  return nlohmann::json(models).dump();
}

std::vector<std::string> ModelsFromText(const std::string& text) {
  std::vector<std::string> models;
  nlohmann::json parsed = nlohmann::json::parse(text, nullptr, false);
  if (!parsed.is_array()) return models;
  for (const auto& model : parsed) {
    if (model.is_string()) models.push_back(model.get<std::string>());
  }
  return models;
}

// Reads the provider in the current row of `SELECT name, kind, base_url, api_key, models`.
Result<ProviderConfig> ProviderFromRow(const store::Statement& row) {
  ProviderConfig provider;
  provider.name = row.ColumnText(0);
  LOCAI_ASSIGN_OR_RETURN(provider.kind, ParseProviderKind(row.ColumnText(1)));
  provider.base_url = row.ColumnText(2);
  provider.api_key = row.ColumnText(3);
  provider.models = ModelsFromText(row.ColumnText(4));
  return provider;
}

}  // namespace

const std::vector<std::string>& RouterMigrations() {
  static const std::vector<std::string> kSteps = {
      "CREATE TABLE router_org_policy ("
      "  org_id TEXT PRIMARY KEY,"
      "  policy TEXT NOT NULL,"
      "  max_queue_wait_ms INTEGER NOT NULL,"
      "  pii_action TEXT NOT NULL,"
      "  airgapped INTEGER NOT NULL);"
      "CREATE TABLE router_cloud_models ("
      "  org_id TEXT NOT NULL,"
      "  local_model TEXT NOT NULL,"
      "  target TEXT NOT NULL,"
      "  PRIMARY KEY (org_id, local_model));"
      "CREATE TABLE router_key_policy ("
      "  key_id TEXT PRIMARY KEY,"
      "  org_id TEXT NOT NULL,"
      "  policy TEXT,"
      "  max_queue_wait_ms INTEGER,"
      "  pii_action TEXT);"
      "CREATE TABLE router_providers ("
      "  org_id TEXT NOT NULL,"
      "  name TEXT NOT NULL,"
      "  kind TEXT NOT NULL,"
      "  base_url TEXT NOT NULL,"
      "  api_key TEXT NOT NULL,"
      "  models TEXT NOT NULL,"
      "  PRIMARY KEY (org_id, name));",
  };
  return kSteps;
}

Result<std::unique_ptr<PolicyStore>> PolicyStore::Open(store::Database& db,
                                                       PolicyStoreOptions options) {
  LOCAI_RETURN_IF_ERROR(store::Migrate(db, "router", RouterMigrations()));
  return std::unique_ptr<PolicyStore>(new PolicyStore(db, options));
}

void PolicyStore::InvalidateCache() {
  std::lock_guard<std::mutex> lock(cache_mu_);
  ++generation_;
  org_cache_.clear();
  key_cache_.clear();
}

Result<OrgPolicy> PolicyStore::GetOrgPolicy(std::string_view org_id) {
  LOCAI_RETURN_IF_ERROR(CheckId(org_id, "organisation id"));
  uint64_t generation;
  {
    std::lock_guard<std::mutex> lock(cache_mu_);
    auto it = org_cache_.find(org_id);
    if (it != org_cache_.end()) return it->second;
    generation = generation_;
  }
  LOCAI_ASSIGN_OR_RETURN(OrgPolicy policy, ReadOrgPolicy(org_id));
  std::lock_guard<std::mutex> lock(cache_mu_);
  if (generation == generation_) {
    if (org_cache_.size() >= kMaxCacheEntries) org_cache_.clear();
    org_cache_.emplace(std::string(org_id), policy);
  }
  return policy;
}

Result<OrgPolicy> PolicyStore::ReadOrgPolicy(std::string_view org_id) {
  auto lock = db_.Lock();  // the policy row and its models are read together
  OrgPolicy policy;
  {
    LOCAI_ASSIGN_OR_RETURN(store::Statement select,
                           db_.Prepare("SELECT policy, max_queue_wait_ms, pii_action, airgapped "
                                       "FROM router_org_policy WHERE org_id = ?1"));
    LOCAI_RETURN_IF_ERROR(select.BindText(1, org_id));
    LOCAI_ASSIGN_OR_RETURN(bool found, select.Step());
    if (found) {
      LOCAI_ASSIGN_OR_RETURN(policy.policy, ParseDataPolicy(select.ColumnText(0)));
      policy.max_queue_wait = std::chrono::milliseconds(select.ColumnInt64(1));
      LOCAI_ASSIGN_OR_RETURN(policy.pii_action, policy::ParsePiiAction(select.ColumnText(2)));
      policy.airgapped = select.ColumnInt64(3) != 0;
    }
  }
  LOCAI_ASSIGN_OR_RETURN(
      store::Statement models,
      db_.Prepare("SELECT local_model, target FROM router_cloud_models WHERE org_id = ?1"));
  LOCAI_RETURN_IF_ERROR(models.BindText(1, org_id));
  while (true) {
    LOCAI_ASSIGN_OR_RETURN(bool row, models.Step());
    if (!row) break;
    policy.cloud_models[models.ColumnText(0)] = models.ColumnText(1);
  }
  if (options_.airgapped) policy.airgapped = true;
  return policy;
}

Status PolicyStore::SetOrgPolicy(std::string_view org_id, const OrgPolicy& policy) {
  LOCAI_RETURN_IF_ERROR(CheckId(org_id, "organisation id"));
  OrgPolicy checked = policy;
  if (options_.airgapped) checked.airgapped = true;
  LOCAI_RETURN_IF_ERROR(ValidateOrgPolicy(checked));
  LOCAI_ASSIGN_OR_RETURN(store::Transaction transaction, store::Transaction::Begin(db_));
  if (policy.airgapped) {
    LOCAI_ASSIGN_OR_RETURN(bool has_providers, HasProviders(org_id));
    if (has_providers) {
      return Status::FailedPrecondition(
          "air-gapped: remove the organisation's cloud providers first");
    }
  }
  {
    LOCAI_ASSIGN_OR_RETURN(
        store::Statement upsert,
        db_.Prepare("INSERT INTO router_org_policy "
                    "(org_id, policy, max_queue_wait_ms, pii_action, airgapped) "
                    "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(org_id) DO UPDATE SET "
                    "policy = ?2, max_queue_wait_ms = ?3, pii_action = ?4, airgapped = ?5"));
    LOCAI_RETURN_IF_ERROR(upsert.BindText(1, org_id));
    LOCAI_RETURN_IF_ERROR(upsert.BindText(2, DataPolicyName(policy.policy)));
    LOCAI_RETURN_IF_ERROR(upsert.BindInt64(3, policy.max_queue_wait.count()));
    LOCAI_RETURN_IF_ERROR(upsert.BindText(4, policy::PiiActionName(policy.pii_action)));
    LOCAI_RETURN_IF_ERROR(upsert.BindInt64(5, policy.airgapped ? 1 : 0));
    LOCAI_RETURN_IF_ERROR(upsert.Run());
  }
  {
    LOCAI_ASSIGN_OR_RETURN(store::Statement clear,
                           db_.Prepare("DELETE FROM router_cloud_models WHERE org_id = ?1"));
    LOCAI_RETURN_IF_ERROR(clear.BindText(1, org_id));
    LOCAI_RETURN_IF_ERROR(clear.Run());
  }
  for (const auto& [local_model, target] : policy.cloud_models) {
    LOCAI_ASSIGN_OR_RETURN(
        store::Statement insert,
        db_.Prepare("INSERT INTO router_cloud_models (org_id, local_model, target) "
                    "VALUES (?1, ?2, ?3)"));
    LOCAI_RETURN_IF_ERROR(insert.BindText(1, org_id));
    LOCAI_RETURN_IF_ERROR(insert.BindText(2, local_model));
    LOCAI_RETURN_IF_ERROR(insert.BindText(3, target));
    LOCAI_RETURN_IF_ERROR(insert.Run());
  }
  Status committed = transaction.Commit();
  InvalidateCache();
  return committed;
}

Result<std::optional<KeyPolicyOverride>> PolicyStore::GetKeyOverride(std::string_view key_id) {
  LOCAI_RETURN_IF_ERROR(CheckId(key_id, "key id"));
  LOCAI_ASSIGN_OR_RETURN(std::optional<StoredOverride> stored, ReadStoredOverride(key_id));
  if (!stored) return std::optional<KeyPolicyOverride>();
  return std::optional<KeyPolicyOverride>(std::move(stored->key));
}

Result<std::optional<PolicyStore::StoredOverride>> PolicyStore::ReadStoredOverride(
    std::string_view key_id) {
  uint64_t generation;
  {
    std::lock_guard<std::mutex> lock(cache_mu_);
    auto it = key_cache_.find(key_id);
    if (it != key_cache_.end()) return it->second;
    generation = generation_;
  }
  std::optional<StoredOverride> stored;
  {
    auto db_lock = db_.Lock();  // the owner and the override are read together
    LOCAI_ASSIGN_OR_RETURN(store::Statement select,
                           db_.Prepare("SELECT org_id FROM router_key_policy WHERE key_id = ?1"));
    LOCAI_RETURN_IF_ERROR(select.BindText(1, key_id));
    LOCAI_ASSIGN_OR_RETURN(bool found, select.Step());
    if (found) {
      std::string owner = select.ColumnText(0);
      LOCAI_ASSIGN_OR_RETURN(std::optional<KeyPolicyOverride> key, ReadKeyOverride(key_id));
      if (key) stored = StoredOverride{std::move(owner), std::move(*key)};
    }
  }
  std::lock_guard<std::mutex> lock(cache_mu_);
  if (generation == generation_) {
    if (key_cache_.size() >= kMaxCacheEntries) key_cache_.clear();
    key_cache_.emplace(std::string(key_id), stored);
  }
  return stored;
}

Result<std::optional<KeyPolicyOverride>> PolicyStore::ReadKeyOverride(std::string_view key_id) {
  LOCAI_ASSIGN_OR_RETURN(
      store::Statement select,
      db_.Prepare("SELECT policy, max_queue_wait_ms, pii_action FROM router_key_policy "
                  "WHERE key_id = ?1"));
  LOCAI_RETURN_IF_ERROR(select.BindText(1, key_id));
  LOCAI_ASSIGN_OR_RETURN(bool found, select.Step());
  if (!found) return std::optional<KeyPolicyOverride>();
  KeyPolicyOverride key;
  if (!select.ColumnIsNull(0)) {
    LOCAI_ASSIGN_OR_RETURN(key.policy, ParseDataPolicy(select.ColumnText(0)));
  }
  if (!select.ColumnIsNull(1))
    key.max_queue_wait = std::chrono::milliseconds(select.ColumnInt64(1));
  if (!select.ColumnIsNull(2)) {
    LOCAI_ASSIGN_OR_RETURN(key.pii_action, policy::ParsePiiAction(select.ColumnText(2)));
  }
  return std::optional<KeyPolicyOverride>(std::move(key));
}

Status PolicyStore::SetKeyOverride(std::string_view org_id, std::string_view key_id,
                                   const KeyPolicyOverride& key) {
  LOCAI_RETURN_IF_ERROR(CheckId(org_id, "organisation id"));
  LOCAI_RETURN_IF_ERROR(CheckId(key_id, "key id"));
  LOCAI_RETURN_IF_ERROR(ValidateKeyOverride(key));
  LOCAI_ASSIGN_OR_RETURN(
      store::Statement upsert,
      db_.Prepare("INSERT INTO router_key_policy "
                  "(key_id, org_id, policy, max_queue_wait_ms, pii_action) "
                  "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(key_id) DO UPDATE SET "
                  "org_id = ?2, policy = ?3, max_queue_wait_ms = ?4, pii_action = ?5"));
  LOCAI_RETURN_IF_ERROR(upsert.BindText(1, key_id));
  LOCAI_RETURN_IF_ERROR(upsert.BindText(2, org_id));
  LOCAI_RETURN_IF_ERROR(key.policy ? upsert.BindText(3, DataPolicyName(*key.policy))
                                   : upsert.BindNull(3));
  LOCAI_RETURN_IF_ERROR(key.max_queue_wait ? upsert.BindInt64(4, key.max_queue_wait->count())
                                           : upsert.BindNull(4));
  LOCAI_RETURN_IF_ERROR(key.pii_action ? upsert.BindText(5, policy::PiiActionName(*key.pii_action))
                                       : upsert.BindNull(5));
  Status stored = upsert.Run();
  InvalidateCache();
  return stored;
}

Status PolicyStore::DeleteKeyOverride(std::string_view key_id) {
  LOCAI_RETURN_IF_ERROR(CheckId(key_id, "key id"));
  LOCAI_ASSIGN_OR_RETURN(store::Statement remove,
                         db_.Prepare("DELETE FROM router_key_policy WHERE key_id = ?1"));
  LOCAI_RETURN_IF_ERROR(remove.BindText(1, key_id));
  Status removed = remove.Run();
  InvalidateCache();
  return removed;
}

Result<OrgPolicy> PolicyStore::ResolveForKey(std::string_view org_id, std::string_view key_id) {
  LOCAI_ASSIGN_OR_RETURN(OrgPolicy org, GetOrgPolicy(org_id));
  LOCAI_RETURN_IF_ERROR(CheckId(key_id, "key id"));
  LOCAI_ASSIGN_OR_RETURN(std::optional<StoredOverride> stored, ReadStoredOverride(key_id));
  // An override stored for a key of another organisation is ignored.
  if (!stored || stored->org_id != org_id) return ResolvePolicy(org, std::nullopt);
  return ResolvePolicy(org, stored->key);
}

Result<bool> PolicyStore::HasProviders(std::string_view org_id) {
  LOCAI_ASSIGN_OR_RETURN(store::Statement select,
                         db_.Prepare("SELECT 1 FROM router_providers WHERE org_id = ?1 LIMIT 1"));
  LOCAI_RETURN_IF_ERROR(select.BindText(1, org_id));
  return select.Step();
}

Status PolicyStore::PutProvider(std::string_view org_id, const ProviderConfig& provider) {
  LOCAI_RETURN_IF_ERROR(CheckId(org_id, "organisation id"));
  if (options_.airgapped) return Status::FailedPrecondition(std::string(kAirgappedProviders));
  LOCAI_RETURN_IF_ERROR(ValidateProvider(provider));
  LOCAI_ASSIGN_OR_RETURN(store::Transaction transaction, store::Transaction::Begin(db_));
  {
    LOCAI_ASSIGN_OR_RETURN(
        store::Statement select,
        db_.Prepare("SELECT airgapped FROM router_org_policy WHERE org_id = ?1"));
    LOCAI_RETURN_IF_ERROR(select.BindText(1, org_id));
    LOCAI_ASSIGN_OR_RETURN(bool found, select.Step());
    if (found && select.ColumnInt64(0) != 0) {
      return Status::FailedPrecondition(std::string(kAirgappedProviders));
    }
  }
  {
    LOCAI_ASSIGN_OR_RETURN(
        store::Statement upsert,
        db_.Prepare("INSERT INTO router_providers (org_id, name, kind, base_url, api_key, models) "
                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(org_id, name) DO UPDATE SET "
                    "kind = ?3, base_url = ?4, api_key = ?5, models = ?6"));
    LOCAI_RETURN_IF_ERROR(upsert.BindText(1, org_id));
    LOCAI_RETURN_IF_ERROR(upsert.BindText(2, provider.name));
    LOCAI_RETURN_IF_ERROR(upsert.BindText(3, ProviderKindName(provider.kind)));
    LOCAI_RETURN_IF_ERROR(upsert.BindText(4, provider.base_url));
    LOCAI_RETURN_IF_ERROR(upsert.BindText(5, provider.api_key));
    LOCAI_RETURN_IF_ERROR(upsert.BindText(6, ModelsToText(provider.models)));
    LOCAI_RETURN_IF_ERROR(upsert.Run());
  }
  return transaction.Commit();
}

Status PolicyStore::DeleteProvider(std::string_view org_id, std::string_view name) {
  LOCAI_ASSIGN_OR_RETURN(
      store::Statement remove,
      db_.Prepare("DELETE FROM router_providers WHERE org_id = ?1 AND name = ?2"));
  LOCAI_RETURN_IF_ERROR(remove.BindText(1, org_id));
  LOCAI_RETURN_IF_ERROR(remove.BindText(2, name));
  LOCAI_RETURN_IF_ERROR(remove.Run());
  if (db_.Changes() == 0) {
    return Status::NotFound("no cloud provider '" + std::string(name) + "'");
  }
  return Status::Ok();
}

Result<std::vector<ProviderInfo>> PolicyStore::ListProviders(std::string_view org_id) {
  LOCAI_ASSIGN_OR_RETURN(
      store::Statement select,
      db_.Prepare("SELECT name, kind, base_url, api_key, models FROM router_providers "
                  "WHERE org_id = ?1 ORDER BY name"));
  LOCAI_RETURN_IF_ERROR(select.BindText(1, org_id));
  std::vector<ProviderInfo> out;
  while (true) {
    LOCAI_ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) break;
    LOCAI_ASSIGN_OR_RETURN(ProviderConfig provider, ProviderFromRow(select));
    out.push_back(ToProviderInfo(provider));
  }
  return out;
}

Result<ProviderConfig> PolicyStore::GetProvider(std::string_view org_id, std::string_view name) {
  LOCAI_ASSIGN_OR_RETURN(
      store::Statement select,
      db_.Prepare("SELECT name, kind, base_url, api_key, models FROM router_providers "
                  "WHERE org_id = ?1 AND name = ?2"));
  LOCAI_RETURN_IF_ERROR(select.BindText(1, org_id));
  LOCAI_RETURN_IF_ERROR(select.BindText(2, name));
  LOCAI_ASSIGN_OR_RETURN(bool found, select.Step());
  if (!found) return Err(Status::NotFound("no cloud provider '" + std::string(name) + "'"));
  return ProviderFromRow(select);
}

Result<std::vector<ProviderConfig>> PolicyStore::ProvidersForEgress() {
  // Rows left from before the process was made air-gapped open no way out.
  if (options_.airgapped) return std::vector<ProviderConfig>();
  LOCAI_ASSIGN_OR_RETURN(
      store::Statement select,
      db_.Prepare("SELECT name, kind, base_url, api_key, models FROM router_providers "
                  "ORDER BY org_id, name"));
  std::vector<ProviderConfig> out;
  while (true) {
    LOCAI_ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) break;
    LOCAI_ASSIGN_OR_RETURN(ProviderConfig provider, ProviderFromRow(select));
    out.push_back(std::move(provider));
  }
  return out;
}

}  // namespace locai::control::router

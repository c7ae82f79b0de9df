// SqliteStore: the Store interface (store/store.h) over one SQLite database file
// (server/locai.db). The schema is the migration list of component "store" (schema.cc; described
// in src/store/README.md), applied by Open().
//
// Operations that must be atomic across rows (ConsumeJoinToken, EnrollNode with its node limit,
// PutBlobRecord with its storage limit, PutModelTag, UpdateNodeLabels) run in one BEGIN IMMEDIATE
// transaction, so they are atomic also between several SqliteStore objects (or processes) on the
// same file.
// Threading: thread-safe (the Database serialises calls). database() may be shared with other
// components (audit, metering) that keep their own tables in the same file via Migrate().
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "store/sqlite/database.h"
#include "store/store.h"

namespace locai::store {

// The "store" component's migration steps (version i + 1 = element i).
const std::vector<std::string>& StoreMigrations();

class SqliteStore final : public Store {
 public:
  // Opens (creating) the database at `path` and migrates it. Errors as Database::Open / Migrate.
  static Result<std::unique_ptr<SqliteStore>> Open(const std::string& path);
  // Takes an open database and migrates it.
  static Result<std::unique_ptr<SqliteStore>> Open(std::unique_ptr<Database> db);

  Database& database() { return *db_; }

  // Organisations and API keys (sqlite_store.cc).
  Status CreateOrg(const Org& org) override;
  Result<Org> GetOrg(const std::string& id) override;
  Result<Org> FindOrgByName(const std::string& name) override;
  Result<std::vector<Org>> ListOrgs() override;
  Status CreateApiKey(const ApiKey& key) override;
  Result<ApiKey> GetApiKey(const std::string& id) override;
  Result<std::vector<ApiKey>> ListApiKeys(const std::string& org_id) override;
  Status RevokeApiKey(const std::string& org_id, const std::string& id, int64_t now) override;
  Status TouchApiKey(const std::string& id, int64_t now) override;

  // Join tokens and nodes (sqlite_store_nodes.cc).
  Status CreateJoinToken(const JoinToken& token) override;
  Result<JoinToken> GetJoinToken(const std::string& id) override;
  Result<std::vector<JoinToken>> ListJoinTokens(const std::string& org_id) override;
  Status RevokeJoinToken(const std::string& org_id, const std::string& id) override;
  Result<JoinToken> ConsumeJoinToken(const std::string& id, int64_t now) override;
  Status CreateNode(const Node& node) override;
  Result<Node> EnrollNode(const std::string& token_id, int64_t now, Node new_node,
                          std::optional<int64_t> max_nodes) override;
  Result<Node> GetNode(const std::string& id) override;
  Result<std::vector<Node>> ListNodes(const std::string& org_id) override;
  Result<Node> UpdateNodeLabels(const std::string& org_id, const std::string& id,
                                const std::map<std::string, std::string>& set,
                                const std::vector<std::string>& remove,
                                const std::optional<std::string>& group) override;
  Status UpdateNodeStatus(const std::string& id, const std::string& status, int64_t last_seen_at,
                          const std::string& capabilities_json,
                          const std::string& models_json) override;
  Status RevokeNode(const std::string& org_id, const std::string& id, int64_t now) override;
  Result<int64_t> CountNodes(const std::string& org_id) override;

  // Registry: blobs, tags, uploads (sqlite_store_registry.cc).
  Status PutBlobRecord(const BlobRecord& blob, const std::string& org_id,
                       std::optional<uint64_t> max_org_bytes) override;
  Result<BlobRecord> GetBlobRecord(const std::string& digest) override;
  Result<bool> OrgHasBlob(const std::string& org_id, const std::string& digest) override;
  Result<uint64_t> OrgBlobBytes(const std::string& org_id) override;
  Result<std::optional<std::string>> PutModelTag(const ModelTag& tag) override;
  Result<ModelTag> GetModelTag(const std::string& org_id, const std::string& name,
                               const std::string& tag) override;
  Result<std::vector<ModelTag>> ListModelTags(const std::string& org_id) override;
  Status DeleteModelTag(const std::string& org_id, const std::string& name,
                        const std::string& tag) override;
  using Store::UnreferencedBlobs;
  Result<std::vector<BlobRecord>> UnreferencedBlobs(int64_t created_before) override;
  Status DeleteBlobRecord(const std::string& digest) override;
  Status CreateUpload(const Upload& upload) override;
  Result<Upload> GetUpload(const std::string& id) override;
  Status DeleteUpload(const std::string& id) override;
  Result<std::vector<Upload>> ListUploadsCreatedBefore(int64_t created_before) override;

  // Deployments (sqlite_store_deployments.cc).
  Status CreateDeployment(const Deployment& deployment) override;
  Status UpdateDeployment(const Deployment& deployment) override;
  Result<Deployment> GetDeployment(const std::string& org_id, const std::string& id) override;
  Result<Deployment> GetDeploymentByName(const std::string& org_id,
                                         const std::string& name) override;
  Result<std::vector<Deployment>> ListDeployments(const std::string& org_id) override;
  Result<std::vector<Deployment>> ListAllDeployments() override;
  Status DeleteDeployment(const std::string& org_id, const std::string& id) override;
  Status UpsertDeploymentNodeState(const DeploymentNodeState& state) override;
  Result<std::vector<DeploymentNodeState>> ListDeploymentNodeStates(
      const std::string& deployment_id) override;
  Result<std::vector<DeploymentNodeState>> ListNodeDeploymentStates(
      const std::string& node_id) override;
  Status DeleteDeploymentNodeState(const std::string& deployment_id,
                                   const std::string& node_id) override;

 private:
  explicit SqliteStore(std::unique_ptr<Database> db) : db_(std::move(db)) {}

  // Inserts `node` inside the caller's transaction (or alone).
  Status InsertNode(const Node& node);
  // The token after taking one use, inside the caller's transaction.
  Result<JoinToken> TakeJoinTokenUse(const std::string& id, int64_t now);

  std::unique_ptr<Database> db_;
};

}  // namespace locai::store

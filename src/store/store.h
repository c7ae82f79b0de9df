// Store: the control plane's metadata (organisations, API keys, join tokens, nodes, registry
// blobs and tags, uploads, deployments and their per-node state) behind an abstract interface, so
// that a PostgreSQL implementation can follow the SQLite one (store/sqlite/sqlite_store.h).
//
// Conventions for every method:
// - Times are int64 Unix milliseconds. Ids are chosen by the caller (crypto::RandomHex).
// - NotFound when the addressed row does not exist (or belongs to another organisation: methods
//   that take an org_id never reach another organisation's rows); AlreadyExists for a duplicate id
//   or unique name; InvalidArgument for a missing id/name or an unknown enum value (role, status);
//   FailedPrecondition when the state forbids the operation; Unavailable when the database stays
//   locked; Internal for anything else.
// - JSON columns (capabilities_json, models_json, manifest_json, target_json) are stored as given;
//   the store does not parse them.
// Threading: implementations are thread-safe; each method is atomic on its own.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace locai::store {

struct Org {
  std::string id;
  std::string name;  // unique
  std::string plan;
  int64_t created_at = 0;
};

struct ApiKey {
  std::string id;
  std::string org_id;
  std::string name;
  std::string role;  // "admin" | "deployer" | "inference"
  std::string secret_hash;
  int64_t created_at = 0;
  std::optional<int64_t> revoked_at;  // unset while the key is active
  int64_t last_used_at = 0;           // 0: never
};

struct JoinToken {
  std::string id;
  std::string org_id;
  std::string secret_hash;
  std::string group;  // the group an enrolled node joins
  int64_t expires_at = 0;
  int64_t uses_left = 0;
  int64_t created_at = 0;
  bool revoked = false;
};

struct Node {
  std::string id;
  std::string org_id;
  std::string name;
  std::string group;
  std::map<std::string, std::string> labels;
  std::string public_key;  // as the node sent it (Ed25519)
  int64_t enrolled_at = 0;
  int64_t last_seen_at = 0;
  std::optional<int64_t> revoked_at;  // unset while the node is not revoked
  std::string capabilities_json = "{}";
  std::string models_json = "[]";
  std::string status = "offline";  // "online" | "unhealthy" | "offline" | "revoked"
};

// A registry blob the database knows (the bytes are in blob::BlobStore).
struct BlobRecord {
  std::string digest;  // "sha256:<64 hex>"
  uint64_t size = 0;
  int64_t created_at = 0;
};

struct ModelTag {
  std::string org_id;
  std::string name;  // "llama3.2"
  std::string tag;   // "1b"
  std::string digest;
  std::string manifest_json;
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

struct Upload {
  std::string id;
  std::string org_id;
  uint64_t size_declared = 0;
  int64_t created_at = 0;
};

struct Deployment {
  std::string id;
  std::string org_id;
  std::string name;   // unique within the organisation
  std::string model;  // "name:tag"
  std::string digest;
  std::string previous_digest;  // "" when there is none
  std::string target_json;
  int64_t replicas = 0;  // 0: every targeted node
  int64_t canary_percent = 0;
  int64_t context_length = 0;
  int64_t parallel = 1;
  std::string rollout_state;
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

struct DeploymentNodeState {
  std::string deployment_id;
  std::string node_id;
  std::string digest;
  std::string state;  // pending, downloading, verifying, loading, ready, failed, does_not_fit, ...
  double progress = 0;
  std::string reason;
  int64_t updated_at = 0;
};

// Valid ApiKey::role and Node::status values.
bool IsValidRole(std::string_view role);
bool IsValidNodeStatus(std::string_view status);

class Store {
 public:
  virtual ~Store() = default;

  // ---- Organisations ----
  virtual Status CreateOrg(const Org& org) = 0;  // AlreadyExists: id or name taken
  virtual Result<Org> GetOrg(const std::string& id) = 0;
  virtual Result<Org> FindOrgByName(const std::string& name) = 0;
  virtual Result<std::vector<Org>> ListOrgs() = 0;  // by name

  // ---- API keys ----
  // NotFound when the organisation does not exist.
  virtual Status CreateApiKey(const ApiKey& key) = 0;
  virtual Result<ApiKey> GetApiKey(const std::string& id) = 0;
  virtual Result<std::vector<ApiKey>> ListApiKeys(const std::string& org_id) = 0;  // by created_at
  // Sets revoked_at = now; a key already revoked keeps its first revocation time (OK).
  virtual Status RevokeApiKey(const std::string& org_id, const std::string& id, int64_t now) = 0;
  virtual Status TouchApiKey(const std::string& id, int64_t now) = 0;  // sets last_used_at

  // ---- Join tokens ----
  virtual Status CreateJoinToken(const JoinToken& token) = 0;
  virtual Result<JoinToken> GetJoinToken(const std::string& id) = 0;
  virtual Result<std::vector<JoinToken>> ListJoinTokens(const std::string& org_id) = 0;
  virtual Status RevokeJoinToken(const std::string& org_id, const std::string& id) = 0;
  // Atomically takes one use: NotFound for an unknown token; FailedPrecondition ("join token ...
  // expired" / "revoked" / "has no uses left") otherwise refused. Returns the token after the
  // decrement. Of two concurrent consumers of a one-use token exactly one succeeds.
  virtual Result<JoinToken> ConsumeJoinToken(const std::string& id, int64_t now) = 0;

  // ---- Nodes ----
  // Creates a node directly (tests, tools). AlreadyExists for a duplicate id.
  virtual Status CreateNode(const Node& node) = 0;
  // In one transaction: consumes a use of join token `token_id` (errors as ConsumeJoinToken),
  // checks that the token's organisation has fewer than `max_nodes` non-revoked nodes
  // (ResourceExhausted "node limit reached: N of N nodes ..." otherwise, and the use is not taken),
  // and inserts `new_node` with org_id = the token's, group = the token's group when
  // new_node.group is empty, enrolled_at = last_seen_at = now. Returns the stored node.
  virtual Result<Node> EnrollNode(const std::string& token_id, int64_t now, Node new_node,
                                  std::optional<int64_t> max_nodes) = 0;
  virtual Result<Node> GetNode(const std::string& id) = 0;
  virtual Result<std::vector<Node>> ListNodes(const std::string& org_id) = 0;  // by name, id
  // Sets the labels in `set`, removes the keys in `remove`, and moves the node to `group` when
  // given. Returns the updated node.
  virtual Result<Node> UpdateNodeLabels(const std::string& org_id, const std::string& id,
                                        const std::map<std::string, std::string>& set,
                                        const std::vector<std::string>& remove,
                                        const std::optional<std::string>& group) = 0;
  // Records a heartbeat/state change. Empty capabilities_json / models_json keep the stored ones.
  // FailedPrecondition for a revoked node (its status stays "revoked"); InvalidArgument for an
  // unknown status or "revoked" (use RevokeNode).
  virtual Status UpdateNodeStatus(const std::string& id, const std::string& status,
                                  int64_t last_seen_at, const std::string& capabilities_json,
                                  const std::string& models_json) = 0;
  // Sets revoked_at = now and status = "revoked"; revoking again is OK and keeps the first time.
  virtual Status RevokeNode(const std::string& org_id, const std::string& id, int64_t now) = 0;
  virtual Result<int64_t> CountNodes(const std::string& org_id) = 0;  // non-revoked nodes

  // ---- Registry: blobs and tags ----
  // Records blob `blob` (if new) and that organisation `org_id` holds it. When `max_org_bytes` is
  // given and the organisation does not hold this digest yet, ResourceExhausted ("storage limit
  // reached ...") when the sizes of the distinct blobs it holds plus this one exceed it; a blob the
  // organisation already holds is free. FailedPrecondition when the digest is recorded with another
  // size; NotFound for an unknown organisation.
  virtual Status PutBlobRecord(const BlobRecord& blob, const std::string& org_id,
                               std::optional<uint64_t> max_org_bytes) = 0;
  virtual Result<BlobRecord> GetBlobRecord(const std::string& digest) = 0;
  // Whether organisation `org_id` holds the blob (PutBlobRecord for that org happened).
  virtual Result<bool> OrgHasBlob(const std::string& org_id, const std::string& digest) = 0;
  // Total size of the distinct blobs organisation `org_id` holds.
  virtual Result<uint64_t> OrgBlobBytes(const std::string& org_id) = 0;
  // Creates the tag or moves it to tag.digest (keeping created_at; updated_at = tag.updated_at).
  // Returns the previous digest when an existing tag moved to another digest, nullopt otherwise.
  // NotFound when the organisation does not hold the blob (PutBlobRecord first).
  virtual Result<std::optional<std::string>> PutModelTag(const ModelTag& tag) = 0;
  virtual Result<ModelTag> GetModelTag(const std::string& org_id, const std::string& name,
                                       const std::string& tag) = 0;
  virtual Result<std::vector<ModelTag>> ListModelTags(const std::string& org_id) = 0;
  virtual Status DeleteModelTag(const std::string& org_id, const std::string& name,
                                const std::string& tag) = 0;
  // Blobs recorded before `created_before` that no tag and no deployment (digest or
  // previous_digest) of any organisation references: what garbage collection may delete. The
  // cut-off spares a blob just uploaded whose tag is not created yet.
  virtual Result<std::vector<BlobRecord>> UnreferencedBlobs(int64_t created_before) = 0;
  Result<std::vector<BlobRecord>> UnreferencedBlobs() {
    return UnreferencedBlobs(std::numeric_limits<int64_t>::max());
  }
  // Deletes the record and every organisation's hold on it. NotFound; FailedPrecondition while a
  // tag or a deployment (digest or previous_digest) still references it.
  virtual Status DeleteBlobRecord(const std::string& digest) = 0;

  // ---- Uploads (the bytes are in blob::BlobStore) ----
  virtual Status CreateUpload(const Upload& upload) = 0;
  virtual Result<Upload> GetUpload(const std::string& id) = 0;
  virtual Status DeleteUpload(const std::string& id) = 0;
  virtual Result<std::vector<Upload>> ListUploadsCreatedBefore(int64_t created_before) = 0;

  // ---- Deployments ----
  // AlreadyExists when the organisation has a deployment of that name (or the id is taken).
  virtual Status CreateDeployment(const Deployment& deployment) = 0;
  // Replaces every field but id, org_id and created_at. NotFound when absent from the org.
  virtual Status UpdateDeployment(const Deployment& deployment) = 0;
  virtual Result<Deployment> GetDeployment(const std::string& org_id, const std::string& id) = 0;
  virtual Result<Deployment> GetDeploymentByName(const std::string& org_id,
                                                 const std::string& name) = 0;
  virtual Result<std::vector<Deployment>> ListDeployments(const std::string& org_id) = 0;
  virtual Result<std::vector<Deployment>> ListAllDeployments() = 0;  // every organisation
  // Also deletes the deployment's per-node states.
  virtual Status DeleteDeployment(const std::string& org_id, const std::string& id) = 0;

  // ---- Per-node deployment state ----
  // Inserts or replaces the (deployment_id, node_id) row. NotFound when the deployment or the node
  // does not exist.
  virtual Status UpsertDeploymentNodeState(const DeploymentNodeState& state) = 0;
  virtual Result<std::vector<DeploymentNodeState>> ListDeploymentNodeStates(
      const std::string& deployment_id) = 0;
  virtual Result<std::vector<DeploymentNodeState>> ListNodeDeploymentStates(
      const std::string& node_id) = 0;
  virtual Status DeleteDeploymentNodeState(const std::string& deployment_id,
                                           const std::string& node_id) = 0;
};

}  // namespace locai::store

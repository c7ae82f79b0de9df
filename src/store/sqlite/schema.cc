// The "store" component's schema, as migration steps. Append new steps; never edit a released one.
// src/store/README.md describes the tables.
#include "store/sqlite/sqlite_store.h"

namespace locai::store {

const std::vector<std::string>& StoreMigrations() {
  static const std::vector<std::string> kSteps = {
      // Version 1.
      R"sql(
CREATE TABLE orgs(
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  plan TEXT NOT NULL,
  created_at INTEGER NOT NULL);

CREATE TABLE api_keys(
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES orgs(id),
  name TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('admin', 'deployer', 'inference')),
  secret_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  revoked_at INTEGER,
  last_used_at INTEGER NOT NULL DEFAULT 0);
CREATE INDEX api_keys_by_org ON api_keys(org_id);

CREATE TABLE join_tokens(
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES orgs(id),
  secret_hash TEXT NOT NULL,
  node_group TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  uses_left INTEGER NOT NULL CHECK (uses_left >= 0),
  created_at INTEGER NOT NULL,
  revoked INTEGER NOT NULL DEFAULT 0);
CREATE INDEX join_tokens_by_org ON join_tokens(org_id);

CREATE TABLE nodes(
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES orgs(id),
  name TEXT NOT NULL,
  node_group TEXT NOT NULL,
  labels_json TEXT NOT NULL,
  public_key TEXT NOT NULL,
  enrolled_at INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  revoked_at INTEGER,
  capabilities_json TEXT NOT NULL,
  models_json TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('online', 'unhealthy', 'offline', 'revoked')));
CREATE INDEX nodes_by_org ON nodes(org_id);

CREATE TABLE blobs(
  digest TEXT PRIMARY KEY,
  size INTEGER NOT NULL CHECK (size >= 0),
  created_at INTEGER NOT NULL);

CREATE TABLE org_blobs(
  org_id TEXT NOT NULL REFERENCES orgs(id),
  digest TEXT NOT NULL REFERENCES blobs(digest) ON DELETE CASCADE,
  PRIMARY KEY (org_id, digest));

CREATE TABLE model_tags(
  org_id TEXT NOT NULL REFERENCES orgs(id),
  name TEXT NOT NULL,
  tag TEXT NOT NULL,
  digest TEXT NOT NULL REFERENCES blobs(digest),
  manifest_json TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (org_id, name, tag));
CREATE INDEX model_tags_by_digest ON model_tags(digest);

CREATE TABLE uploads(
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES orgs(id),
  size_declared INTEGER NOT NULL,
  created_at INTEGER NOT NULL);

CREATE TABLE deployments(
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES orgs(id),
  name TEXT NOT NULL,
  model TEXT NOT NULL,
  digest TEXT NOT NULL,
  previous_digest TEXT NOT NULL,
  target_json TEXT NOT NULL,
  replicas INTEGER NOT NULL,
  canary_percent INTEGER NOT NULL,
  context_length INTEGER NOT NULL,
  parallel INTEGER NOT NULL,
  rollout_state TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (org_id, name));
CREATE INDEX deployments_by_digest ON deployments(digest);
CREATE INDEX deployments_by_previous_digest ON deployments(previous_digest);

CREATE TABLE deployment_node_states(
  deployment_id TEXT NOT NULL REFERENCES deployments(id) ON DELETE CASCADE,
  node_id TEXT NOT NULL REFERENCES nodes(id) ON DELETE CASCADE,
  digest TEXT NOT NULL,
  state TEXT NOT NULL,
  progress REAL NOT NULL,
  reason TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (deployment_id, node_id));
CREATE INDEX deployment_node_states_by_node ON deployment_node_states(node_id);
)sql",
  };
  return kSteps;
}

}  // namespace locai::store

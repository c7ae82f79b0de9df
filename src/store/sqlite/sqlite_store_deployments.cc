// SqliteStore: deployments and their per-node state.
#include "store/sqlite/sql_util.h"
#include "store/sqlite/sqlite_store.h"

namespace locai::store {

using internal::MissingParentAsNotFound;
using internal::PrepareBound;
using internal::ReadAll;
using internal::ReadOne;
using internal::RequireNonEmpty;
using internal::RunChanges;

namespace {

constexpr std::string_view kDeploymentColumns =
    "id, org_id, name, model, digest, previous_digest, target_json, replicas, canary_percent,"
    " context_length, parallel, rollout_state, created_at, updated_at";

Deployment ReadDeployment(const Statement& s) {
  Deployment d;
  d.id = s.ColumnText(0);
  d.org_id = s.ColumnText(1);
  d.name = s.ColumnText(2);
  d.model = s.ColumnText(3);
  d.digest = s.ColumnText(4);
  d.previous_digest = s.ColumnText(5);
  d.target_json = s.ColumnText(6);
  d.replicas = s.ColumnInt64(7);
  d.canary_percent = s.ColumnInt64(8);
  d.context_length = s.ColumnInt64(9);
  d.parallel = s.ColumnInt64(10);
  d.rollout_state = s.ColumnText(11);
  d.created_at = s.ColumnInt64(12);
  d.updated_at = s.ColumnInt64(13);
  return d;
}

std::string DeploymentSelect(std::string_view where) {
  return "SELECT " + std::string(kDeploymentColumns) + " FROM deployments " + std::string(where);
}

constexpr std::string_view kStateColumns =
    "deployment_id, node_id, digest, state, progress, reason, updated_at";

DeploymentNodeState ReadState(const Statement& s) {
  DeploymentNodeState state;
  state.deployment_id = s.ColumnText(0);
  state.node_id = s.ColumnText(1);
  state.digest = s.ColumnText(2);
  state.state = s.ColumnText(3);
  state.progress = s.ColumnDouble(4);
  state.reason = s.ColumnText(5);
  state.updated_at = s.ColumnInt64(6);
  return state;
}

Status ValidateDeployment(const Deployment& d) {
  LOCAI_RETURN_IF_ERROR(RequireNonEmpty(d.id, "deployment id"));
  LOCAI_RETURN_IF_ERROR(RequireNonEmpty(d.name, "deployment name"));
  if (d.replicas < 0 || d.canary_percent < 0 || d.canary_percent > 100 || d.context_length < 0 ||
      d.parallel < 1) {
    return Status::InvalidArgument(
        "deployment needs replicas >= 0, canary_percent 0..100, context_length >= 0, "
        "parallel >= 1");
  }
  return Status::Ok();
}

Status NameTaken(const Status& status, const Deployment& d) {
  if (status.code() == StatusCode::kAlreadyExists) {
    return Status::AlreadyExists("deployment '" + d.name + "' (or id " + d.id + ") already exists");
  }
  return MissingParentAsNotFound(status, "organisation " + d.org_id);
}

}  // namespace

Status SqliteStore::CreateDeployment(const Deployment& d) {
  LOCAI_RETURN_IF_ERROR(ValidateDeployment(d));
  auto changed = RunChanges(
      *db_,
      "INSERT INTO deployments(" + std::string(kDeploymentColumns) +
          ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
      d.id, d.org_id, d.name, d.model, d.digest, d.previous_digest, d.target_json, d.replicas,
      d.canary_percent, d.context_length, d.parallel, d.rollout_state, d.created_at, d.updated_at);
  if (!changed) return NameTaken(changed.error(), d);
  return Status::Ok();
}

Status SqliteStore::UpdateDeployment(const Deployment& d) {
  LOCAI_RETURN_IF_ERROR(ValidateDeployment(d));
  auto changed = RunChanges(
      *db_,
      "UPDATE deployments SET name = ?3, model = ?4, digest = ?5, previous_digest = ?6,"
      " target_json = ?7, replicas = ?8, canary_percent = ?9, context_length = ?10,"
      " parallel = ?11, rollout_state = ?12, updated_at = ?13 WHERE id = ?1 AND org_id = ?2",
      d.id, d.org_id, d.name, d.model, d.digest, d.previous_digest, d.target_json, d.replicas,
      d.canary_percent, d.context_length, d.parallel, d.rollout_state, d.updated_at);
  if (!changed) return NameTaken(changed.error(), d);
  if (*changed == 0) return Status::NotFound("deployment " + d.id + " not found");
  return Status::Ok();
}

Result<Deployment> SqliteStore::GetDeployment(const std::string& org_id, const std::string& id) {
  LOCAI_ASSIGN_OR_RETURN(
      Statement stmt,
      PrepareBound(*db_, DeploymentSelect("WHERE id = ?1 AND org_id = ?2"), id, org_id));
  return ReadOne(stmt, ReadDeployment, "deployment " + id);
}

Result<Deployment> SqliteStore::GetDeploymentByName(const std::string& org_id,
                                                    const std::string& name) {
  LOCAI_ASSIGN_OR_RETURN(
      Statement stmt,
      PrepareBound(*db_, DeploymentSelect("WHERE name = ?1 AND org_id = ?2"), name, org_id));
  return ReadOne(stmt, ReadDeployment, "deployment '" + name + "'");
}

Result<std::vector<Deployment>> SqliteStore::ListDeployments(const std::string& org_id) {
  LOCAI_ASSIGN_OR_RETURN(
      Statement stmt,
      PrepareBound(*db_, DeploymentSelect("WHERE org_id = ?1 ORDER BY name, id"), org_id));
  return ReadAll(stmt, ReadDeployment);
}

Result<std::vector<Deployment>> SqliteStore::ListAllDeployments() {
  LOCAI_ASSIGN_OR_RETURN(Statement stmt,
                         db_->Prepare(DeploymentSelect("ORDER BY org_id, name, id")));
  return ReadAll(stmt, ReadDeployment);
}

Status SqliteStore::DeleteDeployment(const std::string& org_id, const std::string& id) {
  // The per-node states go with it (ON DELETE CASCADE).
  LOCAI_ASSIGN_OR_RETURN(
      int64_t changed,
      RunChanges(*db_, "DELETE FROM deployments WHERE id = ?1 AND org_id = ?2", id, org_id));
  if (changed == 0) return Status::NotFound("deployment " + id + " not found");
  return Status::Ok();
}

Status SqliteStore::UpsertDeploymentNodeState(const DeploymentNodeState& s) {
  LOCAI_RETURN_IF_ERROR(RequireNonEmpty(s.state, "deployment node state"));
  auto changed = RunChanges(
      *db_,
      "INSERT INTO deployment_node_states(" + std::string(kStateColumns) +
          ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
          " ON CONFLICT (deployment_id, node_id) DO UPDATE SET digest = excluded.digest,"
          " state = excluded.state, progress = excluded.progress, reason = excluded.reason,"
          " updated_at = excluded.updated_at",
      s.deployment_id, s.node_id, s.digest, s.state, s.progress, s.reason, s.updated_at);
  if (!changed) {
    return MissingParentAsNotFound(changed.error(),
                                   "deployment " + s.deployment_id + " or node " + s.node_id);
  }
  return Status::Ok();
}

Result<std::vector<DeploymentNodeState>> SqliteStore::ListDeploymentNodeStates(
    const std::string& deployment_id) {
  LOCAI_ASSIGN_OR_RETURN(Statement stmt,
                         PrepareBound(*db_,
                                      "SELECT " + std::string(kStateColumns) +
                                          " FROM deployment_node_states WHERE deployment_id = ?1"
                                          " ORDER BY node_id",
                                      deployment_id));
  return ReadAll(stmt, ReadState);
}

Result<std::vector<DeploymentNodeState>> SqliteStore::ListNodeDeploymentStates(
    const std::string& node_id) {
  LOCAI_ASSIGN_OR_RETURN(Statement stmt,
                         PrepareBound(*db_,
                                      "SELECT " + std::string(kStateColumns) +
                                          " FROM deployment_node_states WHERE node_id = ?1"
                                          " ORDER BY deployment_id",
                                      node_id));
  return ReadAll(stmt, ReadState);
}

Status SqliteStore::DeleteDeploymentNodeState(const std::string& deployment_id,
                                              const std::string& node_id) {
  LOCAI_ASSIGN_OR_RETURN(
      int64_t changed,
      RunChanges(*db_,
                 "DELETE FROM deployment_node_states WHERE deployment_id = ?1 AND node_id = ?2",
                 deployment_id, node_id));
  if (changed == 0) {
    return Status::NotFound("state of deployment " + deployment_id + " on node " + node_id +
                            " not found");
  }
  return Status::Ok();
}

}  // namespace locai::store

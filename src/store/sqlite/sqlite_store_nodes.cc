// SqliteStore: join tokens, enrolment and nodes.
#include <nlohmann/json.hpp>

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

constexpr std::string_view kJoinTokenColumns =
    "id, org_id, secret_hash, node_group, expires_at, uses_left, created_at, revoked";

JoinToken ReadJoinToken(const Statement& s) {
  JoinToken token;
  token.id = s.ColumnText(0);
  token.org_id = s.ColumnText(1);
  token.secret_hash = s.ColumnText(2);
  token.group = s.ColumnText(3);
  token.expires_at = s.ColumnInt64(4);
  token.uses_left = s.ColumnInt64(5);
  token.created_at = s.ColumnInt64(6);
  token.revoked = s.ColumnInt64(7) != 0;
  return token;
}

constexpr std::string_view kNodeColumns =
    "id, org_id, name, node_group, labels_json, public_key, enrolled_at, last_seen_at, revoked_at,"
    " capabilities_json, models_json, status";

std::string LabelsToJson(const std::map<std::string, std::string>& labels) {
  return nlohmann::json(labels).dump();
}

std::map<std::string, std::string> LabelsFromJson(const std::string& text) {
  std::map<std::string, std::string> labels;
  nlohmann::json parsed = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_object()) return labels;  // only this store writes the column
  for (const auto& [key, value] : parsed.items()) {
    if (value.is_string()) labels[key] = value.get<std::string>();
  }
  return labels;
}

Node ReadNode(const Statement& s) {
  Node node;
  node.id = s.ColumnText(0);
  node.org_id = s.ColumnText(1);
  node.name = s.ColumnText(2);
  node.group = s.ColumnText(3);
  node.labels = LabelsFromJson(s.ColumnText(4));
  node.public_key = s.ColumnText(5);
  node.enrolled_at = s.ColumnInt64(6);
  node.last_seen_at = s.ColumnInt64(7);
  node.revoked_at = internal::ColumnOptionalInt64(s, 8);
  node.capabilities_json = s.ColumnText(9);
  node.models_json = s.ColumnText(10);
  node.status = s.ColumnText(11);
  return node;
}

std::string NodeSelect(std::string_view where) {
  return "SELECT " + std::string(kNodeColumns) + " FROM nodes WHERE " + std::string(where);
}

Result<int64_t> CountLiveNodes(Database& db, const std::string& org_id) {
  LOCAI_ASSIGN_OR_RETURN(
      Statement stmt,
      PrepareBound(db, "SELECT COUNT(*) FROM nodes WHERE org_id = ?1 AND revoked_at IS NULL",
                   org_id));
  LOCAI_ASSIGN_OR_RETURN(bool row, stmt.Step());
  return row ? stmt.ColumnInt64(0) : 0;
}

}  // namespace

// ---- Join tokens ----

Status SqliteStore::CreateJoinToken(const JoinToken& token) {
  LOCAI_RETURN_IF_ERROR(RequireNonEmpty(token.id, "join token id"));
  LOCAI_RETURN_IF_ERROR(RequireNonEmpty(token.secret_hash, "join token secret hash"));
  if (token.uses_left < 0) return Status::InvalidArgument("join token uses must not be negative");
  auto changed =
      RunChanges(*db_,
                 "INSERT INTO join_tokens(id, org_id, secret_hash, node_group,"
                 " expires_at, uses_left, created_at, revoked)"
                 " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                 token.id, token.org_id, token.secret_hash, token.group, token.expires_at,
                 token.uses_left, token.created_at, token.revoked ? 1 : 0);
  if (!changed) return MissingParentAsNotFound(changed.error(), "organisation " + token.org_id);
  return Status::Ok();
}

Result<JoinToken> SqliteStore::GetJoinToken(const std::string& id) {
  LOCAI_ASSIGN_OR_RETURN(Statement stmt, PrepareBound(*db_,
                                                      "SELECT " + std::string(kJoinTokenColumns) +
                                                          " FROM join_tokens WHERE id = ?1",
                                                      id));
  return ReadOne(stmt, ReadJoinToken, "join token " + id);
}

Result<std::vector<JoinToken>> SqliteStore::ListJoinTokens(const std::string& org_id) {
  LOCAI_ASSIGN_OR_RETURN(Statement stmt, PrepareBound(*db_,
                                                      "SELECT " + std::string(kJoinTokenColumns) +
                                                          " FROM join_tokens WHERE org_id = ?1"
                                                          " ORDER BY created_at, id",
                                                      org_id));
  return ReadAll(stmt, ReadJoinToken);
}

Status SqliteStore::RevokeJoinToken(const std::string& org_id, const std::string& id) {
  LOCAI_ASSIGN_OR_RETURN(
      int64_t changed,
      RunChanges(*db_, "UPDATE join_tokens SET revoked = 1 WHERE id = ?1 AND org_id = ?2", id,
                 org_id));
  if (changed == 0) return Status::NotFound("join token " + id + " not found");
  return Status::Ok();
}

Result<JoinToken> SqliteStore::TakeJoinTokenUse(const std::string& id, int64_t now) {
  {
    // One conditional UPDATE: the checks and the decrement cannot be separated by another writer.
    LOCAI_ASSIGN_OR_RETURN(
        Statement stmt,
        PrepareBound(*db_,
                     "UPDATE join_tokens SET uses_left = uses_left - 1"
                     " WHERE id = ?1 AND revoked = 0 AND expires_at > ?2 AND uses_left > 0"
                     " RETURNING " +
                         std::string(kJoinTokenColumns),
                     id, now));
    LOCAI_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (row) {
      JoinToken token = ReadJoinToken(stmt);
      LOCAI_ASSIGN_OR_RETURN(bool more, stmt.Step());  // finish the statement
      (void)more;
      return token;
    }
  }
  // Refused: say why.
  LOCAI_ASSIGN_OR_RETURN(JoinToken token, GetJoinToken(id));
  if (token.revoked) return Err(Status::FailedPrecondition("join token " + id + " is revoked"));
  if (token.expires_at <= now) {
    return Err(Status::FailedPrecondition("join token " + id + " has expired"));
  }
  return Err(Status::FailedPrecondition("join token " + id + " has no uses left"));
}

Result<JoinToken> SqliteStore::ConsumeJoinToken(const std::string& id, int64_t now) {
  LOCAI_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*db_));
  LOCAI_ASSIGN_OR_RETURN(JoinToken token, TakeJoinTokenUse(id, now));
  LOCAI_RETURN_IF_ERROR(txn.Commit());
  return token;
}

// ---- Nodes ----

Status SqliteStore::InsertNode(const Node& node) {
  LOCAI_RETURN_IF_ERROR(RequireNonEmpty(node.id, "node id"));
  if (!IsValidNodeStatus(node.status)) {
    return Status::InvalidArgument("unknown node status '" + node.status + "'");
  }
  auto changed = RunChanges(
      *db_,
      "INSERT INTO nodes(id, org_id, name, node_group, labels_json, public_key, enrolled_at,"
      " last_seen_at, revoked_at, capabilities_json, models_json, status)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
      node.id, node.org_id, node.name, node.group, LabelsToJson(node.labels), node.public_key,
      node.enrolled_at, node.last_seen_at, node.revoked_at, node.capabilities_json,
      node.models_json, node.status);
  if (!changed) return MissingParentAsNotFound(changed.error(), "organisation " + node.org_id);
  return Status::Ok();
}

Status SqliteStore::CreateNode(const Node& node) { return InsertNode(node); }

Result<Node> SqliteStore::EnrollNode(const std::string& token_id, int64_t now, Node new_node,
                                     std::optional<int64_t> max_nodes) {
  LOCAI_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*db_));
  LOCAI_ASSIGN_OR_RETURN(JoinToken token, TakeJoinTokenUse(token_id, now));
  if (max_nodes.has_value()) {
    LOCAI_ASSIGN_OR_RETURN(int64_t live, CountLiveNodes(*db_, token.org_id));
    if (live >= *max_nodes) {
      // Returning rolls the transaction back: the token keeps its use.
      return Err(Status::ResourceExhausted("node limit reached: " + std::to_string(live) + " of " +
                                           std::to_string(*max_nodes) +
                                           " nodes enrolled in the organisation's plan"));
    }
  }
  new_node.org_id = token.org_id;
  if (new_node.group.empty()) new_node.group = token.group;
  new_node.enrolled_at = now;
  new_node.last_seen_at = now;
  new_node.revoked_at.reset();
  if (new_node.status.empty() || new_node.status == "revoked") new_node.status = "offline";
  LOCAI_RETURN_IF_ERROR(InsertNode(new_node));
  LOCAI_RETURN_IF_ERROR(txn.Commit());
  return new_node;
}

Result<Node> SqliteStore::GetNode(const std::string& id) {
  LOCAI_ASSIGN_OR_RETURN(Statement stmt, PrepareBound(*db_, NodeSelect("id = ?1"), id));
  return ReadOne(stmt, ReadNode, "node " + id);
}

Result<std::vector<Node>> SqliteStore::ListNodes(const std::string& org_id) {
  LOCAI_ASSIGN_OR_RETURN(Statement stmt,
                         PrepareBound(*db_, NodeSelect("org_id = ?1 ORDER BY name, id"), org_id));
  return ReadAll(stmt, ReadNode);
}

Result<Node> SqliteStore::UpdateNodeLabels(const std::string& org_id, const std::string& id,
                                           const std::map<std::string, std::string>& set,
                                           const std::vector<std::string>& remove,
                                           const std::optional<std::string>& group) {
  for (const auto& [key, value] : set) {
    LOCAI_RETURN_IF_ERROR(RequireNonEmpty(key, "label key"));
  }
  LOCAI_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*db_));
  Node node;
  {
    LOCAI_ASSIGN_OR_RETURN(Statement stmt,
                           PrepareBound(*db_, NodeSelect("id = ?1 AND org_id = ?2"), id, org_id));
    LOCAI_ASSIGN_OR_RETURN(node, ReadOne(stmt, ReadNode, "node " + id));
  }
  for (const auto& key : remove) node.labels.erase(key);
  for (const auto& [key, value] : set) node.labels[key] = value;
  if (group.has_value()) node.group = *group;
  LOCAI_ASSIGN_OR_RETURN(
      int64_t changed,
      RunChanges(*db_, "UPDATE nodes SET labels_json = ?2, node_group = ?3 WHERE id = ?1", id,
                 LabelsToJson(node.labels), node.group));
  (void)changed;  // the row was read in this transaction
  LOCAI_RETURN_IF_ERROR(txn.Commit());
  return node;
}

Status SqliteStore::UpdateNodeStatus(const std::string& id, const std::string& status,
                                     int64_t last_seen_at, const std::string& capabilities_json,
                                     const std::string& models_json) {
  if (!IsValidNodeStatus(status) || status == "revoked") {
    return Status::InvalidArgument("node status must be online, unhealthy or offline, not '" +
                                   status + "'");
  }
  auto lock = db_->Lock();  // the UPDATE and the explanation of a refusal see the same row
  LOCAI_ASSIGN_OR_RETURN(
      int64_t changed,
      RunChanges(*db_,
                 "UPDATE nodes SET status = ?2, last_seen_at = ?3,"
                 " capabilities_json = CASE WHEN ?4 = '' THEN capabilities_json ELSE ?4 END,"
                 " models_json = CASE WHEN ?5 = '' THEN models_json ELSE ?5 END"
                 " WHERE id = ?1 AND revoked_at IS NULL",
                 id, status, last_seen_at, capabilities_json, models_json));
  if (changed == 1) return Status::Ok();
  LOCAI_ASSIGN_OR_RETURN(Node node, GetNode(id));
  return Status::FailedPrecondition("node " + node.id + " is revoked");
}

Status SqliteStore::RevokeNode(const std::string& org_id, const std::string& id, int64_t now) {
  LOCAI_ASSIGN_OR_RETURN(
      int64_t changed,
      RunChanges(*db_,
                 "UPDATE nodes SET revoked_at = COALESCE(revoked_at, ?3), status = 'revoked'"
                 " WHERE id = ?1 AND org_id = ?2",
                 id, org_id, now));
  if (changed == 0) return Status::NotFound("node " + id + " not found");
  return Status::Ok();
}

Result<int64_t> SqliteStore::CountNodes(const std::string& org_id) {
  return CountLiveNodes(*db_, org_id);
}

}  // namespace locai::store

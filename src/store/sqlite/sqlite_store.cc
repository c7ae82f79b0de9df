// SqliteStore: opening, organisations and API keys.
#include "store/sqlite/sqlite_store.h"

#include "store/sqlite/migrate.h"
#include "store/sqlite/sql_util.h"

namespace locai::store {

using internal::BindAll;
using internal::MissingParentAsNotFound;
using internal::PrepareBound;
using internal::ReadAll;
using internal::ReadOne;
using internal::RequireNonEmpty;
using internal::RunChanges;

namespace {

constexpr std::string_view kOrgColumns = "id, name, plan, created_at";

Org ReadOrg(const Statement& s) {
  return Org{s.ColumnText(0), s.ColumnText(1), s.ColumnText(2), s.ColumnInt64(3)};
}

constexpr std::string_view kApiKeyColumns =
    "id, org_id, name, role, secret_hash, created_at, revoked_at, last_used_at";

ApiKey ReadApiKey(const Statement& s) {
  ApiKey key;
  key.id = s.ColumnText(0);
  key.org_id = s.ColumnText(1);
  key.name = s.ColumnText(2);
  key.role = s.ColumnText(3);
  key.secret_hash = s.ColumnText(4);
  key.created_at = s.ColumnInt64(5);
  key.revoked_at = internal::ColumnOptionalInt64(s, 6);
  key.last_used_at = s.ColumnInt64(7);
  return key;
}

}  // namespace

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& path) {
  LOCAI_ASSIGN_OR_RETURN(std::unique_ptr<Database> db, Database::Open(path));
  return Open(std::move(db));
}

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(std::unique_ptr<Database> db) {
  if (db == nullptr) return Err(Status::InvalidArgument("SqliteStore::Open: no database"));
  LOCAI_RETURN_IF_ERROR(Migrate(*db, "store", StoreMigrations()));
  return std::unique_ptr<SqliteStore>(new SqliteStore(std::move(db)));
}

// ---- Organisations ----

Status SqliteStore::CreateOrg(const Org& org) {
  LOCAI_RETURN_IF_ERROR(RequireNonEmpty(org.id, "organisation id"));
  LOCAI_RETURN_IF_ERROR(RequireNonEmpty(org.name, "organisation name"));
  auto changed =
      RunChanges(*db_, "INSERT INTO orgs(id, name, plan, created_at) VALUES (?1, ?2, ?3, ?4)",
                 org.id, org.name, org.plan, org.created_at);
  if (!changed) {
    if (changed.error().code() == StatusCode::kAlreadyExists) {
      return Status::AlreadyExists("organisation '" + org.name + "' (or id " + org.id +
                                   ") already exists");
    }
    return changed.error();
  }
  return Status::Ok();
}

Result<Org> SqliteStore::GetOrg(const std::string& id) {
  LOCAI_ASSIGN_OR_RETURN(
      Statement stmt,
      PrepareBound(*db_, "SELECT " + std::string(kOrgColumns) + " FROM orgs WHERE id = ?1", id));
  return ReadOne(stmt, ReadOrg, "organisation " + id);
}

Result<Org> SqliteStore::FindOrgByName(const std::string& name) {
  LOCAI_ASSIGN_OR_RETURN(
      Statement stmt,
      PrepareBound(*db_, "SELECT " + std::string(kOrgColumns) + " FROM orgs WHERE name = ?1",
                   name));
  return ReadOne(stmt, ReadOrg, "organisation '" + name + "'");
}

Result<std::vector<Org>> SqliteStore::ListOrgs() {
  LOCAI_ASSIGN_OR_RETURN(Statement stmt, db_->Prepare("SELECT " + std::string(kOrgColumns) +
                                                      " FROM orgs ORDER BY name"));
  return ReadAll(stmt, ReadOrg);
}

// ---- API keys ----

Status SqliteStore::CreateApiKey(const ApiKey& key) {
  LOCAI_RETURN_IF_ERROR(RequireNonEmpty(key.id, "API key id"));
  LOCAI_RETURN_IF_ERROR(RequireNonEmpty(key.secret_hash, "API key secret hash"));
  if (!IsValidRole(key.role)) {
    return Status::InvalidArgument("unknown role '" + key.role +
                                   "' (admin, deployer or inference)");
  }
  auto changed = RunChanges(*db_,
                            "INSERT INTO api_keys(id, org_id, name, role, secret_hash, created_at,"
                            " revoked_at, last_used_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                            key.id, key.org_id, key.name, key.role, key.secret_hash, key.created_at,
                            key.revoked_at, key.last_used_at);
  if (!changed) return MissingParentAsNotFound(changed.error(), "organisation " + key.org_id);
  return Status::Ok();
}

Result<ApiKey> SqliteStore::GetApiKey(const std::string& id) {
  LOCAI_ASSIGN_OR_RETURN(
      Statement stmt,
      PrepareBound(*db_, "SELECT " + std::string(kApiKeyColumns) + " FROM api_keys WHERE id = ?1",
                   id));
  return ReadOne(stmt, ReadApiKey, "API key " + id);
}

Result<std::vector<ApiKey>> SqliteStore::ListApiKeys(const std::string& org_id) {
  LOCAI_ASSIGN_OR_RETURN(
      Statement stmt, PrepareBound(*db_,
                                   "SELECT " + std::string(kApiKeyColumns) +
                                       " FROM api_keys WHERE org_id = ?1 ORDER BY created_at, id",
                                   org_id));
  return ReadAll(stmt, ReadApiKey);
}

Status SqliteStore::RevokeApiKey(const std::string& org_id, const std::string& id, int64_t now) {
  LOCAI_ASSIGN_OR_RETURN(int64_t changed,
                         RunChanges(*db_,
                                    "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?3)"
                                    " WHERE id = ?1 AND org_id = ?2",
                                    id, org_id, now));
  if (changed == 0) return Status::NotFound("API key " + id + " not found");
  return Status::Ok();
}

Status SqliteStore::TouchApiKey(const std::string& id, int64_t now) {
  LOCAI_ASSIGN_OR_RETURN(
      int64_t changed,
      RunChanges(*db_, "UPDATE api_keys SET last_used_at = MAX(last_used_at, ?2) WHERE id = ?1", id,
                 now));
  if (changed == 0) return Status::NotFound("API key " + id + " not found");
  return Status::Ok();
}

}  // namespace locai::store

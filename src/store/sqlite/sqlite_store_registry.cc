// SqliteStore: registry blobs (with the per-organisation storage limit), model tags and uploads.
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

BlobRecord ReadBlob(const Statement& s) {
  return BlobRecord{s.ColumnText(0), static_cast<uint64_t>(s.ColumnInt64(1)), s.ColumnInt64(2)};
}

constexpr std::string_view kTagColumns =
    "org_id, name, tag, digest, manifest_json, created_at, updated_at";

ModelTag ReadTag(const Statement& s) {
  ModelTag tag;
  tag.org_id = s.ColumnText(0);
  tag.name = s.ColumnText(1);
  tag.tag = s.ColumnText(2);
  tag.digest = s.ColumnText(3);
  tag.manifest_json = s.ColumnText(4);
  tag.created_at = s.ColumnInt64(5);
  tag.updated_at = s.ColumnInt64(6);
  return tag;
}

Upload ReadUpload(const Statement& s) {
  return Upload{s.ColumnText(0), s.ColumnText(1), static_cast<uint64_t>(s.ColumnInt64(2)),
                s.ColumnInt64(3)};
}

Result<uint64_t> HeldBytes(Database& db, const std::string& org_id) {
  LOCAI_ASSIGN_OR_RETURN(Statement stmt,
                         PrepareBound(db,
                                      "SELECT COALESCE(SUM(b.size), 0) FROM org_blobs o"
                                      " JOIN blobs b ON b.digest = o.digest WHERE o.org_id = ?1",
                                      org_id));
  LOCAI_ASSIGN_OR_RETURN(bool row, stmt.Step());
  return row ? static_cast<uint64_t>(stmt.ColumnInt64(0)) : 0;
}

Result<bool> Holds(Database& db, const std::string& org_id, const std::string& digest) {
  LOCAI_ASSIGN_OR_RETURN(
      Statement stmt, PrepareBound(db, "SELECT 1 FROM org_blobs WHERE org_id = ?1 AND digest = ?2",
                                   org_id, digest));
  return stmt.Step();
}

std::string TagName(const std::string& name, const std::string& tag) { return name + ":" + tag; }

}  // namespace

// ---- Blobs ----

Status SqliteStore::PutBlobRecord(const BlobRecord& blob, const std::string& org_id,
                                  std::optional<uint64_t> max_org_bytes) {
  LOCAI_RETURN_IF_ERROR(RequireNonEmpty(blob.digest, "blob digest"));
  LOCAI_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*db_));
  auto existing = GetBlobRecord(blob.digest);
  if (existing) {
    if (existing->size != blob.size) {
      return Status::FailedPrecondition("blob " + blob.digest + " is recorded with size " +
                                        std::to_string(existing->size) + ", not " +
                                        std::to_string(blob.size));
    }
  } else if (existing.error().code() != StatusCode::kNotFound) {
    return existing.error();
  }
  LOCAI_ASSIGN_OR_RETURN(bool held, Holds(*db_, org_id, blob.digest));
  if (held) return txn.Commit();  // already counted: free
  if (max_org_bytes.has_value()) {
    LOCAI_ASSIGN_OR_RETURN(uint64_t used, HeldBytes(*db_, org_id));
    if (used > *max_org_bytes || blob.size > *max_org_bytes - used) {
      return Status::ResourceExhausted("storage limit reached: the organisation holds " +
                                       std::to_string(used) + " bytes, this blob adds " +
                                       std::to_string(blob.size) + ", the plan allows " +
                                       std::to_string(*max_org_bytes));
    }
  }
  if (!existing) {
    LOCAI_ASSIGN_OR_RETURN(
        int64_t changed,
        RunChanges(*db_, "INSERT INTO blobs(digest, size, created_at) VALUES (?1, ?2, ?3)",
                   blob.digest, blob.size, blob.created_at));
    (void)changed;
  }
  auto changed = RunChanges(*db_, "INSERT INTO org_blobs(org_id, digest) VALUES (?1, ?2)", org_id,
                            blob.digest);
  if (!changed) return MissingParentAsNotFound(changed.error(), "organisation " + org_id);
  return txn.Commit();
}

Result<BlobRecord> SqliteStore::GetBlobRecord(const std::string& digest) {
  LOCAI_ASSIGN_OR_RETURN(
      Statement stmt,
      PrepareBound(*db_, "SELECT digest, size, created_at FROM blobs WHERE digest = ?1", digest));
  return ReadOne(stmt, ReadBlob, "blob " + digest);
}

Result<bool> SqliteStore::OrgHasBlob(const std::string& org_id, const std::string& digest) {
  return Holds(*db_, org_id, digest);
}

Result<uint64_t> SqliteStore::OrgBlobBytes(const std::string& org_id) {
  return HeldBytes(*db_, org_id);
}

Result<std::vector<BlobRecord>> SqliteStore::UnreferencedBlobs(int64_t created_before) {
  LOCAI_ASSIGN_OR_RETURN(
      Statement stmt,
      PrepareBound(*db_,
                   "SELECT digest, size, created_at FROM blobs b WHERE created_at < ?1"
                   " AND NOT EXISTS (SELECT 1 FROM model_tags t WHERE t.digest = b.digest)"
                   " AND NOT EXISTS (SELECT 1 FROM deployments d WHERE d.digest = b.digest)"
                   " AND NOT EXISTS (SELECT 1 FROM deployments d"
                   "                 WHERE d.previous_digest = b.digest)"
                   " ORDER BY digest",
                   created_before));
  return ReadAll(stmt, ReadBlob);
}

Status SqliteStore::DeleteBlobRecord(const std::string& digest) {
  LOCAI_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*db_));
  auto existing = GetBlobRecord(digest);  // NotFound
  if (!existing) return existing.error();
  // Deployments name digests without a foreign key (a rollback target may be any version):
  // check them here, in the same transaction as the delete.
  {
    LOCAI_ASSIGN_OR_RETURN(Statement used,
                           PrepareBound(*db_,
                                        "SELECT 1 FROM deployments WHERE digest = ?1"
                                        " OR previous_digest = ?1 LIMIT 1",
                                        digest));
    LOCAI_ASSIGN_OR_RETURN(bool deployed, used.Step());
    if (deployed) {
      return Status::FailedPrecondition("blob " + digest + " is still used by a deployment");
    }
  }
  auto changed = RunChanges(*db_, "DELETE FROM blobs WHERE digest = ?1", digest);
  if (!changed) {
    if (changed.error().code() == StatusCode::kFailedPrecondition) {
      return Status::FailedPrecondition("blob " + digest + " is still referenced by a model tag");
    }
    return changed.error();
  }
  return txn.Commit();
}

// ---- Model tags ----

Result<std::optional<std::string>> SqliteStore::PutModelTag(const ModelTag& tag) {
  LOCAI_RETURN_IF_ERROR(RequireNonEmpty(tag.name, "model name"));
  LOCAI_RETURN_IF_ERROR(RequireNonEmpty(tag.tag, "model tag"));
  LOCAI_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*db_));
  LOCAI_ASSIGN_OR_RETURN(bool held, Holds(*db_, tag.org_id, tag.digest));
  if (!held) {
    return Err(Status::NotFound("blob " + tag.digest + " not found in the organisation"));
  }
  std::optional<std::string> previous;
  auto existing = GetModelTag(tag.org_id, tag.name, tag.tag);
  if (existing) {
    if (existing->digest != tag.digest) previous = existing->digest;
    LOCAI_ASSIGN_OR_RETURN(
        int64_t changed,
        RunChanges(*db_,
                   "UPDATE model_tags SET digest = ?4, manifest_json = ?5, updated_at = ?6"
                   " WHERE org_id = ?1 AND name = ?2 AND tag = ?3",
                   tag.org_id, tag.name, tag.tag, tag.digest, tag.manifest_json, tag.updated_at));
    (void)changed;
  } else if (existing.error().code() == StatusCode::kNotFound) {
    LOCAI_ASSIGN_OR_RETURN(
        int64_t changed,
        RunChanges(*db_,
                   "INSERT INTO model_tags(org_id, name, tag, digest, manifest_json, created_at,"
                   " updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                   tag.org_id, tag.name, tag.tag, tag.digest, tag.manifest_json, tag.created_at,
                   tag.updated_at));
    (void)changed;
  } else {
    return Err(existing.error());
  }
  LOCAI_RETURN_IF_ERROR(txn.Commit());
  return previous;
}

Result<ModelTag> SqliteStore::GetModelTag(const std::string& org_id, const std::string& name,
                                          const std::string& tag) {
  LOCAI_ASSIGN_OR_RETURN(Statement stmt,
                         PrepareBound(*db_,
                                      "SELECT " + std::string(kTagColumns) +
                                          " FROM model_tags WHERE org_id = ?1 AND name = ?2"
                                          " AND tag = ?3",
                                      org_id, name, tag));
  return ReadOne(stmt, ReadTag, "model " + TagName(name, tag));
}

Result<std::vector<ModelTag>> SqliteStore::ListModelTags(const std::string& org_id) {
  LOCAI_ASSIGN_OR_RETURN(Statement stmt,
                         PrepareBound(*db_,
                                      "SELECT " + std::string(kTagColumns) +
                                          " FROM model_tags WHERE org_id = ?1 ORDER BY name, tag",
                                      org_id));
  return ReadAll(stmt, ReadTag);
}

Status SqliteStore::DeleteModelTag(const std::string& org_id, const std::string& name,
                                   const std::string& tag) {
  LOCAI_ASSIGN_OR_RETURN(
      int64_t changed,
      RunChanges(*db_, "DELETE FROM model_tags WHERE org_id = ?1 AND name = ?2 AND tag = ?3",
                 org_id, name, tag));
  if (changed == 0) return Status::NotFound("model " + TagName(name, tag) + " not found");
  return Status::Ok();
}

// ---- Uploads ----

Status SqliteStore::CreateUpload(const Upload& upload) {
  LOCAI_RETURN_IF_ERROR(RequireNonEmpty(upload.id, "upload id"));
  auto changed = RunChanges(
      *db_, "INSERT INTO uploads(id, org_id, size_declared, created_at) VALUES (?1, ?2, ?3, ?4)",
      upload.id, upload.org_id, upload.size_declared, upload.created_at);
  if (!changed) return MissingParentAsNotFound(changed.error(), "organisation " + upload.org_id);
  return Status::Ok();
}

Result<Upload> SqliteStore::GetUpload(const std::string& id) {
  LOCAI_ASSIGN_OR_RETURN(
      Statement stmt,
      PrepareBound(*db_, "SELECT id, org_id, size_declared, created_at FROM uploads WHERE id = ?1",
                   id));
  return ReadOne(stmt, ReadUpload, "upload " + id);
}

Status SqliteStore::DeleteUpload(const std::string& id) {
  LOCAI_ASSIGN_OR_RETURN(int64_t changed,
                         RunChanges(*db_, "DELETE FROM uploads WHERE id = ?1", id));
  if (changed == 0) return Status::NotFound("upload " + id + " not found");
  return Status::Ok();
}

Result<std::vector<Upload>> SqliteStore::ListUploadsCreatedBefore(int64_t created_before) {
  LOCAI_ASSIGN_OR_RETURN(Statement stmt,
                         PrepareBound(*db_,
                                      "SELECT id, org_id, size_declared, created_at FROM uploads"
                                      " WHERE created_at < ?1 ORDER BY created_at, id",
                                      created_before));
  return ReadAll(stmt, ReadUpload);
}

}  // namespace locai::store

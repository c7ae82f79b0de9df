#include "store/sqlite/migrate.h"

#include <chrono>

namespace locai::store {

namespace {

Status EnsureTable(Database& db) {
  return db.Exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations("
      "  component TEXT NOT NULL,"
      "  version INTEGER NOT NULL,"
      "  applied_at INTEGER NOT NULL,"
      "  PRIMARY KEY (component, version))");
}

int64_t NowUnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Result<int64_t> ReadVersion(Database& db, std::string_view component) {
  LOCAI_ASSIGN_OR_RETURN(
      Statement stmt,
      db.Prepare("SELECT COALESCE(MAX(version), 0) FROM schema_migrations WHERE component = ?1"));
  LOCAI_RETURN_IF_ERROR(stmt.BindText(1, component));
  LOCAI_ASSIGN_OR_RETURN(bool row, stmt.Step());
  return row ? stmt.ColumnInt64(0) : 0;
}

}  // namespace

Result<int64_t> SchemaVersion(Database& db, std::string_view component) {
  LOCAI_RETURN_IF_ERROR(EnsureTable(db));
  return ReadVersion(db, component);
}

Status Migrate(Database& db, std::string_view component, const std::vector<std::string>& steps) {
  if (component.empty()) return Status::InvalidArgument("migration component name is empty");
  LOCAI_RETURN_IF_ERROR(EnsureTable(db));
  const auto known = static_cast<int64_t>(steps.size());
  auto newer = [&](int64_t current) {
    return Status::FailedPrecondition("database " + db.path() + " has schema version " +
                                      std::to_string(current) + " for '" + std::string(component) +
                                      "', newer than this binary's " + std::to_string(known));
  };
  LOCAI_ASSIGN_OR_RETURN(int64_t applied, ReadVersion(db, component));
  if (applied > known) return newer(applied);
  for (int64_t version = applied + 1; version <= known; ++version) {
    LOCAI_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(db));
    // Read again inside the write transaction: another migrator may have applied steps meanwhile.
    LOCAI_ASSIGN_OR_RETURN(int64_t current, ReadVersion(db, component));
    if (current > known) return newer(current);
    if (current >= version) continue;  // applied already; the transaction rolls back (no writes)
    const std::string context =
        "migrate " + std::string(component) + " to version " + std::to_string(version);
    LOCAI_RETURN_IF_ERROR(db.Exec(steps[static_cast<size_t>(version - 1)]).WithContext(context));
    {
      LOCAI_ASSIGN_OR_RETURN(
          Statement insert,
          db.Prepare("INSERT INTO schema_migrations(component, version, applied_at) "
                     "VALUES (?1, ?2, ?3)"));
      LOCAI_RETURN_IF_ERROR(insert.BindText(1, component));
      LOCAI_RETURN_IF_ERROR(insert.BindInt64(2, version));
      LOCAI_RETURN_IF_ERROR(insert.BindInt64(3, NowUnixMs()));
      LOCAI_RETURN_IF_ERROR(insert.Run().WithContext(context));
    }
    LOCAI_RETURN_IF_ERROR(txn.Commit().WithContext(context));
  }
  return Status::Ok();
}

}  // namespace locai::store

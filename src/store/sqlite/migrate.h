// Versioned schema migrations, one independent sequence per component ("store", "audit",
// "metering", ...), recorded in the table schema_migrations(component, version, applied_at).
//
// Usage: keep a constant list of SQL steps for your component and only ever append to it:
//
//   const std::vector<std::string> kAuditSteps = {
//       "CREATE TABLE audit_events(...)",          // version 1
//       "ALTER TABLE audit_events ADD COLUMN ...",  // version 2
//   };
//   LOCAI_RETURN_IF_ERROR(Migrate(db, "audit", kAuditSteps));
//
// Step i (0-based) is version i + 1. Each step not yet applied runs in its own transaction together
// with the row that records it, so a crash leaves the schema at a whole version. A step may hold
// several `;`-separated statements. Running Migrate again is a no-op.
//
// Errors: InvalidArgument for an empty component name; FailedPrecondition when the database records
// a version newer than `steps.size()` (written by a newer binary: refusing is safer than guessing);
// a failing step returns its error with "migrate <component> to version N" prepended and leaves the
// schema at version N - 1.
// Threading: as Database; concurrent Migrate calls (threads or processes) serialise on the write
// lock and each step is applied exactly once.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "store/sqlite/database.h"

namespace locai::store {

Status Migrate(Database& db, std::string_view component, const std::vector<std::string>& steps);

// The highest applied version of `component`, 0 when none.
Result<int64_t> SchemaVersion(Database& db, std::string_view component);

}  // namespace locai::store

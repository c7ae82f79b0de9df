// Internal helpers of the SQLite store: binding a list of values in one call and turning the
// "no row" case into NotFound. Not part of the library's public API.
// Threading: as Statement (used under the Database lock the Statement holds).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "common/status.h"
#include "store/sqlite/database.h"

namespace locai::store::internal {

inline Status BindOne(Statement& stmt, int index, std::string_view value) {
  return stmt.BindText(index, value);
}
inline Status BindOne(Statement& stmt, int index, const std::string& value) {
  return stmt.BindText(index, value);
}
inline Status BindOne(Statement& stmt, int index, const char* value) {
  return stmt.BindText(index, value);
}
inline Status BindOne(Statement& stmt, int index, double value) {
  return stmt.BindDouble(index, value);
}
inline Status BindOne(Statement& stmt, int index, const std::optional<int64_t>& value) {
  return value ? stmt.BindInt64(index, *value) : stmt.BindNull(index);
}
template <typename Int, typename = std::enable_if_t<std::is_integral_v<Int>>>
Status BindOne(Statement& stmt, int index, Int value) {
  return stmt.BindInt64(index, static_cast<int64_t>(value));
}

// Binds `values` to ?1, ?2, ... in order.
template <typename... Values>
Status BindAll(Statement& stmt, const Values&... values) {
  int index = 0;
  Status status;
  ((status.ok() ? (status = BindOne(stmt, ++index, values), 0) : 0), ...);
  return status;
}

// Prepares `sql` and binds `values`.
template <typename... Values>
Result<Statement> PrepareBound(Database& db, std::string_view sql, const Values&... values) {
  LOCAI_ASSIGN_OR_RETURN(Statement stmt, db.Prepare(sql));
  LOCAI_RETURN_IF_ERROR(BindAll(stmt, values...));
  return stmt;
}

// Runs a statement that changes rows; returns how many it changed.
template <typename... Values>
Result<int64_t> RunChanges(Database& db, std::string_view sql, const Values&... values) {
  LOCAI_ASSIGN_OR_RETURN(Statement stmt, PrepareBound(db, sql, values...));
  LOCAI_RETURN_IF_ERROR(stmt.Run());
  return db.Changes();
}

// Steps `stmt` once and reads its row with `read(stmt)`; NotFound(`what` + " not found") when
// there is no row.
template <typename Reader>
auto ReadOne(Statement& stmt, Reader read, const std::string& what)
    -> Result<decltype(read(stmt))> {
  LOCAI_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return Err(Status::NotFound(what + " not found"));
  return read(stmt);
}

// Reads every row of `stmt` with `read(stmt)`.
template <typename Reader>
auto ReadAll(Statement& stmt, Reader read) -> Result<std::vector<decltype(read(stmt))>> {
  std::vector<decltype(read(stmt))> rows;
  while (true) {
    LOCAI_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    rows.push_back(read(stmt));
  }
  return rows;
}

inline std::optional<int64_t> ColumnOptionalInt64(const Statement& stmt, int index) {
  if (stmt.ColumnIsNull(index)) return std::nullopt;
  return stmt.ColumnInt64(index);
}

// A foreign-key failure on insert (FailedPrecondition) reported as the missing parent.
inline Status MissingParentAsNotFound(Status status, const std::string& what) {
  if (status.code() == StatusCode::kFailedPrecondition) {
    return Status::NotFound(what + " not found");
  }
  return status;
}

inline Status RequireNonEmpty(std::string_view value, std::string_view field) {
  if (value.empty()) return Status::InvalidArgument(std::string(field) + " must not be empty");
  return Status::Ok();
}

}  // namespace locai::store::internal

// Database: an RAII SQLite connection; Statement: a prepared statement; Transaction: BEGIN
// IMMEDIATE ... COMMIT, rolled back unless committed.
//
// Open() configures every connection the same way:
//   journal_mode=WAL     readers do not block the writer and the writer does not block readers;
//   synchronous=FULL     a COMMIT that returned survives power loss (the WAL is fsynced at every
//                        commit). The control plane writes little (keys, tokens, tags, node state)
//                        and losing an acknowledged enrolment or tag move is worse than the fsync;
//   foreign_keys=ON      references between tables are enforced;
//   busy_timeout=5000    another connection (process) holding the write lock is waited for up to
//                        5 s before a statement fails with Unavailable.
//
// Errors map onto Status codes: a UNIQUE / PRIMARY KEY violation is AlreadyExists, a FOREIGN KEY or
// CHECK violation FailedPrecondition, SQLITE_BUSY / SQLITE_LOCKED Unavailable, anything else
// Internal. The message carries SQLite's own text.
//
// Threading: a Database may be shared between threads. It holds a recursive mutex: a Statement
// holds it from Prepare() until it is destroyed, a Transaction from Begin() until Commit() or its
// destruction, so a thread's statements never interleave with another thread's and a transaction
// sees only its own thread's statements. Keep Statements short-lived. Two Database objects on the
// same file (or two processes) are serialised by SQLite's file locks and the busy timeout.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "common/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace locai::store {

class Statement;

class Database {
 public:
  // Opens (creating if needed) the database file at `path` and configures it as above.
  // ":memory:" gives a private in-memory database (WAL does not apply). Fails with Internal when
  // the file cannot be opened (the message names the path).
  static Result<std::unique_ptr<Database>> Open(const std::string& path);

  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Runs one or more `;`-separated statements that return no rows (DDL, simple updates).
  Status Exec(std::string_view sql);

  // Prepares one statement. The Statement holds this Database's lock until it is destroyed.
  Result<Statement> Prepare(std::string_view sql);

  // Rows changed by the last INSERT/UPDATE/DELETE on this connection (call under the lock a
  // Statement or Transaction holds, i.e. before destroying it).
  int64_t Changes() const;

  // True while a transaction is open on this connection.
  bool InTransaction() const;

  const std::string& path() const { return path_; }

  // The connection lock (recursive). Statement and Transaction take it; callers need it only to
  // keep a sequence of statements together without a transaction.
  std::unique_lock<std::recursive_mutex> Lock() { return std::unique_lock(mu_); }

  // The Status for SQLite result code `rc` with this connection's error message; `what` says what
  // was being done. Call with the lock held.
  Status ErrorStatus(int rc, std::string_view what) const;

 private:
  Database(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}

  sqlite3* db_;  // owned; closed in the destructor
  std::string path_;
  mutable std::recursive_mutex mu_;

  friend class Statement;
};

class Statement {
 public:
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  ~Statement();

  // Binders; `index` is 1-based as in SQL's `?1`. Text and blob bytes are copied by SQLite.
  Status BindInt64(int index, int64_t value);
  Status BindText(int index, std::string_view value);
  Status BindBlob(int index, std::string_view bytes);
  Status BindDouble(int index, double value);
  Status BindNull(int index);

  // Advances: true when a row is available, false when the statement is done.
  Result<bool> Step();
  // Steps once and expects the statement to be done (an INSERT/UPDATE/DELETE without RETURNING).
  Status Run();
  // Resets the statement (and clears its bindings) so it can be run again.
  Status Reset();

  // Column getters for the current row; `index` is 0-based. Text of a NULL column is "".
  int64_t ColumnInt64(int index) const;
  double ColumnDouble(int index) const;
  std::string ColumnText(int index) const;
  std::string ColumnBlob(int index) const;
  bool ColumnIsNull(int index) const;
  int ColumnCount() const;

 private:
  friend class Database;
  Statement(Database* db, sqlite3_stmt* stmt, std::unique_lock<std::recursive_mutex> lock)
      : db_(db), stmt_(stmt), lock_(std::move(lock)) {}
  Status BindResult(int rc, int index);

  Database* db_;
  sqlite3_stmt* stmt_;  // owned; finalized in the destructor
  std::unique_lock<std::recursive_mutex> lock_;
};

// RAII write transaction: BEGIN IMMEDIATE takes SQLite's write lock at once, so two writers
// racing (threads on two connections, or two processes) serialise instead of failing with BUSY at
// their first write. The destructor rolls back unless Commit() succeeded.
// Threading: holds the Database's lock from Begin() to Commit()/destruction; use on one thread.
class Transaction {
 public:
  // FailedPrecondition when a transaction is already open on this connection (no nesting);
  // Unavailable when the write lock was not obtained within the busy timeout.
  static Result<Transaction> Begin(Database& db);

  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();

  // Commits. After an error the transaction has been rolled back.
  Status Commit();

 private:
  Transaction(Database* db, std::unique_lock<std::recursive_mutex> lock)
      : db_(db), lock_(std::move(lock)) {}

  Database* db_;  // null once committed, rolled back or moved from
  std::unique_lock<std::recursive_mutex> lock_;
};

}  // namespace locai::store

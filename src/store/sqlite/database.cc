#include "store/sqlite/database.h"

#include <sqlite3.h>

#include <utility>

namespace locai::store {

namespace {

constexpr int kBusyTimeoutMs = 5000;

}  // namespace

Result<std::unique_ptr<Database>> Database::Open(const std::string& path) {
  sqlite3* raw = nullptr;
  // NOMUTEX: the Database's own mutex serialises every use of the connection.
  int rc =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
    sqlite3_close(raw);
    return Err(Status::Internal("cannot open database " + path + ": " + msg));
  }
  std::unique_ptr<Database> db(new Database(raw, path));
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, kBusyTimeoutMs);
  // journal_mode returns a row; the others return none. WAL must be set before the first write.
  LOCAI_RETURN_IF_ERROR(
      db->Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"));
  return db;
}

Database::~Database() { sqlite3_close_v2(db_); }

Status Database::ErrorStatus(int rc, std::string_view what) const {
  std::string msg = std::string(what) + ": " + sqlite3_errmsg(db_);
  switch (rc) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
      return Status::AlreadyExists(std::move(msg));
    case SQLITE_CONSTRAINT_FOREIGNKEY:
    case SQLITE_CONSTRAINT_CHECK:
      return Status::FailedPrecondition(std::move(msg));
    case SQLITE_CONSTRAINT_NOTNULL:
      return Status::InvalidArgument(std::move(msg));
    default:
      break;
  }
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Status::Unavailable(std::move(msg));
    default:
      return Status::Internal(std::move(msg));
  }
}

Status Database::Exec(std::string_view sql) {
  auto lock = Lock();
  std::string text(sql);
  char* err = nullptr;
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err);
  sqlite3_free(err);  // ErrorStatus reads the same text from the connection
  if (rc != SQLITE_OK) return ErrorStatus(sqlite3_extended_errcode(db_), "exec");
  return Status::Ok();
}

Result<Statement> Database::Prepare(std::string_view sql) {
  auto lock = Lock();
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return Err(ErrorStatus(rc, "prepare"));
  }
  if (stmt == nullptr) return Err(Status::InvalidArgument("prepare: empty SQL"));
  return Statement(this, stmt, std::move(lock));
}

int64_t Database::Changes() const {
  auto lock = std::unique_lock(mu_);
  return sqlite3_changes64(db_);
}

bool Database::InTransaction() const {
  auto lock = std::unique_lock(mu_);
  return sqlite3_get_autocommit(db_) == 0;
}

// ---- Statement ----

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_), stmt_(std::exchange(other.stmt_, nullptr)), lock_(std::move(other.lock_)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    db_ = other.db_;
    stmt_ = std::exchange(other.stmt_, nullptr);
    lock_ = std::move(other.lock_);
  }
  return *this;
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Status Statement::BindResult(int rc, int index) {
  if (rc == SQLITE_OK) return Status::Ok();
  return db_->ErrorStatus(rc, "bind parameter " + std::to_string(index));
}

Status Statement::BindInt64(int index, int64_t value) {
  return BindResult(sqlite3_bind_int64(stmt_, index, value), index);
}

Status Statement::BindText(int index, std::string_view value) {
  return BindResult(
      sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8),
      index);
}

Status Statement::BindBlob(int index, std::string_view bytes) {
  return BindResult(sqlite3_bind_blob64(stmt_, index, bytes.data(), bytes.size(), SQLITE_TRANSIENT),
                    index);
}

Status Statement::BindDouble(int index, double value) {
  return BindResult(sqlite3_bind_double(stmt_, index, value), index);
}

Status Statement::BindNull(int index) { return BindResult(sqlite3_bind_null(stmt_, index), index); }

Result<bool> Statement::Step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return Err(db_->ErrorStatus(sqlite3_extended_errcode(db_->db_), "step"));
}

Status Statement::Run() {
  LOCAI_ASSIGN_OR_RETURN(bool row, Step());
  if (row) return Status::Internal("statement returned a row where none was expected");
  return Status::Ok();
}

Status Statement::Reset() {
  sqlite3_clear_bindings(stmt_);
  int rc = sqlite3_reset(stmt_);
  if (rc != SQLITE_OK) return db_->ErrorStatus(rc, "reset");
  return Status::Ok();
}

int64_t Statement::ColumnInt64(int index) const { return sqlite3_column_int64(stmt_, index); }

double Statement::ColumnDouble(int index) const { return sqlite3_column_double(stmt_, index); }

std::string Statement::ColumnText(int index) const {
  const unsigned char* text = sqlite3_column_text(stmt_, index);
  if (text == nullptr) return "";
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<size_t>(sqlite3_column_bytes(stmt_, index)));
}

std::string Statement::ColumnBlob(int index) const {
  const void* data = sqlite3_column_blob(stmt_, index);
  if (data == nullptr) return "";
  return std::string(static_cast<const char*>(data),
                     static_cast<size_t>(sqlite3_column_bytes(stmt_, index)));
}

bool Statement::ColumnIsNull(int index) const {
  return sqlite3_column_type(stmt_, index) == SQLITE_NULL;
}

int Statement::ColumnCount() const { return sqlite3_column_count(stmt_); }

// ---- Transaction ----

Result<Transaction> Transaction::Begin(Database& db) {
  auto lock = db.Lock();
  if (db.InTransaction()) {
    return Err(Status::FailedPrecondition("a transaction is already open on " + db.path()));
  }
  LOCAI_RETURN_IF_ERROR(db.Exec("BEGIN IMMEDIATE").WithContext("begin transaction"));
  return Transaction(&db, std::move(lock));
}

Transaction::Transaction(Transaction&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), lock_(std::move(other.lock_)) {}

Transaction::~Transaction() {
  if (db_ != nullptr && db_->InTransaction()) {
    // Nothing to report to: a failed rollback leaves SQLite to roll back when the connection closes
    // or the next BEGIN fails loudly.
    (void)db_->Exec("ROLLBACK");
  }
}

Status Transaction::Commit() {
  if (db_ == nullptr) return Status::FailedPrecondition("transaction already finished");
  Status status = db_->Exec("COMMIT");
  if (!status.ok()) {
    if (db_->InTransaction()) (void)db_->Exec("ROLLBACK");
    db_ = nullptr;
    return status.WithContext("commit");
  }
  db_ = nullptr;
  return Status::Ok();
}

}  // namespace locai::store

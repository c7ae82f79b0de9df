#include "store/sqlite/database.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "store/sqlite/migrate.h"
#include "store/testing/temp_dir.h"

namespace locai::store {
namespace {

using testing::TempDir;

std::unique_ptr<Database> OpenOrDie(const std::string& path) {
  auto db = Database::Open(path);
  EXPECT_TRUE(db.has_value()) << db.error().ToString();
  return std::move(*db);
}

int64_t CountRows(Database& db, const std::string& table) {
  auto stmt = db.Prepare("SELECT COUNT(*) FROM " + table);
  EXPECT_TRUE(stmt.has_value()) << stmt.error().ToString();
  auto row = stmt->Step();
  EXPECT_TRUE(row.has_value() && *row);
  return stmt->ColumnInt64(0);
}

TEST(DatabaseTest, OpensWithWalAndForeignKeys) {
  TempDir dir;
  auto db = OpenOrDie(dir.File("a.db"));
  auto mode = db->Prepare("PRAGMA journal_mode");
  ASSERT_TRUE(mode.has_value());
  ASSERT_TRUE(*mode->Step());
  EXPECT_EQ(mode->ColumnText(0), "wal");
  auto fk = db->Prepare("PRAGMA foreign_keys");
  ASSERT_TRUE(fk.has_value());
  ASSERT_TRUE(*fk->Step());
  EXPECT_EQ(fk->ColumnInt64(0), 1);
}

TEST(DatabaseTest, OpenFailureNamesThePath) {
  TempDir dir;
  auto db = Database::Open(dir.File("missing/dir/a.db"));
  ASSERT_FALSE(db.has_value());
  EXPECT_NE(db.error().message().find("missing/dir/a.db"), std::string::npos);
}

TEST(DatabaseTest, BindAndReadEveryType) {
  TempDir dir;
  auto db = OpenOrDie(dir.File("a.db"));
  ASSERT_TRUE(db->Exec("CREATE TABLE t(i INTEGER, s TEXT, b BLOB, d REAL, n TEXT)").ok());
  {
    auto insert = db->Prepare("INSERT INTO t VALUES (?1, ?2, ?3, ?4, ?5)");
    ASSERT_TRUE(insert.has_value());
    ASSERT_TRUE(insert->BindInt64(1, int64_t{1} << 40).ok());
    ASSERT_TRUE(insert->BindText(2, "h\xc3\xa9llo").ok());
    ASSERT_TRUE(insert->BindBlob(3, std::string("a\0b", 3)).ok());
    ASSERT_TRUE(insert->BindDouble(4, 0.25).ok());
    ASSERT_TRUE(insert->BindNull(5).ok());
    ASSERT_TRUE(insert->Run().ok());
    EXPECT_EQ(db->Changes(), 1);
  }
  auto select = db->Prepare("SELECT i, s, b, d, n FROM t");
  ASSERT_TRUE(select.has_value());
  ASSERT_EQ(select->ColumnCount(), 5);
  ASSERT_TRUE(*select->Step());
  EXPECT_EQ(select->ColumnInt64(0), int64_t{1} << 40);
  EXPECT_EQ(select->ColumnText(1), "h\xc3\xa9llo");
  EXPECT_EQ(select->ColumnBlob(2), std::string("a\0b", 3));
  EXPECT_DOUBLE_EQ(select->ColumnDouble(3), 0.25);
  EXPECT_TRUE(select->ColumnIsNull(4));
  EXPECT_EQ(select->ColumnText(4), "");
  EXPECT_FALSE(*select->Step());
}

TEST(DatabaseTest, ErrorsMapToStatusCodes) {
  TempDir dir;
  auto db = OpenOrDie(dir.File("a.db"));
  ASSERT_TRUE(db->Exec("CREATE TABLE p(id TEXT PRIMARY KEY);"
                       "CREATE TABLE c(id TEXT PRIMARY KEY, p TEXT NOT NULL REFERENCES p(id),"
                       " v INTEGER CHECK (v > 0))")
                  .ok());
  ASSERT_TRUE(db->Exec("INSERT INTO p VALUES ('x')").ok());
  EXPECT_EQ(db->Exec("INSERT INTO p VALUES ('x')").code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(db->Exec("INSERT INTO c VALUES ('1', 'nope', 1)").code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(db->Exec("INSERT INTO c VALUES ('1', 'x', 0)").code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(db->Exec("INSERT INTO c VALUES ('1', NULL, 1)").code(), StatusCode::kInvalidArgument);
  Status syntax = db->Exec("SELEC 1");
  EXPECT_EQ(syntax.code(), StatusCode::kInternal);
  EXPECT_NE(syntax.message().find("syntax"), std::string::npos);
  EXPECT_FALSE(db->Prepare("SELECT * FROM nowhere").has_value());
}

TEST(DatabaseTest, StatementResetRunsAgain) {
  TempDir dir;
  auto db = OpenOrDie(dir.File("a.db"));
  ASSERT_TRUE(db->Exec("CREATE TABLE t(i INTEGER)").ok());
  auto insert = db->Prepare("INSERT INTO t VALUES (?1)");
  ASSERT_TRUE(insert.has_value());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(insert->BindInt64(1, i).ok());
    ASSERT_TRUE(insert->Run().ok());
    ASSERT_TRUE(insert->Reset().ok());
  }
  Statement moved = std::move(*insert);
  EXPECT_EQ(CountRows(*db, "t"), 3);
}

TEST(DatabaseTest, TransactionRollsBackUnlessCommitted) {
  TempDir dir;
  auto db = OpenOrDie(dir.File("a.db"));
  ASSERT_TRUE(db->Exec("CREATE TABLE t(i INTEGER)").ok());
  {
    auto txn = Transaction::Begin(*db);
    ASSERT_TRUE(txn.has_value());
    EXPECT_TRUE(db->InTransaction());
    ASSERT_TRUE(db->Exec("INSERT INTO t VALUES (1)").ok());
  }
  EXPECT_FALSE(db->InTransaction());
  EXPECT_EQ(CountRows(*db, "t"), 0);
  {
    auto txn = Transaction::Begin(*db);
    ASSERT_TRUE(txn.has_value());
    ASSERT_TRUE(db->Exec("INSERT INTO t VALUES (1)").ok());
    ASSERT_TRUE(txn->Commit().ok());
    EXPECT_EQ(txn->Commit().code(), StatusCode::kFailedPrecondition);
  }
  EXPECT_EQ(CountRows(*db, "t"), 1);
}

TEST(DatabaseTest, NestedTransactionIsRefused) {
  TempDir dir;
  auto db = OpenOrDie(dir.File("a.db"));
  auto outer = Transaction::Begin(*db);
  ASSERT_TRUE(outer.has_value());
  auto inner = Transaction::Begin(*db);
  ASSERT_FALSE(inner.has_value());
  EXPECT_EQ(inner.error().code(), StatusCode::kFailedPrecondition);
}

TEST(DatabaseTest, DataSurvivesReopen) {
  TempDir dir;
  {
    auto db = OpenOrDie(dir.File("a.db"));
    ASSERT_TRUE(db->Exec("CREATE TABLE t(i INTEGER); INSERT INTO t VALUES (7)").ok());
  }
  auto db = OpenOrDie(dir.File("a.db"));
  EXPECT_EQ(CountRows(*db, "t"), 1);
}

// Two connections on one file, many threads incrementing a counter in read-modify-write
// transactions: BEGIN IMMEDIATE serialises them, so no increment is lost.
TEST(DatabaseTest, ImmediateTransactionsSerialiseWriters) {
  TempDir dir;
  auto a = OpenOrDie(dir.File("a.db"));
  auto b = OpenOrDie(dir.File("a.db"));
  ASSERT_TRUE(a->Exec("CREATE TABLE c(n INTEGER); INSERT INTO c VALUES (0)").ok());
  constexpr int kPerThread = 10;
  std::atomic<int> failures{0};
  auto work = [&](Database* db) {
    for (int i = 0; i < kPerThread; ++i) {
      auto txn = Transaction::Begin(*db);
      if (!txn) {
        ++failures;
        continue;
      }
      int64_t n = 0;
      {
        auto read = db->Prepare("SELECT n FROM c");
        if (!read || !read->Step().value_or(false)) {
          ++failures;
          continue;
        }
        n = read->ColumnInt64(0);
      }
      auto write = db->Prepare("UPDATE c SET n = ?1");
      if (!write || !write->BindInt64(1, n + 1).ok() || !write->Run().ok()) {
        ++failures;
        continue;
      }
      if (!txn->Commit().ok()) ++failures;
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) threads.emplace_back(work, t % 2 == 0 ? a.get() : b.get());
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  auto read = a->Prepare("SELECT n FROM c");
  ASSERT_TRUE(read.has_value());
  ASSERT_TRUE(*read->Step());
  EXPECT_EQ(read->ColumnInt64(0), 4 * kPerThread);
}

// ---- Migrate ----

TEST(MigrateTest, AppliesEachStepOnceInOrder) {
  TempDir dir;
  auto db = OpenOrDie(dir.File("a.db"));
  std::vector<std::string> steps = {"CREATE TABLE t(i INTEGER)",
                                    "INSERT INTO t VALUES (1); INSERT INTO t VALUES (2)"};
  ASSERT_TRUE(Migrate(*db, "demo", steps).ok());
  EXPECT_EQ(*SchemaVersion(*db, "demo"), 2);
  ASSERT_TRUE(Migrate(*db, "demo", steps).ok());  // idempotent
  EXPECT_EQ(CountRows(*db, "t"), 2);
  steps.push_back("ALTER TABLE t ADD COLUMN s TEXT");
  ASSERT_TRUE(Migrate(*db, "demo", steps).ok());
  EXPECT_EQ(*SchemaVersion(*db, "demo"), 3);
  EXPECT_EQ(CountRows(*db, "t"), 2);
  EXPECT_EQ(*SchemaVersion(*db, "other"), 0);
}

TEST(MigrateTest, ComponentsAreIndependentAndSurviveReopen) {
  TempDir dir;
  {
    auto db = OpenOrDie(dir.File("a.db"));
    ASSERT_TRUE(Migrate(*db, "audit", {"CREATE TABLE audit_t(i INTEGER)"}).ok());
    ASSERT_TRUE(Migrate(*db, "metering",
                        {"CREATE TABLE meter_t(i INTEGER)", "INSERT INTO meter_t VALUES (1)"})
                    .ok());
  }
  auto db = OpenOrDie(dir.File("a.db"));
  EXPECT_EQ(*SchemaVersion(*db, "audit"), 1);
  EXPECT_EQ(*SchemaVersion(*db, "metering"), 2);
  ASSERT_TRUE(Migrate(*db, "metering",
                      {"CREATE TABLE meter_t(i INTEGER)", "INSERT INTO meter_t VALUES (1)"})
                  .ok());
  EXPECT_EQ(CountRows(*db, "meter_t"), 1);
}

TEST(MigrateTest, NewerDatabaseIsRefused) {
  TempDir dir;
  auto db = OpenOrDie(dir.File("a.db"));
  ASSERT_TRUE(Migrate(*db, "demo", {"CREATE TABLE a(i)", "CREATE TABLE b(i)"}).ok());
  Status status = Migrate(*db, "demo", {"CREATE TABLE a(i)"});
  EXPECT_EQ(status.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(status.message().find("version 2"), std::string::npos) << status.message();
}

TEST(MigrateTest, FailingStepLeavesThePreviousVersion) {
  TempDir dir;
  auto db = OpenOrDie(dir.File("a.db"));
  Status status = Migrate(
      *db, "demo", {"CREATE TABLE a(i)", "CREATE TABLE b(i); INSERT INTO nowhere VALUES (1)"});
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("migrate demo to version 2"), std::string::npos)
      << status.message();
  EXPECT_EQ(*SchemaVersion(*db, "demo"), 1);
  // Step 2 was rolled back as a whole: table b does not exist, so a fixed step 2 can create it.
  ASSERT_TRUE(Migrate(*db, "demo", {"CREATE TABLE a(i)", "CREATE TABLE b(i)"}).ok());
  EXPECT_EQ(*SchemaVersion(*db, "demo"), 2);
}

TEST(MigrateTest, EmptyComponentIsInvalid) {
  TempDir dir;
  auto db = OpenOrDie(dir.File("a.db"));
  EXPECT_EQ(Migrate(*db, "", {}).code(), StatusCode::kInvalidArgument);
}

TEST(MigrateTest, ConcurrentMigratorsApplyEachStepOnce) {
  TempDir dir;
  auto a = OpenOrDie(dir.File("a.db"));
  auto b = OpenOrDie(dir.File("a.db"));
  // A non-idempotent step: applied twice it would insert two rows.
  const std::vector<std::string> steps = {"CREATE TABLE t(i INTEGER)", "INSERT INTO t VALUES (1)"};
  Status sa, sb;
  std::thread ta([&] { sa = Migrate(*a, "demo", steps); });
  std::thread tb([&] { sb = Migrate(*b, "demo", steps); });
  ta.join();
  tb.join();
  ASSERT_TRUE(sa.ok()) << sa.ToString();
  ASSERT_TRUE(sb.ok()) << sb.ToString();
  EXPECT_EQ(CountRows(*a, "t"), 1);
}

}  // namespace
}  // namespace locai::store

#include "control/audit/audit_log.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>
#include <vector>

#include "crypto/ed25519.h"
#include "store/testing/temp_dir.h"

namespace locai::control::audit {
namespace {

using nlohmann::json;
using store::Database;
using store::testing::TempDir;

class AuditLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    key_ = crypto::GenerateEd25519().value().private_key;
    Open();
  }

  void Open() {
    log_.reset();
    db_.reset();
    auto db = Database::Open(DbPath());
    ASSERT_TRUE(db) << db.error().ToString();
    db_ = std::move(*db);
    AuditLogOptions options;
    options.head_path = dir_.File("audit.head");
    options.signing_key = key_;
    options.now_ms = [this] { return now_.load(); };
    options.log = [this](std::string_view line) {
      std::lock_guard lock(lines_mu_);
      lines_.emplace_back(line);
    };
    auto log = AuditLog::Open(*db_, std::move(options));
    ASSERT_TRUE(log) << log.error().ToString();
    log_ = std::move(*log);
  }

  void Close() {
    log_.reset();
    db_.reset();
  }

  std::string DbPath() const { return dir_.File("locai.db"); }

  // Appends admin records, the clock advancing one second before each.
  void AppendAdmin(int n, const std::string& action = "key.create") {
    for (int i = 0; i < n; ++i) {
      now_ += 1000;
      AuditEvent event;
      event.kind = "admin";
      event.action = action;
      event.org = "acme";
      event.actor_key_id = "k_admin";
      event.target = "k_" + std::to_string(now_.load());
      auto record = log_->Append(event);
      ASSERT_TRUE(record) << record.error().ToString();
    }
  }

  // Runs SQL on the database file through a second connection, as someone with the file would,
  // after dropping the triggers that refuse it.
  void Tamper(const std::string& sql) {
    auto db = Database::Open(DbPath());
    ASSERT_TRUE(db);
    Status status = (*db)->Exec(
        "DROP TRIGGER IF EXISTS audit_records_no_update;"
        "DROP TRIGGER IF EXISTS audit_records_no_delete;" +
        sql);
    ASSERT_TRUE(status.ok()) << status.ToString();
  }

  VerifyReport Verify() {
    auto report = log_->Verify();
    EXPECT_TRUE(report) << report.error().ToString();
    return report ? *report : VerifyReport{};
  }

  TempDir dir_;
  std::string key_;
  std::atomic<int64_t> now_{1'790'000'000'000};
  std::unique_ptr<Database> db_;
  std::unique_ptr<AuditLog> log_;
  std::mutex lines_mu_;
  std::vector<std::string> lines_;
};

TEST_F(AuditLogTest, AppendsAChainThatVerifies) {
  AppendAdmin(5);
  VerifyReport report = Verify();
  EXPECT_TRUE(report.ok) << report.message;
  EXPECT_EQ(report.records_checked, 5);
  EXPECT_EQ(report.head_seq, 5);
  auto head = log_->Head().value();
  ASSERT_TRUE(head);
  EXPECT_EQ(head->seq, 5);
  auto file_head = HeadFile::ReadLast(dir_.File("audit.head")).value();
  ASSERT_TRUE(file_head);
  EXPECT_EQ(file_head->hash, head->hash);
  ASSERT_FALSE(lines_.empty());
  EXPECT_EQ(lines_.back(), "audit head seq=5 hash=" + head->hash);

  Close();  // restart: the chain continues
  Open();
  AppendAdmin(2);
  EXPECT_TRUE(Verify().ok);
  EXPECT_EQ(log_->Head().value()->seq, 7);
}

TEST_F(AuditLogTest, RefusesBadEventsAndCheckpointsFromCallers) {
  AuditEvent event;
  event.kind = "checkpoint";
  event.action = "audit.retention";
  event.org = "acme";
  EXPECT_EQ(log_->Append(event).error().code(), StatusCode::kInvalidArgument);
  event.kind = "admin";
  event.details_json = R"({"prompt": "text"})";
  EXPECT_EQ(log_->Append(event).error().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(log_->Head().value());  // nothing written
}

TEST_F(AuditLogTest, TriggersRefuseRewritingThroughSql) {
  AppendAdmin(3);
  EXPECT_FALSE(db_->Exec("UPDATE audit_records SET org = 'x' WHERE seq = 2").ok());
  EXPECT_FALSE(db_->Exec("DELETE FROM audit_records WHERE seq = 3").ok());
  EXPECT_TRUE(Verify().ok);
}

TEST_F(AuditLogTest, EditedRecordIsNamed) {
  AppendAdmin(5);
  Tamper("UPDATE audit_records SET content = replace(content, 'k_admin', 'k_other') WHERE seq = 3");
  VerifyReport report = Verify();
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.problem, "changed");
  EXPECT_EQ(report.first_bad_seq, 3);
}

TEST_F(AuditLogTest, EditedAndRehashedRecordIsNamed) {
  AppendAdmin(5);
  auto stmt = db_->Prepare("SELECT prev_hash, content FROM audit_records WHERE seq = 2");
  ASSERT_TRUE(stmt && *stmt->Step());
  std::string content = stmt->ColumnText(1);
  std::string prev = stmt->ColumnText(0);
  stmt = db_->Prepare("SELECT 1");  // release the row
  content.replace(content.find("k_admin"), 7, "k_other");
  Tamper("UPDATE audit_records SET content = '" + content + "', hash = '" +
         ChainHash(prev, content) + "' WHERE seq = 2");
  VerifyReport report = Verify();
  EXPECT_EQ(report.problem, "changed");
  EXPECT_EQ(report.first_bad_seq, 2);
}

TEST_F(AuditLogTest, DeletedRecordIsNamed) {
  AppendAdmin(6);
  Tamper("DELETE FROM audit_records WHERE seq = 4");
  VerifyReport report = Verify();
  EXPECT_EQ(report.problem, "missing");
  EXPECT_EQ(report.first_bad_seq, 4);
  EXPECT_NE(report.message.find("record 4 is missing"), std::string::npos) << report.message;
}

TEST_F(AuditLogTest, SwappedRecordsAreNamed) {
  AppendAdmin(5);
  Tamper(
      "UPDATE audit_records SET seq = -2 WHERE seq = 2;"
      "UPDATE audit_records SET seq = 2 WHERE seq = 3;"
      "UPDATE audit_records SET seq = 3 WHERE seq = -2;");
  VerifyReport report = Verify();
  EXPECT_EQ(report.problem, "reordered");
  EXPECT_EQ(report.first_bad_seq, 2);
}

TEST_F(AuditLogTest, TruncatedTailIsCaught) {
  AppendAdmin(6);
  Tamper("DELETE FROM audit_records WHERE seq >= 4");
  VerifyReport report = Verify();
  EXPECT_EQ(report.problem, "truncated");
  EXPECT_EQ(report.first_bad_seq, 4);
  EXPECT_EQ(report.head_seq, 6);
}

TEST_F(AuditLogTest, RestoringAnOlderCopyIsCaught) {
  AppendAdmin(5);
  Close();  // the last connection checkpoints the WAL into the file
  ASSERT_FALSE(std::filesystem::exists(DbPath() + "-wal"));
  std::filesystem::copy_file(DbPath(), dir_.File("backup.db"));
  Open();
  AppendAdmin(3);
  Close();
  std::filesystem::copy_file(dir_.File("backup.db"), DbPath(),
                             std::filesystem::copy_options::overwrite_existing);
  lines_.clear();
  Open();
  ASSERT_FALSE(lines_.empty());  // warned at once
  EXPECT_NE(lines_[0].find("does not match the head file"), std::string::npos) << lines_[0];
  VerifyReport rolled = Verify();
  EXPECT_EQ(rolled.problem, "truncated");
  EXPECT_EQ(rolled.first_bad_seq, 6);

  // Appending to the restored copy does not hide it.
  AppendAdmin(4);  // seq 6..9: the head file now goes back from 8 to 6
  VerifyReport after = Verify();
  EXPECT_FALSE(after.ok);
  EXPECT_EQ(after.problem, "rolled_back");
  EXPECT_EQ(after.first_bad_seq, 6);
}

TEST_F(AuditLogTest, RetentionLeavesASignedCheckpointAndTheChainVerifies) {
  AppendAdmin(10);  // times now+1s .. now+10s
  const int64_t sixth_time = now_ - 4000;
  now_ += 100'000;
  EXPECT_EQ(log_->ApplyRetention(now_ - sixth_time).value(), 5u);  // keeps records 6..10
  VerifyReport report = Verify();
  EXPECT_TRUE(report.ok) << report.message;
  EXPECT_EQ(report.first_seq, 6);
  EXPECT_EQ(report.last_seq, 11);  // the checkpoint record
  std::ostringstream out;
  ASSERT_TRUE(log_->Export(0, "jsonl", out).ok());
  std::string last_line = out.str().substr(out.str().rfind('\n', out.str().size() - 2) + 1);
  json checkpoint = json::parse(last_line);
  EXPECT_EQ(checkpoint["kind"], "checkpoint");
  EXPECT_EQ(checkpoint["details"]["through_seq"], 5);
  EXPECT_EQ(checkpoint["details"]["removed"], 5);

  AppendAdmin(2);
  EXPECT_TRUE(Verify().ok);
  EXPECT_EQ(log_->ApplyRetention(1'000'000'000).value(), 0u);  // nothing that old
  // Everything: the chain continues from the checkpoint record.
  now_ += 10'000;
  EXPECT_EQ(log_->ApplyRetention(0).value(), 8u);
  AppendAdmin(1);
  EXPECT_TRUE(Verify().ok) << Verify().message;

  // Deleting the records after the checkpoint, or the checkpoint itself, is caught.
  Tamper("DELETE FROM audit_records WHERE seq = (SELECT MIN(seq) FROM audit_records)");
  VerifyReport cut = Verify();
  EXPECT_EQ(cut.problem, "missing");
  EXPECT_EQ(cut.first_bad_seq, 14);
}

TEST_F(AuditLogTest, ForgedCheckpointIsCaught) {
  AppendAdmin(6);
  // Someone removes records 1..3 and writes a checkpoint without the server's key.
  std::string hash3;
  {
    auto stmt = db_->Prepare("SELECT hash FROM audit_records WHERE seq = 3");
    ASSERT_TRUE(stmt && *stmt->Step());
    hash3 = stmt->ColumnText(0);
  }
  auto other_key = crypto::GenerateEd25519().value();
  std::string signature =
      crypto::Ed25519Sign(other_key.private_key, CheckpointMessage(3, hash3)).value();
  std::string signature_hex;
  for (unsigned char c : signature) {
    const char* digits = "0123456789abcdef";
    signature_hex += digits[c >> 4];
    signature_hex += digits[c & 15];
  }
  Tamper("INSERT INTO audit_checkpoints VALUES (3, '" + hash3 + "', 0, '', '" + signature_hex +
         "'); DELETE FROM audit_records WHERE seq <= 3;");
  VerifyReport report = Verify();
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.problem, "missing");
  EXPECT_EQ(report.first_bad_seq, 1);
  EXPECT_NE(report.message.find("bad signature"), std::string::npos) << report.message;
}

TEST_F(AuditLogTest, ExportWritesParseableJsonLines) {
  AppendAdmin(3);
  const int64_t since = now_ + 1;
  AuditEvent event;
  event.kind = "inference";
  event.action = "chat.completions";
  event.org = "acme";
  event.request_id = "req_1";
  event.model = "llama3.2:1b";
  event.route = "local";
  event.tokens_in = 5;
  event.tokens_out = 7;
  event.status = 200;
  event.pii_counts = {{"email", 1}};
  now_ += 1000;
  ASSERT_TRUE(log_->Append(event));

  std::ostringstream all;
  ASSERT_TRUE(log_->Export(0, "jsonl", all).ok());
  std::istringstream lines(all.str());
  std::string line;
  int64_t expected_seq = 1;
  std::string prev(kGenesisHash);
  while (std::getline(lines, line)) {
    json record = json::parse(line, nullptr, false);
    ASSERT_FALSE(record.is_discarded()) << line;
    EXPECT_EQ(record["seq"], expected_seq++);
    EXPECT_EQ(record["prev_hash"], prev);
    // A SIEM recomputes the chain from the line alone (docs/audit-log.md, Export).
    std::string hash = record["hash"].get<std::string>();
    record.erase("prev_hash");
    record.erase("hash");
    EXPECT_EQ(ChainHash(prev, record.dump()), hash);
    prev = hash;
  }
  EXPECT_EQ(expected_seq, 5);

  std::vector<std::string> recent;
  ASSERT_TRUE(log_->Export(since, "jsonl",
                           [&](std::string_view l) {
                             recent.emplace_back(l);
                             return Status::Ok();
                           })
                  .ok());
  ASSERT_EQ(recent.size(), 1u);
  json inference = json::parse(recent[0]);
  EXPECT_EQ(inference["tokens_out"], 7);
  EXPECT_EQ(inference["pii"]["email"], 1);
  EXPECT_EQ(log_->Export(0, "csv", all).code(), StatusCode::kInvalidArgument);
  Status stopped =
      log_->Export(0, "jsonl", [](std::string_view) { return Status::Unavailable("sink closed"); });
  EXPECT_EQ(stopped.code(), StatusCode::kUnavailable);
}

TEST_F(AuditLogTest, CapturedTextIsKeptApartWithItsOwnRetention) {
  AuditEvent event;
  event.kind = "inference";
  event.action = "messages";
  event.org = "acme";
  event.prompt_text = "patient John Smith";
  event.completion_text = "advice";
  auto record = log_->Append(event).value();
  EXPECT_EQ(record.content.find("John"), std::string::npos);
  auto content = log_->Content(record.seq).value();
  ASSERT_TRUE(content);
  EXPECT_EQ(content->prompt, "patient John Smith");
  EXPECT_EQ(content->completion, "advice");
  now_ += 10'000;
  AppendAdmin(1);
  EXPECT_EQ(log_->ApplyContentRetention(5'000).value(), 1u);
  EXPECT_FALSE(log_->Content(record.seq).value());
  EXPECT_TRUE(Verify().ok);  // the chain does not hold the text
}

TEST_F(AuditLogTest, ContentRetentionPerOrganisation) {
  for (const char* org : {"acme", "globex"}) {
    AuditEvent event;
    event.kind = "inference";
    event.action = "inference.request";
    event.org = org;
    event.prompt_text = std::string("prompt of ") + org;
    ASSERT_TRUE(log_->Append(event));
  }
  now_ += 10'000;
  EXPECT_EQ(log_->ApplyContentRetention("acme", 5'000).value(), 1u);
  EXPECT_FALSE(log_->Content(1).value());
  EXPECT_TRUE(log_->Content(2).value());
  EXPECT_EQ(log_->ApplyContentRetention("globex", 20'000).value(), 0u);
  EXPECT_TRUE(log_->Content(2).value());
}

TEST_F(AuditLogTest, AppendAllWritesABatchThatVerifiesAndSkipsBadEvents) {
  AppendAdmin(2);
  std::vector<AuditEvent> batch(4);
  for (size_t i = 0; i < batch.size(); ++i) {
    batch[i].kind = "inference";
    batch[i].action = "inference.request";
    batch[i].org = "acme";
    batch[i].request_id = "req-" + std::to_string(i);
  }
  batch[2].org = "";  // refused: no organisation
  batch[3].prompt_text = "kept apart";
  auto results = log_->AppendAll(batch);
  ASSERT_TRUE(results) << results.error().ToString();
  ASSERT_EQ(results->size(), 4u);
  EXPECT_EQ((*results)[0]->seq, 3);
  EXPECT_EQ((*results)[1]->seq, 4);
  EXPECT_FALSE((*results)[2]);
  EXPECT_EQ((*results)[3]->seq, 5);
  EXPECT_EQ((*results)[1]->prev_hash, (*results)[0]->hash);
  EXPECT_EQ(log_->Content(5).value()->prompt, "kept apart");
  auto scan = HeadFile::Scan(dir_.File("audit.head")).value();
  EXPECT_EQ(scan.lines, 5);  // one head line per record, written together
  EXPECT_EQ(scan.last->seq, 5);
  EXPECT_TRUE(Verify().ok);
  AppendAdmin(1);
  EXPECT_TRUE(Verify().ok);
  EXPECT_EQ(log_->AppendAll({}).value().size(), 0u);
  EXPECT_TRUE(Verify().ok);
}

TEST_F(AuditLogTest, ConcurrentAppendsFormOneChain) {
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        AuditEvent event;
        event.kind = "admin";
        event.action = "node.label";
        event.org = "org" + std::to_string(t);
        if (!log_->Append(event)) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  VerifyReport report = Verify();
  EXPECT_TRUE(report.ok) << report.message;
  EXPECT_EQ(report.records_checked, 40);
  EXPECT_EQ(HeadFile::Scan(dir_.File("audit.head")).value().lines, 40);
}

TEST_F(AuditLogTest, OpenRefusesABadKeyOrNoClock) {
  AuditLogOptions options;
  options.head_path = dir_.File("x.head");
  options.now_ms = [] { return int64_t{0}; };
  options.signing_key = "short";
  EXPECT_FALSE(AuditLog::Open(*db_, options));
  options.signing_key = key_;
  options.now_ms = nullptr;
  EXPECT_FALSE(AuditLog::Open(*db_, options));
}

}  // namespace
}  // namespace locai::control::audit

#include "control/audit/audit_log.h"

#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <span>
#include <vector>

#include "crypto/ed25519.h"
#include "crypto/sha256.h"
#include "store/sqlite/migrate.h"

namespace locai::control::audit {
namespace {

using nlohmann::json;
using store::Database;
using store::Statement;
using store::Transaction;

// Schema, component "audit". Append steps; never edit one that has shipped.
const std::vector<std::string> kAuditSteps = {
    "CREATE TABLE audit_records("
    "  seq INTEGER PRIMARY KEY, time_ms INTEGER NOT NULL, org TEXT NOT NULL, kind TEXT NOT NULL,"
    "  action TEXT NOT NULL, content TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL);"
    "CREATE INDEX audit_records_by_time ON audit_records(time_ms);"
    "CREATE TABLE audit_checkpoints("
    "  through_seq INTEGER PRIMARY KEY, through_hash TEXT NOT NULL, created_ms INTEGER NOT NULL,"
    "  public_key TEXT NOT NULL, signature TEXT NOT NULL);"
    "CREATE TABLE audit_content("
    "  seq INTEGER PRIMARY KEY, org TEXT NOT NULL, time_ms INTEGER NOT NULL,"
    "  prompt TEXT NOT NULL, completion TEXT NOT NULL);"
    "CREATE INDEX audit_content_by_time ON audit_content(time_ms);"
    "CREATE TRIGGER audit_records_no_update BEFORE UPDATE ON audit_records"
    "  BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END;"
    "CREATE TRIGGER audit_records_no_delete BEFORE DELETE ON audit_records"
    "  WHEN NOT EXISTS (SELECT 1 FROM audit_checkpoints WHERE through_seq >= OLD.seq)"
    "  BEGIN SELECT RAISE(ABORT, 'audit records are removed only by retention'); END;",
};

constexpr int64_t kPageSize = 1000;

Status BindValue(Statement& stmt, int index, std::string_view value) {
  return stmt.BindText(index, value);
}
Status BindValue(Statement& stmt, int index, int64_t value) { return stmt.BindInt64(index, value); }

template <typename... Values>
Result<Statement> Query(Database& db, std::string_view sql, const Values&... values) {
  LOCAI_ASSIGN_OR_RETURN(Statement stmt, db.Prepare(sql));
  int index = 0;
  Status status;
  ((status.ok() ? (status = BindValue(stmt, ++index, values), 0) : 0), ...);
  LOCAI_RETURN_IF_ERROR(status);
  return stmt;
}

std::string Hex(std::string_view bytes) {
  return crypto::ToHex(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
}

std::string Unhex(std::string_view hex) {
  auto bytes = crypto::FromHex(hex);
  if (!bytes) return std::string();
  return std::string(bytes->begin(), bytes->end());
}

constexpr std::string_view kRecordColumns =
    "SELECT seq, time_ms, kind, action, org, content, prev_hash, hash FROM audit_records";

AuditRecord ReadRecord(const Statement& stmt) {
  AuditRecord record;
  record.seq = stmt.ColumnInt64(0);
  record.time_ms = stmt.ColumnInt64(1);
  record.kind = stmt.ColumnText(2);
  record.action = stmt.ColumnText(3);
  record.org = stmt.ColumnText(4);
  record.content = stmt.ColumnText(5);
  record.prev_hash = stmt.ColumnText(6);
  record.hash = stmt.ColumnText(7);
  return record;
}

// Calls `visit` for each record with seq > after and time_ms >= since_ms in seq order, a page at
// a time so that the database lock is not held across the whole log. `visit` returns false to
// stop.
Status ForEachRecord(Database& db, int64_t since_ms,
                     const std::function<Result<bool>(const AuditRecord&)>& visit) {
  int64_t after = std::numeric_limits<int64_t>::min();
  for (;;) {
    std::vector<AuditRecord> page;
    {
      LOCAI_ASSIGN_OR_RETURN(Statement stmt,
                             Query(db,
                                   std::string(kRecordColumns) +
                                       " WHERE seq > ?1 AND time_ms >= ?2 ORDER BY seq LIMIT ?3",
                                   after, since_ms, kPageSize));
      for (;;) {
        LOCAI_ASSIGN_OR_RETURN(bool row, stmt.Step());
        if (!row) break;
        page.push_back(ReadRecord(stmt));
      }
    }
    for (const AuditRecord& record : page) {
      LOCAI_ASSIGN_OR_RETURN(bool more, visit(record));
      if (!more) return Status::Ok();
    }
    if (static_cast<int64_t>(page.size()) < kPageSize) return Status::Ok();
    after = page.back().seq;
  }
}

Result<std::optional<ChainHead>> LastRecord(Database& db) {
  LOCAI_ASSIGN_OR_RETURN(
      Statement stmt, db.Prepare("SELECT seq, hash FROM audit_records ORDER BY seq DESC LIMIT 1"));
  LOCAI_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return std::optional<ChainHead>();
  return std::optional<ChainHead>(ChainHead{stmt.ColumnInt64(0), stmt.ColumnText(1)});
}

}  // namespace

Result<std::unique_ptr<AuditLog>> AuditLog::Open(Database& db, AuditLogOptions options) {
  if (!options.now_ms) return Err(Status::InvalidArgument("audit: no clock"));
  if (options.head_path.empty()) return Err(Status::InvalidArgument("audit: no head file path"));
  LOCAI_ASSIGN_OR_RETURN(std::string public_key,
                         crypto::Ed25519PublicFromPrivate(options.signing_key));
  LOCAI_RETURN_IF_ERROR(store::Migrate(db, "audit", kAuditSteps));
  LOCAI_ASSIGN_OR_RETURN(std::optional<ChainHead> file_head, HeadFile::ReadLast(options.head_path));
  LOCAI_ASSIGN_OR_RETURN(std::unique_ptr<HeadFile> head_file, HeadFile::Open(options.head_path));
  LOCAI_ASSIGN_OR_RETURN(std::optional<ChainHead> db_head, LastRecord(db));
  // Say so at once when the database and the head file disagree; Verify() names the record.
  bool agree =
      (!file_head && !db_head) ||
      (file_head && db_head && file_head->seq == db_head->seq && file_head->hash == db_head->hash);
  if (!agree && options.log) {
    options.log("audit: WARNING: the database's chain head (seq " +
                std::to_string(db_head ? db_head->seq : 0) + ") does not match the head file " +
                options.head_path + " (seq " + std::to_string(file_head ? file_head->seq : 0) +
                "); run `locai audit verify`");
  }
  return std::unique_ptr<AuditLog>(
      new AuditLog(db, std::move(options), std::move(public_key), std::move(head_file)));
}

Result<AuditRecord> AuditLog::AppendLocked(const AuditEvent& event, int64_t time_ms,
                                           std::optional<ChainHead> known_prev,
                                           std::vector<ChainHead>* pending_heads) {
  ChainHead prev{0, std::string(kGenesisHash)};
  std::optional<ChainHead> last = std::move(known_prev);
  if (!last) {
    LOCAI_ASSIGN_OR_RETURN(last, LastRecord(db_));
  }
  if (last) {
    prev = *last;
  } else {
    // Everything was removed by retention (or nothing written yet): continue from the checkpoint.
    LOCAI_ASSIGN_OR_RETURN(Statement stmt, db_.Prepare("SELECT through_seq, through_hash FROM"
                                                       " audit_checkpoints ORDER BY through_seq"
                                                       " DESC LIMIT 1"));
    LOCAI_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (row) prev = ChainHead{stmt.ColumnInt64(0), stmt.ColumnText(1)};
  }
  AuditRecord record;
  record.seq = prev.seq + 1;
  record.time_ms = time_ms;
  record.kind = event.kind;
  record.action = event.action;
  record.org = event.org;
  LOCAI_ASSIGN_OR_RETURN(record.content, CanonicalContent(event, record.seq, time_ms));
  record.prev_hash = prev.hash;
  record.hash = ChainHash(record.prev_hash, record.content);
  {
    LOCAI_ASSIGN_OR_RETURN(
        Statement insert,
        Query(db_,
              "INSERT INTO audit_records(seq, time_ms, org, kind, action, content, prev_hash,"
              " hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
              record.seq, record.time_ms, std::string_view(record.org),
              std::string_view(record.kind), std::string_view(record.action),
              std::string_view(record.content), std::string_view(record.prev_hash),
              std::string_view(record.hash)));
    LOCAI_RETURN_IF_ERROR(insert.Run());
  }
  if (event.prompt_text || event.completion_text) {
    LOCAI_ASSIGN_OR_RETURN(Statement insert,
                           Query(db_,
                                 "INSERT INTO audit_content(seq, org, time_ms, prompt, completion)"
                                 " VALUES (?1, ?2, ?3, ?4, ?5)",
                                 record.seq, std::string_view(record.org), record.time_ms,
                                 std::string_view(event.prompt_text.value_or("")),
                                 std::string_view(event.completion_text.value_or(""))));
    LOCAI_RETURN_IF_ERROR(insert.Run());
  }
  // The head goes out before the commit: a failed write aborts the append; a crash after it leaves
  // the file one record ahead, which Verify reports rather than hides.
  if (pending_heads) {
    pending_heads->push_back(ChainHead{record.seq, record.hash});
  } else {
    LOCAI_RETURN_IF_ERROR(head_file_->Append(record.seq, record.hash));
  }
  return record;
}

Result<std::vector<Result<AuditRecord>>> AuditLog::AppendAll(
    const std::vector<AuditEvent>& events) {
  std::vector<Result<AuditRecord>> results;
  results.reserve(events.size());
  for (const AuditEvent& event : events) {
    Status valid = event.kind == "checkpoint" ? Status::InvalidArgument(
                                                    "audit: checkpoint records are written by "
                                                    "retention only")
                                              : ValidateEvent(event);
    if (valid.ok()) {
      results.emplace_back(AuditRecord{});
    } else {
      results.emplace_back(Err(valid));
    }
  }
  std::lock_guard lock(mu_);
  LOCAI_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_));
  const int64_t now = options_.now_ms();
  std::vector<ChainHead> heads;
  std::optional<ChainHead> prev;
  for (size_t i = 0; i < events.size(); ++i) {
    if (!results[i]) continue;
    LOCAI_ASSIGN_OR_RETURN(AuditRecord record, AppendLocked(events[i], now, prev, &heads));
    prev = ChainHead{record.seq, record.hash};
    results[i] = std::move(record);
  }
  // As in Append: the heads go out (one write, one fsync) before the commit.
  LOCAI_RETURN_IF_ERROR(head_file_->AppendAll(heads));
  LOCAI_RETURN_IF_ERROR(tx.Commit());
  if (options_.log && prev) {
    options_.log("audit head seq=" + std::to_string(prev->seq) + " hash=" + prev->hash);
  }
  return results;
}

Result<AuditRecord> AuditLog::Append(const AuditEvent& event) {
  if (event.kind == "checkpoint") {
    return Err(Status::InvalidArgument("audit: checkpoint records are written by retention only"));
  }
  LOCAI_RETURN_IF_ERROR(ValidateEvent(event));
  std::lock_guard lock(mu_);
  LOCAI_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_));
  LOCAI_ASSIGN_OR_RETURN(AuditRecord record, AppendLocked(event, options_.now_ms()));
  LOCAI_RETURN_IF_ERROR(tx.Commit());
  if (options_.log) {
    options_.log("audit head seq=" + std::to_string(record.seq) + " hash=" + record.hash);
  }
  return record;
}

Result<VerifyReport> AuditLog::Verify() {
  std::lock_guard lock(mu_);  // no append between reading the records and the head file
  std::map<int64_t, std::string> checkpoints;
  std::vector<int64_t> forged;
  {
    LOCAI_ASSIGN_OR_RETURN(Statement stmt,
                           db_.Prepare("SELECT through_seq, through_hash, signature FROM"
                                       " audit_checkpoints ORDER BY through_seq"));
    for (;;) {
      LOCAI_ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) break;
      int64_t seq = stmt.ColumnInt64(0);
      std::string hash = stmt.ColumnText(1);
      if (crypto::Ed25519Verify(public_key_, CheckpointMessage(seq, hash),
                                Unhex(stmt.ColumnText(2)))) {
        checkpoints[seq] = hash;
      } else {
        forged.push_back(seq);
      }
    }
  }
  LOCAI_ASSIGN_OR_RETURN(HeadFileScan scan, HeadFile::Scan(options_.head_path));
  ChainVerifier verifier(std::move(checkpoints), scan.last);
  LOCAI_RETURN_IF_ERROR(ForEachRecord(
      db_, std::numeric_limits<int64_t>::min(),
      [&](const AuditRecord& record) -> Result<bool> { return verifier.Add(record); }));
  VerifyReport report = verifier.Finish();
  if (scan.rewound_at) {
    std::string note = "the head file goes back to record " + std::to_string(*scan.rewound_at) +
                       ": an older copy of the database was restored and appended to";
    if (report.ok) {
      report.ok = false;
      report.problem = "rolled_back";
      report.first_bad_seq = *scan.rewound_at;
      report.message = note;
    } else {
      report.message += " (also: " + note + ")";
    }
  }
  if (!forged.empty()) {
    std::string note = "the retention checkpoint through record " + std::to_string(forged[0]) +
                       " has a bad signature";
    if (report.ok) {
      report.ok = false;
      report.problem = "bad_checkpoint";
      report.first_bad_seq = forged[0];
      report.message = note;
    } else {
      report.message += " (also: " + note + ")";
    }
  }
  return report;
}

Status AuditLog::Export(int64_t since_ms, std::string_view format,
                        const std::function<Status(std::string_view line)>& sink) {
  if (format != "jsonl") {
    return Status::InvalidArgument("audit export: format must be jsonl, got '" +
                                   std::string(format) + "'");
  }
  Status sink_status;
  LOCAI_RETURN_IF_ERROR(
      ForEachRecord(db_, since_ms, [&](const AuditRecord& record) -> Result<bool> {
        json line = json::parse(record.content, nullptr, false);
        if (line.is_discarded() || !line.is_object()) {
          line = json{{"seq", record.seq}, {"error", "stored content is not a JSON object"}};
        }
        line["prev_hash"] = record.prev_hash;
        line["hash"] = record.hash;
        sink_status = sink(line.dump(-1, ' ', false, json::error_handler_t::replace));
        return sink_status.ok();
      }));
  return sink_status;
}

Status AuditLog::Export(int64_t since_ms, std::string_view format, std::ostream& out) {
  return Export(since_ms, format, [&out](std::string_view line) {
    out << line << '\n';
    return out ? Status::Ok() : Status::Internal("audit export: write failed");
  });
}

Result<size_t> AuditLog::ApplyRetention(int64_t max_age_ms) {
  if (max_age_ms < 0) return Err(Status::InvalidArgument("audit retention: negative age"));
  std::lock_guard lock(mu_);
  const int64_t now = options_.now_ms();
  const int64_t cutoff = now - max_age_ms;
  LOCAI_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_));
  int64_t first = 0;
  int64_t through = 0;
  {
    // The removable prefix ends before the first record young enough to keep.
    LOCAI_ASSIGN_OR_RETURN(Statement stmt,
                           Query(db_,
                                 "SELECT MIN(seq), MAX(seq), (SELECT MIN(seq) FROM audit_records"
                                 " WHERE time_ms >= ?1) FROM audit_records",
                                 cutoff));
    LOCAI_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row || stmt.ColumnIsNull(0)) return size_t{0};
    first = stmt.ColumnInt64(0);
    through = stmt.ColumnIsNull(2) ? stmt.ColumnInt64(1) : stmt.ColumnInt64(2) - 1;
  }
  if (through < first) return size_t{0};
  std::string through_hash;
  {
    LOCAI_ASSIGN_OR_RETURN(Statement stmt,
                           Query(db_, "SELECT hash FROM audit_records WHERE seq = ?1", through));
    LOCAI_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return Err(Status::Internal("audit retention: record vanished"));
    through_hash = stmt.ColumnText(0);
  }
  LOCAI_ASSIGN_OR_RETURN(
      std::string signature,
      crypto::Ed25519Sign(options_.signing_key, CheckpointMessage(through, through_hash)));
  {
    LOCAI_ASSIGN_OR_RETURN(
        Statement insert,
        Query(db_,
              "INSERT INTO audit_checkpoints(through_seq, through_hash,"
              " created_ms, public_key, signature) VALUES (?1, ?2, ?3, ?4, ?5)",
              through, std::string_view(through_hash), now, std::string_view(Hex(public_key_)),
              std::string_view(Hex(signature))));
    LOCAI_RETURN_IF_ERROR(insert.Run());
  }
  int64_t removed = 0;
  {
    LOCAI_ASSIGN_OR_RETURN(Statement del,
                           Query(db_, "DELETE FROM audit_records WHERE seq <= ?1", through));
    LOCAI_RETURN_IF_ERROR(del.Run());
    removed = db_.Changes();
  }
  {
    LOCAI_ASSIGN_OR_RETURN(Statement del,
                           Query(db_, "DELETE FROM audit_content WHERE seq <= ?1", through));
    LOCAI_RETURN_IF_ERROR(del.Run());
  }
  AuditEvent checkpoint;
  checkpoint.kind = "checkpoint";
  checkpoint.action = "audit.retention";
  checkpoint.org = "system";
  checkpoint.details_json =
      json{
          {"through_seq", through}, {"through_hash", through_hash},   {"removed", removed},
          {"cutoff_ms", cutoff},    {"public_key", Hex(public_key_)}, {"signature", Hex(signature)}}
          .dump();
  LOCAI_ASSIGN_OR_RETURN(AuditRecord record, AppendLocked(checkpoint, now));
  LOCAI_RETURN_IF_ERROR(tx.Commit());
  if (options_.log) {
    options_.log("audit retention removed records " + std::to_string(first) + ".." +
                 std::to_string(through) + "; head seq=" + std::to_string(record.seq) +
                 " hash=" + record.hash);
  }
  return static_cast<size_t>(removed);
}

Result<size_t> AuditLog::ApplyContentRetention(int64_t max_age_ms) {
  if (max_age_ms < 0) return Err(Status::InvalidArgument("audit retention: negative age"));
  const int64_t cutoff = options_.now_ms() - max_age_ms;
  LOCAI_ASSIGN_OR_RETURN(Statement del,
                         Query(db_, "DELETE FROM audit_content WHERE time_ms < ?1", cutoff));
  LOCAI_RETURN_IF_ERROR(del.Run());
  return static_cast<size_t>(db_.Changes());
}

Result<size_t> AuditLog::ApplyContentRetention(std::string_view org, int64_t max_age_ms) {
  if (max_age_ms < 0) return Err(Status::InvalidArgument("audit retention: negative age"));
  const int64_t cutoff = options_.now_ms() - max_age_ms;
  LOCAI_ASSIGN_OR_RETURN(
      Statement del,
      Query(db_, "DELETE FROM audit_content WHERE org = ?1 AND time_ms < ?2", org, cutoff));
  LOCAI_RETURN_IF_ERROR(del.Run());
  return static_cast<size_t>(db_.Changes());
}

Result<std::optional<CapturedContent>> AuditLog::Content(int64_t seq) {
  LOCAI_ASSIGN_OR_RETURN(Statement stmt,
                         Query(db_,
                               "SELECT org, time_ms, prompt, completion FROM audit_content"
                               " WHERE seq = ?1",
                               seq));
  LOCAI_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return std::optional<CapturedContent>();
  return std::optional<CapturedContent>(CapturedContent{
      seq, stmt.ColumnText(0), stmt.ColumnInt64(1), stmt.ColumnText(2), stmt.ColumnText(3)});
}

Result<std::optional<ChainHead>> AuditLog::Head() { return LastRecord(db_); }

}  // namespace locai::control::audit

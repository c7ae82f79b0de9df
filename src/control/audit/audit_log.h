// AuditLog: the append-only, tamper-evident audit log of one control plane (docs/audit-log.md).
//
// Records live in the store's SQLite database (tables audit_records, audit_checkpoints,
// audit_content; migrations component "audit"); each record is hash-chained to the one before
// (audit_record.h). After every append the new chain head "<seq> <hash>" is written to the head
// file beside the database (fsynced, before the transaction commits) and passed to `log`, so
// cutting records off the end or restoring an older copy of the database is caught by Verify().
//
// Retention removes the oldest records and leaves a checkpoint signed with the server's Ed25519
// key (seq and hash of the last removed record), plus a chained "checkpoint" record saying so,
// so that the remaining chain still verifies. Prompt and completion text (only when the caller
// passes it, i.e. the organisation turned capture on) go to audit_content, outside the chain,
// with their own retention.
//
// SQL triggers refuse UPDATE of audit records and DELETE of records no checkpoint covers, so a
// mistaken statement cannot rewrite history; someone with the file can drop them, which is what
// the chain is for.
//
// Threading: Append, ApplyRetention and the readers may be called from any thread; appends are
// serialised by an internal mutex (and the Database's lock). Use one AuditLog per database file
// and process. The Database must outlive the AuditLog.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "control/audit/audit_record.h"
#include "control/audit/chain_verifier.h"
#include "control/audit/head_file.h"
#include "store/sqlite/database.h"

namespace locai::control::audit {

struct AuditLogOptions {
  std::string head_path;    // e.g. <data>/server/audit.head
  std::string signing_key;  // Ed25519 private key, 32 raw bytes (signs retention checkpoints)
  std::function<int64_t()> now_ms;            // the clock (unix ms); required
  std::function<void(std::string_view)> log;  // optional: gets "audit head seq=N hash=H"
};

// Captured conversation text of one inference record.
struct CapturedContent {
  int64_t seq = 0;
  std::string org;
  int64_t time_ms = 0;
  std::string prompt;
  std::string completion;
};

class AuditLog {
 public:
  // Applies the "audit" migrations and opens the head file. InvalidArgument when the clock is
  // missing or the signing key is not 32 bytes; Internal when the head file cannot be opened.
  static Result<std::unique_ptr<AuditLog>> Open(store::Database& db, AuditLogOptions options);

  // Appends one record (kind "admin" or "inference"; see ValidateEvent for what is refused) at the
  // clock's now. On success the record is committed and its head written; on failure nothing is.
  Result<AuditRecord> Append(const AuditEvent& event);
  // Appends several records in one transaction with one head file write and fsync (what a busy
  // writer does instead of one Append per record). An event that ValidateEvent refuses is skipped
  // and its error is in its slot; the others are appended in order. An error of the database or
  // the head file fails the whole batch (nothing appended).
  Result<std::vector<Result<AuditRecord>>> AppendAll(const std::vector<AuditEvent>& events);

  // Checks the whole chain against the checkpoints and the head file (chain_verifier.h). Returns
  // a report (ok or the first bad record); an error only when the database cannot be read.
  Result<VerifyReport> Verify();

  // Writes the records with time_ms >= since_ms, in seq order, one JSON object per line: the
  // record's content plus "prev_hash" and "hash". `format` must be "jsonl" (InvalidArgument
  // otherwise). The sink's first error stops the export and is returned.
  Status Export(int64_t since_ms, std::string_view format,
                const std::function<Status(std::string_view line)>& sink);
  Status Export(int64_t since_ms, std::string_view format, std::ostream& out);

  // Removes records older than now - max_age_ms (a prefix of the chain), records a signed
  // checkpoint for the last removed one and appends a "checkpoint" record. Returns how many
  // records were removed (0: nothing old enough; no checkpoint then).
  Result<size_t> ApplyRetention(int64_t max_age_ms);

  // Captured text older than now - max_age_ms is deleted; returns how many were.
  Result<size_t> ApplyContentRetention(int64_t max_age_ms);
  // The same for the captured text of one organisation (each keeps its own period).
  Result<size_t> ApplyContentRetention(std::string_view org, int64_t max_age_ms);
  // The captured text of record `seq`; nullopt when none was captured or it expired.
  Result<std::optional<CapturedContent>> Content(int64_t seq);

  // The latest record's seq and hash (nullopt when the log is empty).
  Result<std::optional<ChainHead>> Head();

  // The Ed25519 public key (32 raw bytes) that verifies checkpoints.
  const std::string& public_key() const { return public_key_; }

 private:
  AuditLog(store::Database& db, AuditLogOptions options, std::string public_key,
           std::unique_ptr<HeadFile> head_file)
      : db_(db),
        options_(std::move(options)),
        public_key_(std::move(public_key)),
        head_file_(std::move(head_file)) {}

  // Inserts the record for `event` at `time_ms` after `prev` (nullopt: read the last one) and
  // writes the head, or adds it to `pending_heads` when given; the caller holds mu_ and an open
  // transaction.
  Result<AuditRecord> AppendLocked(const AuditEvent& event, int64_t time_ms,
                                   std::optional<ChainHead> prev = std::nullopt,
                                   std::vector<ChainHead>* pending_heads = nullptr);

  store::Database& db_;
  const AuditLogOptions options_;
  const std::string public_key_;
  std::mutex mu_;                        // serialises appends, retention and head file writes
  std::unique_ptr<HeadFile> head_file_;  // guarded by mu_
};

}  // namespace locai::control::audit

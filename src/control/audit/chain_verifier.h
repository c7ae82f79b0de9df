// ChainVerifier: checks a sequence of stored audit records against the hash chain, the signed
// retention checkpoints and the head file's last line, and names the first bad record.
//
// Feed records in ascending seq order with Add() (it returns false at the first problem; stop
// then), then call Finish(). Problems, by the record they name (first_bad_seq):
//   "changed"      a record's content, hash or columns no longer match (or a record's hash was
//                  recomputed, caught by its successor's prev_hash: the edited record is named);
//   "missing"      a gap in seq (records deleted), or records before the first one with neither
//                  seq 1 nor a signed checkpoint for them: the first absent seq is named;
//   "reordered"    a record stored at seq N whose content says another seq;
//   "truncated"    the chain ends before the head file's last seq (records cut off the end, or an
//                  older copy of the database restored): the first absent seq is named;
//   "rolled_back"  the record at the head file's seq has another hash (the database was replaced
//                  by a different history);
//   "head_behind"  records after the head file's last seq (appended without the log, or the head
//                  file replaced by an older copy): the first unconfirmed seq is named;
//   "head_missing" records but no head file line.
// Threading: confined to one thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "control/audit/audit_record.h"
#include "control/audit/head_file.h"

namespace locai::control::audit {

struct VerifyReport {
  bool ok = true;
  int64_t records_checked = 0;
  int64_t first_seq = 0;  // range of records found (0 when none)
  int64_t last_seq = 0;
  int64_t head_seq = 0;  // the head file's last seq (0 when none)
  std::string problem;   // empty when ok; else one of the names above (or "bad_checkpoint")
  int64_t first_bad_seq = 0;
  std::string message;  // human-readable, names the seq and what is wrong
};

class ChainVerifier {
 public:
  // `checkpoints`: through_seq -> hash of that record, for checkpoints whose signature verified.
  ChainVerifier(std::map<int64_t, std::string> checkpoints, std::optional<ChainHead> head);

  bool Add(const AuditRecord& record);
  VerifyReport Finish();

 private:
  bool Fail(std::string problem, int64_t seq, std::string message);

  std::map<int64_t, std::string> checkpoints_;
  std::optional<ChainHead> head_;
  VerifyReport report_;
  bool failed_ = false;
  int64_t expected_seq_ = 0;  // 0 before the first record
  std::string prev_hash_;
};

}  // namespace locai::control::audit

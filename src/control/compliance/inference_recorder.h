// InferenceRecorder: the per-request half of the audit log and metering. Record() is called by
// the gateway (ControlHooks::inference) once per inference request; it only copies the record onto
// a queue, so the request path pays a lock and a move (well under the gateway's 1 ms p99 budget).
// One writer thread drains the queue in order, in batches of up to 512 records (one audit
// transaction and one head file fsync per batch), and for each record
//   - appends one audit record, kind "inference", action "inference.request", with request id,
//     organisation, actor, model, route, node or provider, tokens, duration, status and PII counts
//     in the chained content and endpoint, error, arrival time and cloud bytes in its details
//     (ToAuditEvent); prompt and completion text only go to the separate content table
//     (audit_content, own retention) and only when `capture(org)` still says yes when the record is
//     written (a switch turned off meanwhile drops the text);
//   - meters the request by route (UsageMeter::RecordRequest; a refused request, route "", is
//     audited but not metered) and cloud egress (bytes sent + received, kind "cloud", kept apart
//     from the registry's egress).
// A failed write is logged and the record is not retried (the request has already been answered).
// The queue holds at most `max_queued` records; past that Record() blocks until the writer catches
// up (back-pressure rather than losing audit records). Flush() waits until everything queued so far
// is written; the destructor flushes and joins the writer.
// Threading: Record and Flush may be called from any thread; the AuditLog and UsageMeter must
// outlive the recorder.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "control/audit/audit_log.h"
#include "control/metering/usage_meter.h"
#include "control/server/hooks.h"

namespace locai::control::compliance {

inline constexpr std::string_view kInferenceAction = "inference.request";

// The audit event for `record`; text is copied only when `keep_text`. An empty organisation is
// recorded as "unknown" (the audit log requires one); an error message is cut to 512 bytes.
audit::AuditEvent ToAuditEvent(const InferenceRecord& record, bool keep_text);

struct InferenceRecorderOptions {
  std::function<bool(const std::string& org_id)> capture;  // required: prompt capture switch
  std::function<int64_t()> now_ms;                         // required: metering month
  std::function<void(std::string_view line)> log;          // required
  size_t max_queued = 65536;
};

class InferenceRecorder {
 public:
  InferenceRecorder(audit::AuditLog& audit, metering::UsageMeter& meter,
                    InferenceRecorderOptions options);
  ~InferenceRecorder();
  InferenceRecorder(const InferenceRecorder&) = delete;
  InferenceRecorder& operator=(const InferenceRecorder&) = delete;

  void Record(const InferenceRecord& record);
  void Flush();

  // Records written (or failed) so far, for tests and the log.
  uint64_t written() const;
  uint64_t failed() const;

 private:
  void WriterLoop();
  // Writes a batch (one audit transaction, metering summed per organisation and route); returns
  // how many records could not be audited (each logged). Metering failures are logged.
  uint64_t WriteBatch(const std::vector<InferenceRecord>& batch);

  audit::AuditLog& audit_;
  metering::UsageMeter& meter_;
  const InferenceRecorderOptions options_;

  mutable std::mutex mu_;
  std::condition_variable queued_cv_;   // writer waits for work or stop
  std::condition_variable drained_cv_;  // producers wait for room, Flush for completion
  std::deque<InferenceRecord> queue_;   // guarded by mu_
  uint64_t enqueued_ = 0;               // guarded by mu_
  uint64_t done_ = 0;                   // guarded by mu_: written + failed
  uint64_t failed_ = 0;                 // guarded by mu_
  bool stopping_ = false;               // guarded by mu_
  std::thread writer_;                  // last: starts after the state above exists
};

}  // namespace locai::control::compliance

// UsageMeter: per-organisation usage of end nodes, registry storage, egress and requests, kept in
// the store's SQLite database (tables metering_*, migrations component "metering"), so figures
// survive restarts.
//
// What is recorded (all at the time `now_ms` the caller passes, from its injected clock):
//   RecordNodeSeen     a node connected or sent a heartbeat: one node-day per node per UTC day;
//                      a node seen in a month is active in that month.
//   RecordStorage      the organisation now holds `total_bytes` in the registry (distinct blobs,
//                      deduplicated by the caller). The bytes held since the previous call are
//                      integrated (byte-milliseconds, exact 128-bit) into the months they span.
//   RecordEgress       bytes sent by the registry to nodes ("registry") or exchanged with a cloud
//                      provider on fallback ("cloud"), per month, kept apart.
//   RecordRequest      one inference request by route ("local" | "node" | "cloud") with tokens.
// Usage() reads a month back, counting the storage held since the last change up to the clock's
// now (or the month's end), so a model kept for half the month counts half a GB-month.
//
// A clock that goes backwards never integrates negative time: the span is counted as zero.
// Errors: InvalidArgument for a bad kind/route/month, negative bytes or tokens, an empty org;
// database errors as store::Database reports them (Unavailable when the write lock is busy).
// Threading: safe to share between threads (every call is one transaction on the Database,
// which serialises them); the Database must outlive the UsageMeter.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>

#include "common/status.h"
#include "control/metering/bill.h"
#include "control/metering/plans.h"
#include "store/sqlite/database.h"

namespace locai::control::metering {

class UsageMeter {
 public:
  // Applies the "metering" migrations to `db`. `now_ms` is the clock Usage() and CheckEgress()
  // read.
  static Result<std::unique_ptr<UsageMeter>> Open(store::Database& db,
                                                  std::function<int64_t()> now_ms);

  Status RecordNodeSeen(std::string_view org, std::string_view node_id, int64_t now_ms);
  Status RecordStorage(std::string_view org, int64_t total_bytes, int64_t now_ms);
  Status RecordEgress(std::string_view org, std::string_view kind, int64_t bytes, int64_t now_ms);
  Status RecordRequest(std::string_view org, std::string_view route, int64_t tokens_in,
                       int64_t tokens_out, int64_t now_ms);
  // `requests` requests at once with their tokens summed (a batch of RecordRequest).
  Status RecordRequests(std::string_view org, std::string_view route, int64_t requests,
                        int64_t tokens_in, int64_t tokens_out, int64_t now_ms);

  // Usage of `month` ("2026-11") as of the clock's now. A month with nothing recorded is all zero.
  Result<MonthUsage> Usage(std::string_view org, std::string_view month) const;
  // Usage() of the month the clock is in.
  Result<MonthUsage> CurrentUsage(std::string_view org) const;

  // OK when a registry download of `bytes` now fits the plan's egress limit for this month (no
  // limit, or the plan bills overage), else the plan_limit_exceeded error (bill.h). Read only.
  Status CheckEgress(std::string_view org, const Plan& plan, int64_t bytes) const;
  // CheckEgress and RecordEgress(org, "registry", bytes, now_ms) in one transaction: of two
  // downloads racing for the last of the quota exactly one is charged, the other refused with
  // nothing recorded.
  Status ChargeEgress(std::string_view org, const Plan& plan, int64_t bytes, int64_t now_ms);

 private:
  UsageMeter(store::Database& db, std::function<int64_t()> now_ms)
      : db_(db), now_ms_(std::move(now_ms)) {}

  Result<int64_t> RegistryEgressInMonth(std::string_view org, std::string_view month) const;

  store::Database& db_;
  std::function<int64_t()> now_ms_;
};

}  // namespace locai::control::metering

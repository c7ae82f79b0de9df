// ThresholdLog: the plan warnings at 80 % and 100 % of a limit (nodes, registry, egress), logged
// once per organisation, resource, threshold and calendar month. Which warnings were logged is kept
// in compliance_warnings (migrations component "compliance"), so a restart does not log them again.
// The current warnings are also in the usage report (GET /v1/admin/usage, "warnings").
//
// LogNew(org, ...) takes the warnings metering::ThresholdWarnings computed for the month and logs
// each one not logged before as
//   "plan warning: org <name> (<id>) <month>: <message>"
// A 100 % warning also marks 80 % as logged (a month that jumps past both logs one line).
// Returns the warnings that were logged now.
// Threading: any thread (each warning is one INSERT ... ON CONFLICT DO NOTHING on the Database,
// so two threads crossing together log it once). The Database must outlive this object.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "control/metering/bill.h"
#include "store/sqlite/database.h"

namespace locai::control::compliance {

class ThresholdLog {
 public:
  ThresholdLog(store::Database& db, std::function<void(std::string_view)> log)
      : db_(db), log_(std::move(log)) {}

  Result<std::vector<metering::ThresholdWarning>> LogNew(
      const std::string& org_id, const std::string& org_name, const std::string& month,
      const std::vector<metering::ThresholdWarning>& warnings, int64_t now_ms);

 private:
  // True when the row was new.
  Result<bool> Mark(const std::string& org_id, const std::string& month,
                    const std::string& resource, int percent, int64_t now_ms);

  store::Database& db_;
  std::function<void(std::string_view)> log_;
};

}  // namespace locai::control::compliance

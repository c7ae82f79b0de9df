// ComplianceSettings: the switches an administrator sets for the audit log, kept in the store's
// database (tables compliance_prompt_capture and compliance_settings, migrations component
// "compliance") and cached in memory.
//
//   PromptCapture(org)   whether the organisation keeps prompt and completion text (off unless
//                        turned on) and for how many days that text is kept (default 30).
//   AuditRetentionDays   how long audit records are kept, for the whole installation (default
//                        365); the retention thread removes older ones with a signed checkpoint.
//
// Reads are served from the cache (one mutex, no database access after the first read of an
// organisation), so PromptCapture can be asked on every inference request. A Set writes the row
// first and then replaces the cached value, so a reader sees the old or the new setting, never a
// value that is not stored. Only this object writes the rows; a change made to the database by
// someone else is seen after a restart (or InvalidateCache()).
// Errors: InvalidArgument for an empty organisation or days outside 1..36500; database errors as
// store::Database reports them. A read that fails reports capture off (the safe default).
// Threading: every method may be called from any thread. The Database must outlive this object.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "store/sqlite/database.h"

namespace locai::control::compliance {

inline constexpr int64_t kDefaultPromptRetentionDays = 30;
inline constexpr int64_t kDefaultAuditRetentionDays = 365;
inline constexpr int64_t kMaxRetentionDays = 36500;

struct PromptCaptureSetting {
  bool enabled = false;
  int64_t retention_days = kDefaultPromptRetentionDays;
  int64_t updated_ms = 0;  // 0: never set
};

class ComplianceSettings {
 public:
  static Result<std::unique_ptr<ComplianceSettings>> Open(store::Database& db);

  // The organisation's setting (the default, capture off, when never set).
  Result<PromptCaptureSetting> PromptCapture(const std::string& org_id);
  // Just the switch; false when the setting cannot be read.
  bool CapturePrompts(const std::string& org_id);
  // Stores the setting; `retention_days` nullopt keeps the current (or default) period.
  Result<PromptCaptureSetting> SetPromptCapture(const std::string& org_id, bool enabled,
                                                std::optional<int64_t> retention_days,
                                                int64_t now_ms);
  // Every organisation with a stored setting (capture on or off): whose captured text to expire.
  Result<std::map<std::string, PromptCaptureSetting>> AllPromptCapture();

  Result<int64_t> AuditRetentionDays();
  Status SetAuditRetentionDays(int64_t days);

  // Forgets the cached values; the next read goes to the database.
  void InvalidateCache();

 private:
  explicit ComplianceSettings(store::Database& db) : db_(db) {}

  store::Database& db_;
  std::mutex mu_;
  std::map<std::string, PromptCaptureSetting> capture_;  // guarded by mu_
  std::optional<int64_t> audit_retention_days_;          // guarded by mu_
};

// InvalidArgument unless 1 <= days <= kMaxRetentionDays.
Status CheckRetentionDays(int64_t days);

}  // namespace locai::control::compliance

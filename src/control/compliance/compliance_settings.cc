#include "control/compliance/compliance_settings.h"

#include "control/compliance/plan_assignment.h"
#include "store/sqlite/migrate.h"

namespace locai::control::compliance {
namespace {

constexpr std::string_view kAuditRetentionName = "audit_retention_days";

}  // namespace

Status CheckRetentionDays(int64_t days) {
  if (days < 1 || days > kMaxRetentionDays) {
    return Status::InvalidArgument("retention must be 1 to " + std::to_string(kMaxRetentionDays) +
                                   " days, got " + std::to_string(days));
  }
  return Status::Ok();
}

Result<std::unique_ptr<ComplianceSettings>> ComplianceSettings::Open(store::Database& db) {
  LOCAI_RETURN_IF_ERROR(store::Migrate(db, "compliance", ComplianceMigrations()));
  return std::unique_ptr<ComplianceSettings>(new ComplianceSettings(db));
}

Result<PromptCaptureSetting> ComplianceSettings::PromptCapture(const std::string& org_id) {
  if (org_id.empty()) return Err(Status::InvalidArgument("prompt capture: empty organisation"));
  {
    std::lock_guard lock(mu_);
    if (auto it = capture_.find(org_id); it != capture_.end()) return it->second;
  }
  PromptCaptureSetting setting;
  {
    LOCAI_ASSIGN_OR_RETURN(store::Statement read,
                           db_.Prepare("SELECT enabled, retention_days, updated_ms FROM"
                                       " compliance_prompt_capture WHERE org_id = ?1"));
    LOCAI_RETURN_IF_ERROR(read.BindText(1, org_id));
    LOCAI_ASSIGN_OR_RETURN(bool row, read.Step());
    if (row) {
      setting.enabled = read.ColumnInt64(0) != 0;
      setting.retention_days = read.ColumnInt64(1);
      setting.updated_ms = read.ColumnInt64(2);
    }
  }
  std::lock_guard lock(mu_);
  // A Set that ran meanwhile already put the newer value in the cache: keep it.
  return capture_.emplace(org_id, setting).first->second;
}

bool ComplianceSettings::CapturePrompts(const std::string& org_id) {
  auto setting = PromptCapture(org_id);
  return setting && setting->enabled;
}

Result<PromptCaptureSetting> ComplianceSettings::SetPromptCapture(
    const std::string& org_id, bool enabled, std::optional<int64_t> retention_days,
    int64_t now_ms) {
  if (retention_days) LOCAI_RETURN_IF_ERROR(CheckRetentionDays(*retention_days));
  LOCAI_ASSIGN_OR_RETURN(PromptCaptureSetting setting, PromptCapture(org_id));
  setting.enabled = enabled;
  if (retention_days) setting.retention_days = *retention_days;
  setting.updated_ms = now_ms;
  {
    LOCAI_ASSIGN_OR_RETURN(
        store::Statement write,
        db_.Prepare("INSERT INTO compliance_prompt_capture(org_id, enabled, retention_days,"
                    " updated_ms) VALUES (?1, ?2, ?3, ?4) ON CONFLICT(org_id) DO UPDATE SET"
                    " enabled = excluded.enabled, retention_days = excluded.retention_days,"
                    " updated_ms = excluded.updated_ms"));
    LOCAI_RETURN_IF_ERROR(write.BindText(1, org_id));
    LOCAI_RETURN_IF_ERROR(write.BindInt64(2, enabled ? 1 : 0));
    LOCAI_RETURN_IF_ERROR(write.BindInt64(3, setting.retention_days));
    LOCAI_RETURN_IF_ERROR(write.BindInt64(4, now_ms));
    LOCAI_RETURN_IF_ERROR(write.Run());
  }
  std::lock_guard lock(mu_);
  capture_[org_id] = setting;
  return setting;
}

Result<std::map<std::string, PromptCaptureSetting>> ComplianceSettings::AllPromptCapture() {
  std::map<std::string, PromptCaptureSetting> all;
  LOCAI_ASSIGN_OR_RETURN(store::Statement read,
                         db_.Prepare("SELECT org_id, enabled, retention_days, updated_ms FROM"
                                     " compliance_prompt_capture ORDER BY org_id"));
  for (;;) {
    LOCAI_ASSIGN_OR_RETURN(bool row, read.Step());
    if (!row) break;
    all[read.ColumnText(0)] =
        PromptCaptureSetting{read.ColumnInt64(1) != 0, read.ColumnInt64(2), read.ColumnInt64(3)};
  }
  return all;
}

Result<int64_t> ComplianceSettings::AuditRetentionDays() {
  {
    std::lock_guard lock(mu_);
    if (audit_retention_days_) return *audit_retention_days_;
  }
  int64_t days = kDefaultAuditRetentionDays;
  {
    LOCAI_ASSIGN_OR_RETURN(store::Statement read,
                           db_.Prepare("SELECT value FROM compliance_settings WHERE name = ?1"));
    LOCAI_RETURN_IF_ERROR(read.BindText(1, kAuditRetentionName));
    LOCAI_ASSIGN_OR_RETURN(bool row, read.Step());
    if (row) days = read.ColumnInt64(0);
  }
  std::lock_guard lock(mu_);
  if (!audit_retention_days_) audit_retention_days_ = days;
  return *audit_retention_days_;
}

Status ComplianceSettings::SetAuditRetentionDays(int64_t days) {
  LOCAI_RETURN_IF_ERROR(CheckRetentionDays(days));
  {
    LOCAI_ASSIGN_OR_RETURN(
        store::Statement write,
        db_.Prepare("INSERT INTO compliance_settings(name, value) VALUES (?1, ?2)"
                    " ON CONFLICT(name) DO UPDATE SET value = excluded.value"));
    LOCAI_RETURN_IF_ERROR(write.BindText(1, kAuditRetentionName));
    LOCAI_RETURN_IF_ERROR(write.BindInt64(2, days));
    LOCAI_RETURN_IF_ERROR(write.Run());
  }
  std::lock_guard lock(mu_);
  audit_retention_days_ = days;
  return Status::Ok();
}

void ComplianceSettings::InvalidateCache() {
  std::lock_guard lock(mu_);
  capture_.clear();
  audit_retention_days_.reset();
}

}  // namespace locai::control::compliance

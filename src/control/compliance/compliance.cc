#include "control/compliance/compliance.h"

#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <utility>

#include "control/compliance/audit_key.h"
#include "control/metering/bill.h"
#include "control/metering/calendar.h"
#include "control/metering/usage_report.h"

namespace locai::control::compliance {
namespace {

constexpr int64_t kDayMs = 86'400'000;

// The server's action names (hooks.h) against the audit log's (audit_record.h).
constexpr std::pair<std::string_view, std::string_view> kActionNames[] = {
    {"admin.key.create", "key.create"},
    {"admin.key.revoke", "key.revoke"},
    {"admin.org.create", "org.create"},
    {"admin.join_token.create", "join_token.create"},
    {"admin.join_token.revoke", "join_token.revoke"},
    {"registry.upload.start", "model.upload.start"},
    {"registry.upload.finish", "model.upload"},
    {"registry.tag.put", "model.push"},
    {"registry.tag.delete", "model.delete"},
};

std::string WithoutPrefix(std::string_view text, std::string_view prefix) {
  if (text.substr(0, prefix.size()) == prefix) text.remove_prefix(prefix.size());
  return std::string(text);
}

Result<std::string> ReadCatalogText(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::string(metering::DefaultPlansJson());
  std::ifstream in(path, std::ios::binary);
  if (!in) return Err(Status::Internal("cannot read " + path));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

std::string AuditActionFor(std::string_view server_action) {
  for (const auto& [server, audit] : kActionNames) {
    if (server == server_action) return std::string(audit);
  }
  return WithoutPrefix(server_action, "admin.");
}

Result<std::unique_ptr<Compliance>> Compliance::Open(store::Store& store, store::Database& db,
                                                     ComplianceOptions options) {
  if (options.data_dir.empty()) return Err(Status::InvalidArgument("a data directory is required"));
  if (!options.now_ms) return Err(Status::InvalidArgument("a clock is required"));
  const std::string server_dir = options.data_dir + "/server";
  const std::string plans_path = server_dir + "/plans.json";
  LOCAI_ASSIGN_OR_RETURN(std::string plans_text, ReadCatalogText(plans_path));
  auto catalog = metering::LoadPlanCatalog(plans_text);
  if (!catalog) {
    return Err(Status::InvalidArgument(plans_path + ": " + catalog.error().message()));
  }

  std::unique_ptr<Compliance> compliance(
      new Compliance(store, std::move(options), std::move(*catalog)));
  LOCAI_ASSIGN_OR_RETURN(compliance->plans_, PlanAssignment::Open(store, db, compliance->catalog_));
  LOCAI_ASSIGN_OR_RETURN(compliance->meter_,
                         metering::UsageMeter::Open(db, compliance->options_.now_ms));

  LOCAI_ASSIGN_OR_RETURN(std::string key, LoadOrCreateAuditKey(server_dir + "/audit.key"));
  audit::AuditLogOptions audit_options;
  audit_options.head_path = server_dir + "/audit.head";
  audit_options.signing_key = std::move(key);
  audit_options.now_ms = compliance->options_.now_ms;
  audit_options.log = [raw = compliance.get()](std::string_view line) { raw->Log(line); };
  LOCAI_ASSIGN_OR_RETURN(compliance->audit_, audit::AuditLog::Open(db, std::move(audit_options)));
  // Deleted rows (expired prompt text above all) are overwritten in the file, not left in free
  // pages.
  LOCAI_RETURN_IF_ERROR(db.Exec("PRAGMA secure_delete = ON"));
  LOCAI_ASSIGN_OR_RETURN(compliance->settings_, ComplianceSettings::Open(db));
  compliance->thresholds_ = std::make_unique<ThresholdLog>(
      db, [raw = compliance.get()](std::string_view line) { raw->Log(line); });

  InferenceRecorderOptions recorder_options;
  recorder_options.capture = [raw = compliance.get()](const std::string& org_id) {
    return raw->CapturePrompts(org_id);
  };
  recorder_options.now_ms = compliance->options_.now_ms;
  recorder_options.log = [raw = compliance.get()](std::string_view line) { raw->Log(line); };
  compliance->recorder_ = std::make_unique<InferenceRecorder>(
      *compliance->audit_, *compliance->meter_, std::move(recorder_options));

  const int64_t interval = compliance->options_.retention_interval_ms;
  if (interval >= 0) {
    compliance->retention_ = std::make_unique<PeriodicTask>(
        std::chrono::milliseconds(interval == 0 ? kDayMs : interval), [raw = compliance.get()] {
          if (auto run = raw->RunRetention(); !run) {
            raw->Log("audit: retention failed: " + run.error().ToString());
          }
        });
  }
  return compliance;
}

Compliance::~Compliance() {
  retention_.reset();
  recorder_.reset();  // writes what is queued
}

void Compliance::RecordInference(const InferenceRecord& record) { recorder_->Record(record); }

void Compliance::FlushInference() { recorder_->Flush(); }

bool Compliance::CapturePrompts(const std::string& org_id) {
  return settings_->CapturePrompts(org_id);
}

Result<RetentionRun> Compliance::RunRetention() {
  RetentionRun run;
  LOCAI_ASSIGN_OR_RETURN(int64_t days, settings_->AuditRetentionDays());
  LOCAI_ASSIGN_OR_RETURN(size_t removed, audit_->ApplyRetention(days * kDayMs));
  run.audit_records = static_cast<int64_t>(removed);
  LOCAI_ASSIGN_OR_RETURN(auto captures, settings_->AllPromptCapture());
  for (const auto& [org_id, setting] : captures) {
    LOCAI_ASSIGN_OR_RETURN(size_t texts,
                           audit_->ApplyContentRetention(org_id, setting.retention_days * kDayMs));
    run.captured_texts += static_cast<int64_t>(texts);
  }
  if (run.audit_records > 0 || run.captured_texts > 0) {
    Log("audit: retention removed " + std::to_string(run.audit_records) + " records older than " +
        std::to_string(days) + " days and " + std::to_string(run.captured_texts) +
        " captured texts");
  }
  return run;
}

void Compliance::CheckThresholds(const std::string& org_id) {
  auto plan = plans_->ForOrg(org_id);
  if (!plan) return;
  auto usage = meter_->CurrentUsage(org_id);
  if (!usage) {
    Log("metering: no usage for " + org_id + ": " + usage.error().ToString());
    return;
  }
  const std::vector<metering::ThresholdWarning> warnings =
      metering::ThresholdWarnings(plan->plan, *usage);
  if (warnings.empty()) return;
  if (auto logged =
          thresholds_->LogNew(org_id, plan->org.name, usage->month, warnings, options_.now_ms());
      !logged) {
    Log("metering: plan warnings of " + org_id + " not recorded: " + logged.error().ToString());
  }
}

void Compliance::Log(std::string_view line) const {
  if (options_.log) {
    options_.log(line);
  } else {
    std::fprintf(stderr, "%.*s\n", static_cast<int>(line.size()), line.data());
  }
}

void Compliance::Audit(const control::AuditEvent& event) {
  audit::AuditEvent record;
  record.kind = "admin";
  record.action = AuditActionFor(event.action);
  record.org = event.org_id.empty() ? "system" : event.org_id;
  record.actor_key_id = WithoutPrefix(event.actor, "key:");
  record.target = event.target;
  nlohmann::json details = nlohmann::json::object();
  if (!event.detail.empty()) details["detail"] = event.detail;
  if (record.action != event.action) details["server_action"] = event.action;
  if (!details.empty()) {
    record.details_json = details.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  if (auto appended = AppendAudit(record); !appended) {
    Log("audit: could not record " + event.action + " on " + event.target + ": " +
        appended.error().ToString());
  }
}

Result<audit::AuditRecord> Compliance::AppendAudit(const audit::AuditEvent& event) {
  return audit_->Append(event);
}

std::optional<int64_t> Compliance::NodeLimit(const std::string& org_id) {
  auto plan = plans_->ForOrg(org_id);
  if (!plan) {
    Log("metering: no node limit for " + org_id + ": " + plan.error().ToString());
    return std::nullopt;
  }
  return metering::EnforcedNodeLimit(plan->plan);
}

std::optional<uint64_t> Compliance::RegistryLimit(const std::string& org_id) {
  auto plan = plans_->ForOrg(org_id);
  if (!plan) {
    Log("metering: no registry limit for " + org_id + ": " + plan.error().ToString());
    return std::nullopt;
  }
  const std::optional<int64_t> limit = metering::EnforcedRegistryLimit(plan->plan);
  if (!limit) return std::nullopt;
  return static_cast<uint64_t>(*limit);
}

Status Compliance::NodeLimitError(const std::string& org_id, const Status& refused) {
  if (refused.code() != StatusCode::kResourceExhausted) return refused;
  auto plan = plans_->ForOrg(org_id);
  if (!plan) return refused;
  auto nodes = store_.CountNodes(org_id);
  return metering::NodeLimitExceeded(plan->plan, plan->org.name, nodes ? *nodes : 0);
}

Status Compliance::RegistryLimitError(const std::string& org_id, const Status& refused,
                                      uint64_t push_bytes) {
  if (refused.code() != StatusCode::kResourceExhausted) return refused;
  auto plan = plans_->ForOrg(org_id);
  if (!plan) return refused;
  auto used = store_.OrgBlobBytes(org_id);
  return metering::RegistryLimitExceeded(plan->plan, plan->org.name,
                                         static_cast<int64_t>(used ? *used : 0),
                                         static_cast<int64_t>(push_bytes));
}

Status Compliance::ChargeEgress(const std::string& org_id, uint64_t bytes) {
  LOCAI_ASSIGN_OR_RETURN(OrgPlan plan, plans_->ForOrg(org_id));
  LOCAI_RETURN_IF_ERROR(
      meter_->ChargeEgress(org_id, plan.plan, static_cast<int64_t>(bytes), options_.now_ms()));
  CheckThresholds(org_id);
  return Status::Ok();
}

Status Compliance::RecordNodeSeen(const std::string& org_id, const std::string& node_id) {
  const int64_t now = options_.now_ms();
  const std::string day = metering::DayKey(now);
  {
    std::lock_guard lock(seen_mu_);
    auto it = seen_day_.find(node_id);
    if (it != seen_day_.end() && it->second == day) return Status::Ok();
  }
  LOCAI_RETURN_IF_ERROR(meter_->RecordNodeSeen(org_id, node_id, now));
  {
    std::lock_guard lock(seen_mu_);
    seen_day_[node_id] = day;
  }
  CheckThresholds(org_id);
  return Status::Ok();
}

Status Compliance::RecordStorage(const std::string& org_id) {
  LOCAI_ASSIGN_OR_RETURN(uint64_t held, store_.OrgBlobBytes(org_id));
  LOCAI_RETURN_IF_ERROR(
      meter_->RecordStorage(org_id, static_cast<int64_t>(held), options_.now_ms()));
  CheckThresholds(org_id);
  return Status::Ok();
}

Result<std::string> Compliance::UsageReport(const std::string& org_id, std::string_view month,
                                            bool as_text) {
  LOCAI_ASSIGN_OR_RETURN(OrgPlan plan, plans_->ForOrg(org_id));
  LOCAI_ASSIGN_OR_RETURN(metering::MonthUsage usage, meter_->Usage(org_id, month));
  LOCAI_ASSIGN_OR_RETURN(
      metering::Bill bill,
      metering::ComputeBill(plan.plan, usage, metering::TrialEndsMs(plan.plan, plan.started_ms)));
  const std::vector<metering::ThresholdWarning> warnings =
      metering::ThresholdWarnings(plan.plan, usage);
  return as_text ? metering::UsageReportText(plan.plan, usage, bill, warnings)
                 : metering::UsageReportJson(plan.plan, usage, bill, warnings);
}

}  // namespace locai::control::compliance

// Compliance: plans, usage metering and the audit log, wired into the control plane
// (docs/control-plane.md, "Plans, usage and the audit log"). The ControlServer constructs one at
// start-up and plugs it into its hooks, the fleet and the registry.
//
// Open() loads the plan catalog (DATA/server/plans.json when present, else the built-in
// metering::DefaultPlansJson()), opens the UsageMeter and the PlanAssignment on the store's
// database, loads or creates the audit signing key (server/audit.key, 0600) and opens the
// AuditLog (head file server/audit.head).
//
// What the rest of the server calls:
//   Audit(event)            ControlHooks::audit: the server's event as an audit "admin" record;
//                           a failed append is logged (the action itself has already happened).
//   NodeLimit / RegistryLimit   the limits to give Store::EnrollNode / PutBlobRecord (nullopt:
//                           none), and NodeLimitError / RegistryLimitError to turn the store's
//                           ResourceExhausted at that limit into the plan_limit_exceeded error
//                           (metering/bill.h; HTTP 402, see plan_limit_reply.h).
//   ChargeEgress(org, n)    before serving a registry download of n bytes: OK and recorded, or
//                           the plan_limit_exceeded error with nothing recorded.
//   RecordNodeSeen          a node connected or heartbeated (written once per node per UTC day).
//   RecordStorage(org)      the organisation's registry holding changed (publish, GC).
//   RegisterRoutes          the usage, plan and audit admin routes (compliance_routes.cc,
//                           audit_settings_routes.cc).
//   RecordInference(r)      ControlHooks::inference: one audit record "inference.request" and the
//                           request's metering, queued to a writer thread (inference_recorder.h);
//                           FlushInference() waits for the queue (tests, shutdown).
//   CapturePrompts(org)     ControlHooks::capture_prompts: the organisation's switch (off by
//                           default), from an in-memory cache of compliance_settings.h.
//   RunRetention()          what the retention thread does every retention_interval_ms: audit
//                           records older than the installation's retention period removed with a
//                           signed checkpoint, each organisation's captured text past its own
//                           period deleted.
// Plan warnings: after a node is seen, storage changes or egress is charged, warnings at 80 % and
// 100 % of a limit are logged once per organisation, resource and month (threshold_log.h).
// Limits fail open: when the plan cannot be read (database error) NodeLimit/RegistryLimit return
// nullopt and the error is logged, so a metering fault never stops enrolment or pushes; egress
// charging returns the error (the download is refused with 503 rather than served unmetered).
//
// The Store and Database are borrowed and must outlive the Compliance.
// Threading: every method may be called from any thread concurrently.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "control/audit/audit_log.h"
#include "control/compliance/compliance_settings.h"
#include "control/compliance/inference_recorder.h"
#include "control/compliance/periodic_task.h"
#include "control/compliance/plan_assignment.h"
#include "control/compliance/threshold_log.h"
#include "control/metering/plans.h"
#include "control/metering/usage_meter.h"
#include "control/server/hooks.h"
#include "store/sqlite/database.h"
#include "store/store.h"

namespace locai::net {
class Router;
}  // namespace locai::net
namespace locai::control::auth {
class Authenticator;
}  // namespace locai::control::auth

namespace locai::control::compliance {

struct ComplianceOptions {
  std::string data_dir;             // required; files under data_dir/server
  std::function<int64_t()> now_ms;  // required: unix ms
  // One line per notable event (a failed audit append, a limit lookup that failed, the audit
  // chain head). Empty: stderr.
  std::function<void(std::string_view line)> log;
  // How often the retention thread runs (ms); 0: daily; negative: no thread (RunRetention() by
  // hand). The first run is one interval after Open.
  int64_t retention_interval_ms = 0;
};

// What one retention run removed.
struct RetentionRun {
  int64_t audit_records = 0;   // chained records (a signed checkpoint covers them)
  int64_t captured_texts = 0;  // rows of captured prompt/completion text
};

// The audit action for one of the server's action names ("admin.key.create" -> "key.create",
// "registry.tag.put" -> "model.push"; see the table in compliance.cc). Names the table does not
// list lose an "admin." prefix and are kept otherwise.
std::string AuditActionFor(std::string_view server_action);

class Compliance {
 public:
  // InvalidArgument for a missing data_dir or clock, or a plans.json that does not load (the
  // message names the file); DataLoss for an unreadable audit key; the libraries' errors
  // otherwise.
  static Result<std::unique_ptr<Compliance>> Open(store::Store& store, store::Database& db,
                                                  ComplianceOptions options);
  ~Compliance();
  Compliance(const Compliance&) = delete;
  Compliance& operator=(const Compliance&) = delete;

  void Audit(const control::AuditEvent& event);
  // Appends an audit record as given (fields validated by audit::ValidateEvent).
  Result<audit::AuditRecord> AppendAudit(const audit::AuditEvent& event);

  std::optional<int64_t> NodeLimit(const std::string& org_id);
  std::optional<uint64_t> RegistryLimit(const std::string& org_id);
  // `refused` as the store returned it: a ResourceExhausted becomes NodeLimitExceeded /
  // RegistryLimitExceeded for the organisation's plan (`push_bytes`: the blob refused); any other
  // status is returned unchanged.
  Status NodeLimitError(const std::string& org_id, const Status& refused);
  Status RegistryLimitError(const std::string& org_id, const Status& refused, uint64_t push_bytes);

  Status ChargeEgress(const std::string& org_id, uint64_t bytes);
  Status RecordNodeSeen(const std::string& org_id, const std::string& node_id);
  Status RecordStorage(const std::string& org_id);

  Status RegisterRoutes(net::Router& router, auth::Authenticator& authenticator);

  void RecordInference(const InferenceRecord& record);
  void FlushInference();
  bool CapturePrompts(const std::string& org_id);
  ComplianceSettings& settings() { return *settings_; }
  Result<RetentionRun> RunRetention();
  // Logs the plan warnings of the organisation's current month not logged before.
  void CheckThresholds(const std::string& org_id);

  Result<OrgPlan> PlanFor(const std::string& org_id) { return plans_->ForOrg(org_id); }
  Result<OrgPlan> SetPlan(const std::string& org_id, const std::string& plan_name) {
    return plans_->Set(org_id, plan_name, options_.now_ms());
  }
  // The month's usage report of an organisation as JSON (metering/usage_report.h), or as text.
  Result<std::string> UsageReport(const std::string& org_id, std::string_view month, bool as_text);

  const metering::PlanCatalog& catalog() const { return catalog_; }
  metering::UsageMeter& meter() { return *meter_; }
  audit::AuditLog& audit_log() { return *audit_; }
  store::Store& store() { return store_; }
  int64_t NowMs() const { return options_.now_ms(); }
  void Log(std::string_view line) const;

 private:
  Compliance(store::Store& store, ComplianceOptions options, metering::PlanCatalog catalog)
      : store_(store), options_(std::move(options)), catalog_(std::move(catalog)) {}

  store::Store& store_;
  const ComplianceOptions options_;
  const metering::PlanCatalog catalog_;
  std::unique_ptr<PlanAssignment> plans_;
  std::unique_ptr<metering::UsageMeter> meter_;
  std::unique_ptr<audit::AuditLog> audit_;
  std::unique_ptr<ComplianceSettings> settings_;
  std::unique_ptr<ThresholdLog> thresholds_;
  // Threads last, stopped first (the destructor resets them before the rest goes).
  std::unique_ptr<InferenceRecorder> recorder_;
  std::unique_ptr<PeriodicTask> retention_;
  std::mutex seen_mu_;
  std::map<std::string, std::string> seen_day_;  // node id -> UTC day last recorded; seen_mu_
};

}  // namespace locai::control::compliance

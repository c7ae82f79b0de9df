#include "control/compliance/plan_assignment.h"

#include <vector>

#include "store/sqlite/migrate.h"

namespace locai::control::compliance {

const std::vector<std::string>& ComplianceMigrations() {
  static const std::vector<std::string> kSteps = {
      // Version 1: plan changes; the latest row per organisation is when its plan started.
      "CREATE TABLE compliance_plan_changes("
      "  org_id TEXT NOT NULL,"
      "  plan TEXT NOT NULL,"
      "  changed_ms INTEGER NOT NULL);"
      "CREATE INDEX compliance_plan_changes_by_org ON compliance_plan_changes(org_id, changed_ms)",
      // Version 2: prompt capture per organisation, installation settings (audit retention) and
      // the plan warnings already logged (compliance_settings.h, threshold_warnings.h).
      "CREATE TABLE compliance_prompt_capture("
      "  org_id TEXT PRIMARY KEY,"
      "  enabled INTEGER NOT NULL,"
      "  retention_days INTEGER NOT NULL,"
      "  updated_ms INTEGER NOT NULL);"
      "CREATE TABLE compliance_settings("
      "  name TEXT PRIMARY KEY,"
      "  value INTEGER NOT NULL);"
      "CREATE TABLE compliance_warnings("
      "  org_id TEXT NOT NULL,"
      "  month TEXT NOT NULL,"
      "  resource TEXT NOT NULL,"
      "  percent INTEGER NOT NULL,"
      "  logged_ms INTEGER NOT NULL,"
      "  PRIMARY KEY (org_id, month, resource, percent))",
  };
  return kSteps;
}

metering::Plan UnlimitedPlan() {
  metering::Plan plan;
  plan.name = std::string(kUnlimitedPlanName);
  plan.display_name = "Unlimited";
  return plan;
}

Result<std::unique_ptr<PlanAssignment>> PlanAssignment::Open(store::Store& store,
                                                             store::Database& db,
                                                             const metering::PlanCatalog& catalog) {
  LOCAI_RETURN_IF_ERROR(store::Migrate(db, "compliance", ComplianceMigrations()));
  return std::unique_ptr<PlanAssignment>(new PlanAssignment(store, db, catalog));
}

Result<metering::Plan> PlanAssignment::Resolve(const std::string& org_id,
                                               const std::string& plan_name) const {
  if (plan_name == kUnlimitedPlanName) return UnlimitedPlan();
  if (catalog_.Find(plan_name)) return catalog_.ForOrg(org_id, plan_name);
  return catalog_.ForOrg(org_id, "");  // "free", empty or unknown: the default plan
}

Result<OrgPlan> PlanAssignment::ForOrg(const std::string& org_id) const {
  OrgPlan result;
  LOCAI_ASSIGN_OR_RETURN(result.org, store_.GetOrg(org_id));
  LOCAI_ASSIGN_OR_RETURN(result.plan, Resolve(org_id, result.org.plan));
  result.started_ms = result.org.created_at;
  LOCAI_ASSIGN_OR_RETURN(
      store::Statement latest,
      db_.Prepare("SELECT changed_ms FROM compliance_plan_changes WHERE org_id = ?1 "
                  "ORDER BY changed_ms DESC, rowid DESC LIMIT 1"));
  LOCAI_RETURN_IF_ERROR(latest.BindText(1, org_id));
  LOCAI_ASSIGN_OR_RETURN(bool found, latest.Step());
  if (found) result.started_ms = latest.ColumnInt64(0);
  return result;
}

Result<OrgPlan> PlanAssignment::Set(const std::string& org_id, const std::string& plan_name,
                                    int64_t now_ms) {
  if (plan_name != kUnlimitedPlanName && !catalog_.Find(plan_name)) {
    std::string known;
    for (const metering::Plan& plan : catalog_.plans()) {
      known += (known.empty() ? "" : ", ") + plan.name;
    }
    return Err(Status::NotFound("no plan '" + plan_name + "' (plans: " + known + ")"));
  }
  LOCAI_ASSIGN_OR_RETURN(store::Org org, store_.GetOrg(org_id));
  if (org.plan != plan_name) {
    // The store has no setter for an organisation's plan; the column is its `orgs.plan`
    // (store/sqlite/schema.cc), written here in the same transaction as our history row.
    LOCAI_ASSIGN_OR_RETURN(store::Transaction transaction, store::Transaction::Begin(db_));
    {
      LOCAI_ASSIGN_OR_RETURN(store::Statement update,
                             db_.Prepare("UPDATE orgs SET plan = ?2 WHERE id = ?1"));
      LOCAI_RETURN_IF_ERROR(update.BindText(1, org_id));
      LOCAI_RETURN_IF_ERROR(update.BindText(2, plan_name));
      LOCAI_RETURN_IF_ERROR(update.Run());
    }
    {
      LOCAI_ASSIGN_OR_RETURN(
          store::Statement insert,
          db_.Prepare("INSERT INTO compliance_plan_changes(org_id, plan, changed_ms) "
                      "VALUES(?1, ?2, ?3)"));
      LOCAI_RETURN_IF_ERROR(insert.BindText(1, org_id));
      LOCAI_RETURN_IF_ERROR(insert.BindText(2, plan_name));
      LOCAI_RETURN_IF_ERROR(insert.BindInt64(3, now_ms));
      LOCAI_RETURN_IF_ERROR(insert.Run());
    }
    LOCAI_RETURN_IF_ERROR(transaction.Commit());
  }
  return ForOrg(org_id);
}

}  // namespace locai::control::compliance

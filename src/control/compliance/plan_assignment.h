// PlanAssignment: which plan each organisation is on, and since when.
//
// The plan's name is the store's Org.plan field (set when the organisation is created, changed
// by Set()). It resolves against the plan catalog (metering/plans.h) as follows:
//   - a name in the catalog: that plan, with the catalog's org_overrides for the organisation;
//   - "unlimited" (what the bootstrap gives organisation `default`, the operator's own): no
//     limits, no fee, no rates;
//   - anything else ("free", the admin API's default for a new organisation, or empty): the
//     catalog's default plan (with overrides).
// Set() also records the change in the table compliance_plan_changes (migrations component
// "compliance"), whose latest row for the organisation says when the current plan started, for
// trials (metering::TrialEndsMs); an organisation never changed started at its created_at.
// Errors: NotFound for an unknown organisation or plan name (the message lists the plans);
// database errors as store::Database reports them.
// Threading: safe to share between threads (each call is one statement or transaction on the
// Database). The Store, Database and catalog must outlive it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "control/metering/plans.h"
#include "store/sqlite/database.h"
#include "store/store.h"

namespace locai::control::compliance {

inline constexpr std::string_view kUnlimitedPlanName = "unlimited";

// The plan without limits, fee or rates.
metering::Plan UnlimitedPlan();

// The schema steps of migrations component "compliance" (plan changes, settings, warnings); applied
// by PlanAssignment::Open and ComplianceSettings::Open.
const std::vector<std::string>& ComplianceMigrations();

struct OrgPlan {
  store::Org org;
  metering::Plan plan;     // resolved as above, overrides applied
  int64_t started_ms = 0;  // when the organisation moved to its current plan
};

class PlanAssignment {
 public:
  // Applies the "compliance" migrations to `db` (the database behind `store`).
  static Result<std::unique_ptr<PlanAssignment>> Open(store::Store& store, store::Database& db,
                                                      const metering::PlanCatalog& catalog);

  // The organisation `org_id`'s plan.
  Result<OrgPlan> ForOrg(const std::string& org_id) const;

  // Puts organisation `org_id` on `plan_name` (a catalog plan, or "unlimited") from `now_ms`.
  // Returns the plan as ForOrg would. Setting the plan it is on already is OK and changes nothing.
  Result<OrgPlan> Set(const std::string& org_id, const std::string& plan_name, int64_t now_ms);

  const metering::PlanCatalog& catalog() const { return catalog_; }

 private:
  PlanAssignment(store::Store& store, store::Database& db, const metering::PlanCatalog& catalog)
      : store_(store), db_(db), catalog_(catalog) {}

  Result<metering::Plan> Resolve(const std::string& org_id, const std::string& plan_name) const;

  store::Store& store_;
  store::Database& db_;
  const metering::PlanCatalog& catalog_;
};

}  // namespace locai::control::compliance

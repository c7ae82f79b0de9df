// Plans and the price list: what each organisation may use and what it pays.
//
// Prices and limits live in a JSON configuration (src/control/metering/plans.json is the default,
// compiled in as DefaultPlansJson()):
//
//   {"currency": "GBP", "default_plan": "developer",
//    "plans": [{"name": "starter", "display_name": "Starter", "monthly_fee_gbp": 35,
//               "max_nodes": 15, "max_registry_gb": 50, "max_egress_gb": 100,
//               "per_node_gbp": 0, "per_gb_month_gbp": 0, "per_egress_gb_gbp": 0,
//               "trial_days": 30, "bills_overage": false}, ...],
//    "org_overrides": {"<org id>": {"plan": "enterprise", "max_nodes": 500, "per_node_gbp": 4}}}
//
// Amounts are decimal GBP in the file and integer micro-GBP in memory (see money.h); sizes are
// decimal GB in the file (1 GB = 10^9 bytes) and bytes in memory. A missing or null max_* is "no
// limit". Unknown fields are refused so that a typo cannot silently drop a limit.
//
// Billing semantics (bill.h): the monthly fee is charged for the month; per-unit rates apply to
// the month's usage. When bills_overage is false the max_* are hard limits (refused at the moment
// of use) and rates are charged on all usage (zero for the fixed-price plans). When bills_overage
// is true nothing is refused: the max_* become allowances included in the fee and only usage above
// them is charged at the rates (no max_* means all usage is charged).
//
// Thread-safety: PlanCatalog is an immutable value after loading; share it freely.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace locai::control::metering {

struct Plan {
  std::string name;          // id used in config and the store: "developer", "payg", ...
  std::string display_name;  // "Pay-as-you-go"
  int64_t monthly_fee_micro_gbp = 0;
  std::optional<int64_t> max_nodes;           // end nodes
  std::optional<int64_t> max_registry_bytes;  // registry storage held
  std::optional<int64_t> max_egress_bytes;    // registry egress per calendar month
  int64_t per_node_micro_gbp = 0;             // per active end node per month
  int64_t per_gb_month_micro_gbp = 0;         // per GB-month of registry storage
  int64_t per_egress_gb_micro_gbp = 0;        // per GB of registry egress
  int64_t trial_days = 0;                     // monthly fee waived for this many days
  bool bills_overage = false;                 // see the header comment
};

// The limits the store enforces atomically (EnrollNode / PutBlobRecord): the plan's max_* when it
// refuses past them, nullopt when it bills overage instead.
std::optional<int64_t> EnforcedNodeLimit(const Plan& plan);
std::optional<int64_t> EnforcedRegistryLimit(const Plan& plan);
std::optional<int64_t> EnforcedEgressLimit(const Plan& plan);

class PlanCatalog {
 public:
  const std::vector<Plan>& plans() const { return plans_; }
  const std::string& default_plan() const { return default_plan_; }
  // NotFound naming the known plans.
  Result<Plan> Find(std::string_view name) const;
  // The plan an organisation is on: `plan_name` (from its org record; empty = default plan) with
  // the catalog's org_overrides for `org_id` applied (which may also name the base plan).
  Result<Plan> ForOrg(std::string_view org_id, std::string_view plan_name) const;

 private:
  friend Result<PlanCatalog> LoadPlanCatalog(std::string_view json_text);
  std::vector<Plan> plans_;
  std::string default_plan_;
  std::map<std::string, std::string, std::less<>> org_overrides_;  // org id -> JSON object text
};

// Parses a catalog as described above. InvalidArgument (naming the field) for malformed JSON,
// unknown fields, negative or over-precise amounts, duplicate plan names, an unknown default plan.
Result<PlanCatalog> LoadPlanCatalog(std::string_view json_text);

// The built-in catalog: the text of src/control/metering/plans.json, compiled in at build time.
std::string_view DefaultPlansJson();

// Applies an override object ({"max_nodes": 500, "per_node_gbp": 4, ...}; same fields as a plan
// entry, without "name") to `base`, e.g. Enterprise terms an admin sets for one organisation.
// "plan" is not accepted here (pick the base before). InvalidArgument as for LoadPlanCatalog.
Result<Plan> ApplyPlanOverrides(const Plan& base, std::string_view overrides_json);

}  // namespace locai::control::metering

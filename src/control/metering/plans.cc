#include "control/metering/plans.h"

#include <nlohmann/json.hpp>

#include "control/metering/money.h"

namespace locai::control::metering {
namespace {

using nlohmann::json;

Status FieldError(std::string_view plan, std::string_view field, std::string_view why) {
  return Status::InvalidArgument("plans: plan '" + std::string(plan) + "' field '" +
                                 std::string(field) + "': " + std::string(why));
}

// A decimal from a JSON number or string, scaled to 10^-scale units. nlohmann keeps numbers as
// doubles; its dump() writes the shortest text that reads back to the same double, which is the
// decimal written in the file ("0.05"), so converting from that text is exact.
Result<int64_t> ScaledField(const json& value, int scale, std::string_view plan,
                            std::string_view field) {
  std::string text;
  if (value.is_string()) {
    text = value.get<std::string>();
  } else if (value.is_number()) {
    text = value.dump();
  } else {
    return Err(FieldError(plan, field, "must be a number"));
  }
  auto parsed = ParseScaledDecimal(text, scale);
  if (!parsed) return Err(FieldError(plan, field, parsed.error().message()));
  return *parsed;
}

Result<std::optional<int64_t>> OptionalLimit(const json& value, int scale, std::string_view plan,
                                             std::string_view field) {
  if (value.is_null()) return std::optional<int64_t>();
  LOCAI_ASSIGN_OR_RETURN(int64_t parsed, ScaledField(value, scale, plan, field));
  return std::optional<int64_t>(parsed);
}

// Sets every field present in `object` on `plan`. `allow_name`: the catalog's plan entries carry
// "name"; overrides may not rename a plan.
Status ApplyFields(const json& object, bool allow_name, Plan& plan) {
  if (!object.is_object()) return FieldError(plan.name, "", "must be a JSON object");
  for (const auto& [key, value] : object.items()) {
    const std::string& p = plan.name;
    if (key == "name" && allow_name) {
      if (!value.is_string() || value.get<std::string>().empty()) {
        return FieldError(p, key, "must be a non-empty string");
      }
      plan.name = value.get<std::string>();
    } else if (key == "display_name") {
      if (!value.is_string()) return FieldError(p, key, "must be a string");
      plan.display_name = value.get<std::string>();
    } else if (key == "monthly_fee_gbp") {
      LOCAI_ASSIGN_OR_RETURN(plan.monthly_fee_micro_gbp, ScaledField(value, 6, p, key));
    } else if (key == "per_node_gbp") {
      LOCAI_ASSIGN_OR_RETURN(plan.per_node_micro_gbp, ScaledField(value, 6, p, key));
    } else if (key == "per_gb_month_gbp") {
      LOCAI_ASSIGN_OR_RETURN(plan.per_gb_month_micro_gbp, ScaledField(value, 6, p, key));
    } else if (key == "per_egress_gb_gbp") {
      LOCAI_ASSIGN_OR_RETURN(plan.per_egress_gb_micro_gbp, ScaledField(value, 6, p, key));
    } else if (key == "max_nodes") {
      LOCAI_ASSIGN_OR_RETURN(plan.max_nodes, OptionalLimit(value, 0, p, key));
    } else if (key == "max_registry_gb") {
      LOCAI_ASSIGN_OR_RETURN(plan.max_registry_bytes, OptionalLimit(value, 9, p, key));
    } else if (key == "max_egress_gb") {
      LOCAI_ASSIGN_OR_RETURN(plan.max_egress_bytes, OptionalLimit(value, 9, p, key));
    } else if (key == "trial_days") {
      LOCAI_ASSIGN_OR_RETURN(plan.trial_days, ScaledField(value, 0, p, key));
    } else if (key == "bills_overage") {
      if (!value.is_boolean()) return FieldError(p, key, "must be true or false");
      plan.bills_overage = value.get<bool>();
    } else {
      return FieldError(p, key, "unknown field");
    }
  }
  return Status::Ok();
}

}  // namespace

std::optional<int64_t> EnforcedNodeLimit(const Plan& plan) {
  return plan.bills_overage ? std::nullopt : plan.max_nodes;
}
std::optional<int64_t> EnforcedRegistryLimit(const Plan& plan) {
  return plan.bills_overage ? std::nullopt : plan.max_registry_bytes;
}
std::optional<int64_t> EnforcedEgressLimit(const Plan& plan) {
  return plan.bills_overage ? std::nullopt : plan.max_egress_bytes;
}

Result<Plan> PlanCatalog::Find(std::string_view name) const {
  std::string known;
  for (const Plan& plan : plans_) {
    if (plan.name == name) return plan;
    known += (known.empty() ? "" : ", ") + plan.name;
  }
  return Err(Status::NotFound("unknown plan '" + std::string(name) + "' (plans: " + known + ")"));
}

Result<Plan> PlanCatalog::ForOrg(std::string_view org_id, std::string_view plan_name) const {
  std::string base = plan_name.empty() ? default_plan_ : std::string(plan_name);
  auto it = org_overrides_.find(org_id);
  if (it == org_overrides_.end()) return Find(base);
  json overrides = json::parse(it->second, nullptr, false);  // validated by LoadPlanCatalog
  if (auto plan_field = overrides.find("plan"); plan_field != overrides.end()) {
    base = plan_field->get<std::string>();
    overrides.erase("plan");
  }
  LOCAI_ASSIGN_OR_RETURN(Plan plan, Find(base));
  LOCAI_RETURN_IF_ERROR(ApplyFields(overrides, /*allow_name=*/false, plan));
  return plan;
}

Result<PlanCatalog> LoadPlanCatalog(std::string_view json_text) {
  json doc = json::parse(json_text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return Err(Status::InvalidArgument("plans: not a JSON object"));
  }
  PlanCatalog catalog;
  for (const auto& [key, value] : doc.items()) {
    if (key == "currency") {
      if (value != "GBP") return Err(Status::InvalidArgument("plans: currency must be \"GBP\""));
    } else if (key == "default_plan") {
      if (!value.is_string()) return Err(Status::InvalidArgument("plans: default_plan: string"));
      catalog.default_plan_ = value.get<std::string>();
    } else if (key == "plans") {
      if (!value.is_array()) return Err(Status::InvalidArgument("plans: plans must be an array"));
      for (const json& entry : value) {
        Plan plan;
        if (!entry.is_object() || !entry.contains("name")) {
          return Err(Status::InvalidArgument("plans: each plan needs a \"name\""));
        }
        LOCAI_RETURN_IF_ERROR(ApplyFields(entry, /*allow_name=*/true, plan));
        if (plan.display_name.empty()) plan.display_name = plan.name;
        if (catalog.Find(plan.name)) {
          return Err(Status::InvalidArgument("plans: plan '" + plan.name + "' listed twice"));
        }
        catalog.plans_.push_back(std::move(plan));
      }
    } else if (key == "org_overrides") {
      if (!value.is_object()) {
        return Err(Status::InvalidArgument("plans: org_overrides must be an object"));
      }
      for (const auto& [org, overrides] : value.items()) {
        catalog.org_overrides_[org] = overrides.dump();
      }
    } else {
      return Err(Status::InvalidArgument("plans: unknown field '" + key + "'"));
    }
  }
  if (catalog.plans_.empty()) return Err(Status::InvalidArgument("plans: no plans"));
  if (catalog.default_plan_.empty()) catalog.default_plan_ = catalog.plans_.front().name;
  if (!catalog.Find(catalog.default_plan_)) {
    return Err(Status::InvalidArgument("plans: default_plan '" + catalog.default_plan_ +
                                       "' is not a plan"));
  }
  // Validate every override now, so ForOrg cannot fail on the configuration later.
  for (const auto& [org, text] : catalog.org_overrides_) {
    json overrides = json::parse(text, nullptr, false);
    if (!overrides.is_object()) {
      return Err(Status::InvalidArgument("plans: org_overrides." + org + " must be an object"));
    }
    if (overrides.contains("plan") && !overrides["plan"].is_string()) {
      return Err(Status::InvalidArgument("plans: org_overrides." + org + ".plan: string"));
    }
    auto plan = catalog.ForOrg(org, "");
    if (!plan) {
      return Err(
          Status::InvalidArgument("plans: org_overrides." + org + ": " + plan.error().message()));
    }
  }
  return catalog;
}

Result<Plan> ApplyPlanOverrides(const Plan& base, std::string_view overrides_json) {
  json overrides = json::parse(overrides_json, nullptr, false);
  if (overrides.is_discarded()) return Err(Status::InvalidArgument("plan overrides: bad JSON"));
  Plan plan = base;
  LOCAI_RETURN_IF_ERROR(ApplyFields(overrides, /*allow_name=*/false, plan));
  return plan;
}

}  // namespace locai::control::metering

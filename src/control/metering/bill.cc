#include "control/metering/bill.h"

#include <algorithm>

#include "control/metering/calendar.h"
#include "control/metering/money.h"
#include "control/metering/wide_int.h"

namespace locai::control::metering {
namespace {

int64_t DivRoundHalfUp(Int128 numerator, Int128 denominator) {
  return static_cast<int64_t>((numerator + denominator / 2) / denominator);
}

// Usage billed under `plan`: all of it, or (overage plans with an allowance) what is above it.
int64_t Billable(const Plan& plan, int64_t used, const std::optional<int64_t>& allowance) {
  if (!plan.bills_overage || !allowance) return used;
  return std::max<int64_t>(0, used - *allowance);
}

std::string AllowanceNote(const Plan& plan, const std::optional<int64_t>& allowance,
                          const std::string& allowance_text) {
  if (!plan.bills_overage || !allowance) return "";
  return " above the " + allowance_text + " included";
}

std::string RaiseHint(std::string_view org) {
  return "; raise it with `locai plan set --org " + std::string(org) +
         " PLAN` (see `locai usage --org " + std::string(org) + "`)";
}

}  // namespace

int64_t MonthUsage::in_org_permille() const {
  int64_t total = total_requests();
  if (total == 0) return 1000;
  return DivRoundHalfUp(static_cast<Int128>(local.requests + node.requests) * 1000, total);
}

int64_t TrialEndsMs(const Plan& plan, int64_t plan_started_ms) {
  return plan_started_ms + plan.trial_days * kMsPerDay;
}

Result<Bill> ComputeBill(const Plan& plan, const MonthUsage& usage, int64_t trial_ends_ms) {
  const int64_t month_ms = usage.month_end_ms - usage.month_start_ms;
  if (month_ms <= 0) return Err(Status::InvalidArgument("usage has no month span"));
  Bill bill;
  bill.org = usage.org;
  bill.month = usage.month;
  bill.plan = plan.display_name;

  // Fee, waived for the part of the month still in trial.
  {
    int64_t trial_ms = std::clamp<int64_t>(trial_ends_ms - usage.month_start_ms, 0, month_ms);
    int64_t billed_ms = month_ms - trial_ms;
    BillLine line;
    line.description = plan.display_name + " plan, monthly fee";
    if (trial_ms > 0) line.description += " (trial until " + DayKey(trial_ends_ms) + ")";
    line.unit = "month";
    line.quantity_milli = DivRoundHalfUp(static_cast<Int128>(billed_ms) * 1000, month_ms);
    line.unit_price_micro_gbp = plan.monthly_fee_micro_gbp;
    line.amount_pence = DivRoundHalfUp(static_cast<Int128>(plan.monthly_fee_micro_gbp) * billed_ms,
                                       Int128(month_ms) * kMicroPerPenny);
    bill.lines.push_back(std::move(line));
  }
  if (plan.per_node_micro_gbp > 0) {
    int64_t nodes = Billable(plan, usage.active_nodes, plan.max_nodes);
    BillLine line;
    line.description =
        "End nodes active in " + usage.month +
        AllowanceNote(plan, plan.max_nodes, plan.max_nodes ? std::to_string(*plan.max_nodes) : "");
    line.unit = "node";
    line.quantity_milli = nodes * 1000;
    line.unit_price_micro_gbp = plan.per_node_micro_gbp;
    line.amount_pence =
        DivRoundHalfUp(static_cast<Int128>(plan.per_node_micro_gbp) * nodes, kMicroPerPenny);
    bill.lines.push_back(std::move(line));
  }
  if (plan.per_gb_month_micro_gbp > 0) {
    int64_t byte_months = Billable(plan, usage.storage_byte_months, plan.max_registry_bytes);
    BillLine line;
    line.description =
        "Registry storage" +
        AllowanceNote(plan, plan.max_registry_bytes,
                      FormatGb(plan.max_registry_bytes.value_or(0), 3) + " GB-months");
    line.unit = "GB-month";
    line.quantity_milli = DivRoundHalfUp(byte_months, kBytesPerGb / 1000);
    line.unit_price_micro_gbp = plan.per_gb_month_micro_gbp;
    line.amount_pence =
        DivRoundHalfUp(static_cast<Int128>(plan.per_gb_month_micro_gbp) * byte_months,
                       static_cast<Int128>(kBytesPerGb) * kMicroPerPenny);
    bill.lines.push_back(std::move(line));
  }
  if (plan.per_egress_gb_micro_gbp > 0) {
    int64_t bytes = Billable(plan, usage.egress_registry_bytes, plan.max_egress_bytes);
    BillLine line;
    line.description = "Registry egress to nodes" +
                       AllowanceNote(plan, plan.max_egress_bytes,
                                     FormatGb(plan.max_egress_bytes.value_or(0), 3) + " GB");
    line.unit = "GB";
    line.quantity_milli = DivRoundHalfUp(bytes, kBytesPerGb / 1000);
    line.unit_price_micro_gbp = plan.per_egress_gb_micro_gbp;
    line.amount_pence = DivRoundHalfUp(static_cast<Int128>(plan.per_egress_gb_micro_gbp) * bytes,
                                       static_cast<Int128>(kBytesPerGb) * kMicroPerPenny);
    bill.lines.push_back(std::move(line));
  }
  for (const BillLine& line : bill.lines) bill.total_pence += line.amount_pence;
  return bill;
}

bool IsPlanLimitError(const Status& status) {
  return status.code() == StatusCode::kResourceExhausted &&
         std::string_view(status.message()).starts_with(kPlanLimitPrefix);
}

Status NodeLimitExceeded(const Plan& plan, std::string_view org, int64_t enrolled_nodes) {
  return Status::ResourceExhausted(std::string(kPlanLimitPrefix) + "end node limit " +
                                   std::to_string(plan.max_nodes.value_or(0)) + " of plan " +
                                   plan.display_name + " reached (enrolled " +
                                   std::to_string(enrolled_nodes) + ", this enrolment 1)" +
                                   RaiseHint(org));
}

Status RegistryLimitExceeded(const Plan& plan, std::string_view org, int64_t used_bytes,
                             int64_t push_bytes) {
  return Status::ResourceExhausted(std::string(kPlanLimitPrefix) + "registry limit " +
                                   FormatGb(plan.max_registry_bytes.value_or(0)) + " GB of plan " +
                                   plan.display_name + " reached (used " + FormatGb(used_bytes) +
                                   " GB, this push " + FormatGb(push_bytes) + " GB)" +
                                   RaiseHint(org));
}

Status EgressLimitExceeded(const Plan& plan, std::string_view org, int64_t used_bytes,
                           int64_t download_bytes) {
  return Status::ResourceExhausted(std::string(kPlanLimitPrefix) + "egress limit " +
                                   FormatGb(plan.max_egress_bytes.value_or(0)) + " GB of plan " +
                                   plan.display_name + " reached (used " + FormatGb(used_bytes) +
                                   " GB, this download " + FormatGb(download_bytes) + " GB)" +
                                   RaiseHint(org));
}

Status CheckNodeLimit(const Plan& plan, std::string_view org, int64_t enrolled_nodes) {
  auto limit = EnforcedNodeLimit(plan);
  if (limit && enrolled_nodes + 1 > *limit) return NodeLimitExceeded(plan, org, enrolled_nodes);
  return Status::Ok();
}

Status CheckRegistryLimit(const Plan& plan, std::string_view org, int64_t used_bytes,
                          int64_t push_bytes) {
  auto limit = EnforcedRegistryLimit(plan);
  if (limit && used_bytes + push_bytes > *limit) {
    return RegistryLimitExceeded(plan, org, used_bytes, push_bytes);
  }
  return Status::Ok();
}

Status CheckEgressLimit(const Plan& plan, std::string_view org, int64_t used_bytes,
                        int64_t download_bytes) {
  auto limit = EnforcedEgressLimit(plan);
  if (limit && used_bytes + download_bytes > *limit) {
    return EgressLimitExceeded(plan, org, used_bytes, download_bytes);
  }
  return Status::Ok();
}

std::vector<ThresholdWarning> ThresholdWarnings(const Plan& plan, const MonthUsage& usage) {
  std::vector<ThresholdWarning> warnings;
  auto check = [&](std::string resource, int64_t used, const std::optional<int64_t>& limit,
                   bool bytes) {
    if (!limit || used <= 0) return;
    int64_t percent =
        *limit <= 0 ? 100 : static_cast<int64_t>(static_cast<Int128>(used) * 100 / *limit);
    if (percent < 80) return;
    ThresholdWarning warning;
    warning.resource = resource;
    warning.percent = percent >= 100 ? 100 : 80;
    warning.used = used;
    warning.limit = *limit;
    std::string of = bytes ? FormatGb(used) + " GB of " + FormatGb(*limit) + " GB"
                           : std::to_string(used) + " of " + std::to_string(*limit);
    warning.message = resource + " at " + std::to_string(percent) + " % of the plan " +
                      plan.display_name + " limit (" + of + ")";
    if (warning.percent == 100) {
      warning.message +=
          plan.bills_overage ? "; usage above it is billed" : "; further use is refused";
    }
    warnings.push_back(std::move(warning));
  };
  check("nodes", usage.active_nodes, plan.max_nodes, false);
  check("registry", usage.storage_bytes, plan.max_registry_bytes, true);
  check("egress", usage.egress_registry_bytes, plan.max_egress_bytes, true);
  return warnings;
}

std::vector<ThresholdWarning> CrossedThresholds(const Plan& plan, const MonthUsage& before,
                                                const MonthUsage& after) {
  std::vector<ThresholdWarning> previous = ThresholdWarnings(plan, before);
  std::vector<ThresholdWarning> crossed;
  for (ThresholdWarning& warning : ThresholdWarnings(plan, after)) {
    bool known = false;
    for (const ThresholdWarning& old : previous) {
      known = known || (old.resource == warning.resource && old.percent >= warning.percent);
    }
    if (!known) crossed.push_back(std::move(warning));
  }
  return crossed;
}

}  // namespace locai::control::metering

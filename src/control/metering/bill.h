// A month's usage, the bill it gives under a plan, limit checks and threshold warnings.
//
// Pure functions over values: UsageMeter (usage_meter.h) produces MonthUsage from the store; the
// server and the CLI turn Bill and warnings into JSON or text. Money semantics in money.h, plan
// semantics in plans.h. Thread-safety: pure functions over values.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "control/metering/plans.h"

namespace locai::control::metering {

// Requests by route, for information (not billed).
struct RouteUsage {
  int64_t requests = 0;
  int64_t tokens_in = 0;
  int64_t tokens_out = 0;
};

struct MonthUsage {
  std::string org;
  std::string month;  // "2026-11"
  int64_t month_start_ms = 0;
  int64_t month_end_ms = 0;  // exclusive
  int64_t as_of_ms = 0;      // usage counted up to here (end of month for a past month)
  // End nodes: distinct nodes seen (connected at least once) in the month, and node-days (one per
  // node per UTC day it was seen).
  int64_t active_nodes = 0;
  int64_t node_days = 0;
  // Registry storage: bytes held now (or at the end of a past month), and the integral over the
  // month in byte-months (average bytes over the whole month): GB-months = byte_months / 10^9.
  int64_t storage_bytes = 0;
  int64_t storage_byte_months = 0;
  // Egress bytes in the month: registry downloads by nodes (billed) and cloud fallback traffic
  // (information), kept apart.
  int64_t egress_registry_bytes = 0;
  int64_t egress_cloud_bytes = 0;
  RouteUsage local;  // served on the device the request came from
  RouteUsage node;   // another device of the organisation
  RouteUsage cloud;  // a cloud provider (fallback)

  int64_t total_requests() const { return local.requests + node.requests + cloud.requests; }
  // Share of requests that never left the organisation, in per-mille (1000 when none were made).
  int64_t in_org_permille() const;
};

struct BillLine {
  std::string description;     // "Registry storage (Pay-as-you-go, GBP 0.05 per GB-month)"
  int64_t quantity_milli = 0;  // quantity in thousandths of `unit`
  std::string unit;            // "month", "node", "GB-month", "GB"
  int64_t unit_price_micro_gbp = 0;
  int64_t amount_pence = 0;  // rounded half up from the exact amount
};

struct Bill {
  std::string org;
  std::string month;
  std::string plan;  // display name
  std::vector<BillLine> lines;
  int64_t total_pence = 0;  // == sum of lines[].amount_pence
};

// When a trial of `plan.trial_days` started at `plan_started_ms` ends (plan_started_ms when none).
int64_t TrialEndsMs(const Plan& plan, int64_t plan_started_ms);

// The month's bill: the fee (waived pro rata for the part of the month before `trial_ends_ms`),
// then one line per usage charge that applies (see plans.h). Lines are listed even when zero for
// the fee, so a bill is never empty. InvalidArgument when the usage has no month span.
Result<Bill> ComputeBill(const Plan& plan, const MonthUsage& usage, int64_t trial_ends_ms = 0);

// Plan-limit refusals. They are ResourceExhausted with a message starting "plan_limit_exceeded: "
// that names the limit, the usage and how to raise it, e.g.
//   plan_limit_exceeded: egress limit 10 GB of plan Developer reached (used 9.8 GB, this
//   download 0.5 GB); raise it with `locai plan set --org ORG <plan>`
// The server maps them to HTTP 402 with code "plan_limit_exceeded".
inline constexpr std::string_view kPlanLimitPrefix = "plan_limit_exceeded: ";
bool IsPlanLimitError(const Status& status);
Status NodeLimitExceeded(const Plan& plan, std::string_view org, int64_t enrolled_nodes);
Status RegistryLimitExceeded(const Plan& plan, std::string_view org, int64_t used_bytes,
                             int64_t push_bytes);
Status EgressLimitExceeded(const Plan& plan, std::string_view org, int64_t used_bytes,
                           int64_t download_bytes);

// OK when one more node / `push_bytes` more storage / `download_bytes` more egress fits the plan's
// enforced limit (EnforcedNodeLimit etc.), else the error above. Pre-checks only: the store and
// UsageMeter::ChargeEgress enforce atomically.
Status CheckNodeLimit(const Plan& plan, std::string_view org, int64_t enrolled_nodes);
Status CheckRegistryLimit(const Plan& plan, std::string_view org, int64_t used_bytes,
                          int64_t push_bytes);
Status CheckEgressLimit(const Plan& plan, std::string_view org, int64_t used_bytes,
                        int64_t download_bytes);

struct ThresholdWarning {
  std::string resource;  // "nodes" | "registry" | "egress"
  int percent = 0;       // 80 or 100: the highest threshold reached
  int64_t used = 0;      // nodes or bytes
  int64_t limit = 0;
  std::string message;  // "registry at 84 % of plan Developer (4.2 GB of 5 GB)"
};

// Warnings for each limited resource whose usage reached 80 % or 100 % of its plan limit (for
// allowances of an overage plan too: 100 % then means "billed from here"). Nodes compare
// active_nodes, registry storage_bytes, egress egress_registry_bytes.
std::vector<ThresholdWarning> ThresholdWarnings(const Plan& plan, const MonthUsage& usage);

// The warnings of `after` that `before` did not reach (a resource that went from under 80 % to
// 80 %, or from 80 % to 100 %): what to log once when a change crosses a threshold.
std::vector<ThresholdWarning> CrossedThresholds(const Plan& plan, const MonthUsage& before,
                                                const MonthUsage& after);

}  // namespace locai::control::metering

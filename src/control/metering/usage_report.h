// The usage report both `locai usage` and `GET /v1/admin/usage` show: usage against the plan's
// limits, the month's bill line by line in GBP, and the 80 % / 100 % warnings, so that the CLI
// and the API print the same figures. Thread-safety: pure functions over values.
//
// JSON shape (amounts as decimal strings and integer pence, never binary floats):
//   {"org", "month", "as_of_ms",
//    "plan": {"name", "display_name", "monthly_fee_gbp", "bills_overage",
//             "limits": {"nodes", "registry_bytes", "egress_bytes"}},   // null: no limit
//    "usage": {"active_nodes", "node_days", "registry_bytes", "registry_byte_months",
//              "registry_gb_months", "egress_registry_bytes", "egress_cloud_bytes",
//              "requests": {"local": {"requests", "tokens_in", "tokens_out"}, "node", "cloud",
//                           "total", "in_org_percent"}},
//    "warnings": [{"resource", "percent", "used", "limit", "message"}],
//    "bill": {"currency": "GBP", "lines": [{"description", "quantity", "unit",
//             "unit_price_gbp", "amount_gbp", "amount_pence"}], "total_gbp", "total_pence"}}
#pragma once

#include <string>
#include <vector>

#include "control/metering/bill.h"
#include "control/metering/plans.h"

namespace locai::control::metering {

std::string UsageReportJson(const Plan& plan, const MonthUsage& usage, const Bill& bill,
                            const std::vector<ThresholdWarning>& warnings);

// A plain-text table for a terminal.
std::string UsageReportText(const Plan& plan, const MonthUsage& usage, const Bill& bill,
                            const std::vector<ThresholdWarning>& warnings);

}  // namespace locai::control::metering

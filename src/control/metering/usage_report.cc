#include "control/metering/usage_report.h"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "control/metering/calendar.h"
#include "control/metering/money.h"

namespace locai::control::metering {
namespace {

using nlohmann::json;

json Limit(const std::optional<int64_t>& limit) { return limit ? json(*limit) : json(nullptr); }

json Route(const RouteUsage& route) {
  return {{"requests", route.requests},
          {"tokens_in", route.tokens_in},
          {"tokens_out", route.tokens_out}};
}

// Per-mille as a percentage with one decimal: 800 -> "80.0".
std::string Percent(int64_t permille) {
  return std::to_string(permille / 10) + "." + std::to_string(permille % 10);
}

std::string Pad(std::string text, size_t width) {
  if (text.size() < width) text.append(width - text.size(), ' ');
  return text;
}

std::string LimitText(const std::optional<int64_t>& limit, bool bytes) {
  if (!limit) return "no limit";
  return "limit " + (bytes ? FormatGb(*limit) + " GB" : std::to_string(*limit));
}

}  // namespace

std::string UsageReportJson(const Plan& plan, const MonthUsage& usage, const Bill& bill,
                            const std::vector<ThresholdWarning>& warnings) {
  json report;
  report["org"] = usage.org;
  report["month"] = usage.month;
  report["as_of_ms"] = usage.as_of_ms;
  report["plan"] = {{"name", plan.name},
                    {"display_name", plan.display_name},
                    {"monthly_fee_gbp", FormatPence(MicroToPence(plan.monthly_fee_micro_gbp))},
                    {"bills_overage", plan.bills_overage},
                    {"limits",
                     {{"nodes", Limit(plan.max_nodes)},
                      {"registry_bytes", Limit(plan.max_registry_bytes)},
                      {"egress_bytes", Limit(plan.max_egress_bytes)}}}};
  report["usage"] = {{"active_nodes", usage.active_nodes},
                     {"node_days", usage.node_days},
                     {"registry_bytes", usage.storage_bytes},
                     {"registry_byte_months", usage.storage_byte_months},
                     {"registry_gb_months", FormatGb(usage.storage_byte_months, 3)},
                     {"egress_registry_bytes", usage.egress_registry_bytes},
                     {"egress_cloud_bytes", usage.egress_cloud_bytes},
                     {"requests",
                      {{"local", Route(usage.local)},
                       {"node", Route(usage.node)},
                       {"cloud", Route(usage.cloud)},
                       {"total", usage.total_requests()},
                       {"in_org_percent", Percent(usage.in_org_permille())}}}};
  json warning_list = json::array();
  for (const ThresholdWarning& warning : warnings) {
    warning_list.push_back({{"resource", warning.resource},
                            {"percent", warning.percent},
                            {"used", warning.used},
                            {"limit", warning.limit},
                            {"message", warning.message}});
  }
  report["warnings"] = warning_list;
  json lines = json::array();
  for (const BillLine& line : bill.lines) {
    lines.push_back({{"description", line.description},
                     {"quantity", FormatMilli(line.quantity_milli)},
                     {"unit", line.unit},
                     {"unit_price_gbp", FormatMicroGbp(line.unit_price_micro_gbp)},
                     {"amount_gbp", FormatPence(line.amount_pence)},
                     {"amount_pence", line.amount_pence}});
  }
  report["bill"] = {{"currency", "GBP"},
                    {"lines", lines},
                    {"total_gbp", FormatPence(bill.total_pence)},
                    {"total_pence", bill.total_pence}};
  return report.dump(2, ' ', false, json::error_handler_t::replace);
}

std::string UsageReportText(const Plan& plan, const MonthUsage& usage, const Bill& bill,
                            const std::vector<ThresholdWarning>& warnings) {
  std::string out = "Organisation " + usage.org + ", " + usage.month + " (as of " +
                    DayKey(usage.as_of_ms) + "), plan " + plan.display_name + "\n\n";
  out += "  " + Pad("End nodes", 11) +
         Pad(std::to_string(usage.active_nodes) + " active, " + std::to_string(usage.node_days) +
                 " node-days",
             40) +
         LimitText(plan.max_nodes, false) + "\n";
  out += "  " + Pad("Registry", 11) +
         Pad(FormatGb(usage.storage_bytes) + " GB held, " + FormatGb(usage.storage_byte_months, 3) +
                 " GB-months",
             40) +
         LimitText(plan.max_registry_bytes, true) + "\n";
  out += "  " + Pad("Egress", 11) +
         Pad(FormatGb(usage.egress_registry_bytes) + " GB to nodes, " +
                 FormatGb(usage.egress_cloud_bytes) + " GB cloud",
             40) +
         LimitText(plan.max_egress_bytes, true) + "\n";
  out += "  " + Pad("Requests", 11) + std::to_string(usage.total_requests()) + " (this device " +
         std::to_string(usage.local.requests) + ", other devices " +
         std::to_string(usage.node.requests) + ", cloud " + std::to_string(usage.cloud.requests) +
         "); " + Percent(usage.in_org_permille()) + " % stayed in the organisation\n";
  out += "\nBill (GBP)\n";
  for (const BillLine& line : bill.lines) {
    char amount[32];
    std::snprintf(amount, sizeof(amount), "%10s", FormatPence(line.amount_pence).c_str());
    out += "  " + Pad(line.description, 56) +
           Pad(FormatMilli(line.quantity_milli) + " " + line.unit, 18) + " x " +
           Pad(FormatMicroGbp(line.unit_price_micro_gbp), 8) + amount + "\n";
  }
  char total[32];
  std::snprintf(total, sizeof(total), "%10s", FormatPence(bill.total_pence).c_str());
  out += "  " + Pad("Total", 56 + 18 + 3 + 8) + total + "\n";
  if (!warnings.empty()) {
    out += "\nWarnings\n";
    for (const ThresholdWarning& warning : warnings) out += "  " + warning.message + "\n";
  }
  return out;
}

}  // namespace locai::control::metering

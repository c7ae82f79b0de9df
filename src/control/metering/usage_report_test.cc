#include "control/metering/usage_report.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "control/metering/calendar.h"

namespace locai::control::metering {
namespace {

using nlohmann::json;

TEST(UsageReportTest, JsonAndTextShowTheSameFigures) {
  Plan developer = LoadPlanCatalog(DefaultPlansJson()).value().Find("developer").value();
  developer.per_egress_gb_micro_gbp = 140'000;  // a priced line to check
  MonthSpan span = ParseMonth("2026-11").value();
  MonthUsage usage;
  usage.org = "acme";
  usage.month = span.key;
  usage.month_start_ms = span.start_ms;
  usage.month_end_ms = span.end_ms;
  usage.as_of_ms = span.start_ms + 15 * kMsPerDay;
  usage.active_nodes = 2;
  usage.node_days = 20;
  usage.storage_bytes = 4'200'000'000;
  usage.storage_byte_months = 2'100'000'000;
  usage.egress_registry_bytes = 2'500'000'000;
  usage.local.requests = 8;
  usage.cloud.requests = 2;
  Bill bill = ComputeBill(developer, usage).value();
  auto warnings = ThresholdWarnings(developer, usage);

  json report = json::parse(UsageReportJson(developer, usage, bill, warnings));
  EXPECT_EQ(report["plan"]["limits"]["nodes"], 2);
  EXPECT_EQ(report["usage"]["registry_gb_months"], "2.1");
  EXPECT_EQ(report["usage"]["requests"]["in_org_percent"], "80.0");
  EXPECT_EQ(report["warnings"].size(), 2u);
  int64_t sum = 0;
  for (const json& line : report["bill"]["lines"]) sum += line["amount_pence"].get<int64_t>();
  EXPECT_EQ(report["bill"]["total_pence"], sum);
  EXPECT_EQ(report["bill"]["total_gbp"], "0.35");  // 2.5 GB x 0.14
  EXPECT_EQ(report["bill"]["lines"][1]["quantity"], "2.500");

  std::string text = UsageReportText(developer, usage, bill, warnings);
  EXPECT_NE(text.find("plan Developer"), std::string::npos) << text;
  EXPECT_NE(text.find("2 active, 20 node-days"), std::string::npos) << text;
  EXPECT_NE(text.find("4.2 GB held, 2.1 GB-months"), std::string::npos) << text;
  EXPECT_NE(text.find("0.35\n"), std::string::npos) << text;
  EXPECT_NE(text.find("80.0 % stayed"), std::string::npos) << text;
  EXPECT_NE(text.find("registry at 84 %"), std::string::npos) << text;
}

}  // namespace
}  // namespace locai::control::metering

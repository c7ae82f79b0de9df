#include "control/metering/bill.h"

#include <gtest/gtest.h>

#include "control/metering/calendar.h"
#include "control/metering/money.h"

namespace locai::control::metering {
namespace {

Plan PlanNamed(std::string_view name) {
  return LoadPlanCatalog(DefaultPlansJson()).value().Find(name).value();
}

MonthUsage November() {
  MonthUsage usage;
  MonthSpan span = ParseMonth("2026-11").value();
  usage.org = "org_a";
  usage.month = span.key;
  usage.month_start_ms = span.start_ms;
  usage.month_end_ms = span.end_ms;
  usage.as_of_ms = span.end_ms;
  return usage;
}

int64_t SumLines(const Bill& bill) {
  int64_t sum = 0;
  for (const BillLine& line : bill.lines) sum += line.amount_pence;
  return sum;
}

TEST(BillTest, PayAsYouGoChargesEveryUnit) {
  MonthUsage usage = November();
  usage.active_nodes = 3;
  usage.storage_byte_months = 5'000'000'000;     // 5 GB-months
  usage.egress_registry_bytes = 12'500'000'000;  // 12.5 GB
  usage.egress_cloud_bytes = 99'000'000'000;     // not billed
  Bill bill = ComputeBill(PlanNamed("payg"), usage).value();
  ASSERT_EQ(bill.lines.size(), 4u);
  EXPECT_EQ(bill.lines[0].amount_pence, 0);  // no monthly fee
  EXPECT_EQ(bill.lines[1].unit, "node");
  EXPECT_EQ(bill.lines[1].quantity_milli, 3000);
  EXPECT_EQ(bill.lines[1].amount_pence, 1500);  // 3 x 5.00
  EXPECT_EQ(bill.lines[2].unit, "GB-month");
  EXPECT_EQ(bill.lines[2].quantity_milli, 5000);
  EXPECT_EQ(bill.lines[2].amount_pence, 25);  // 5 x 0.05
  EXPECT_EQ(bill.lines[3].unit, "GB");
  EXPECT_EQ(bill.lines[3].quantity_milli, 12500);
  EXPECT_EQ(bill.lines[3].amount_pence, 175);  // 12.5 x 0.14
  EXPECT_EQ(bill.total_pence, 1700);
  EXPECT_EQ(bill.total_pence, SumLines(bill));
  EXPECT_EQ(bill.plan, "Pay-as-you-go");
}

TEST(BillTest, LinesRoundHalfUpAndTotalIsTheirSum) {
  MonthUsage usage = November();
  usage.storage_byte_months = 1'100'000'000;    // 1.1 GB-months x 0.05 = 0.055 -> 0.06
  usage.egress_registry_bytes = 1'035'714'286;  // x 0.14 = 0.14500000004 -> 0.15
  Bill bill = ComputeBill(PlanNamed("payg"), usage).value();
  EXPECT_EQ(bill.lines[2].amount_pence, 6);
  EXPECT_EQ(bill.lines[3].amount_pence, 15);
  EXPECT_EQ(bill.total_pence, 21);
  EXPECT_EQ(bill.total_pence, SumLines(bill));
}

TEST(BillTest, StarterFeeIsWaivedDuringTheTrial) {
  Plan starter = PlanNamed("starter");
  MonthUsage usage = November();
  Bill full = ComputeBill(starter, usage).value();
  ASSERT_EQ(full.lines.size(), 1u);  // fixed price: only the fee
  EXPECT_EQ(full.total_pence, 3500);

  // Trial started 15 days before November: it covers the first 15 of its 30 days.
  int64_t trial_end = TrialEndsMs(starter, usage.month_start_ms - 15 * kMsPerDay);
  EXPECT_EQ(trial_end, usage.month_start_ms + 15 * kMsPerDay);
  Bill half = ComputeBill(starter, usage, trial_end).value();
  EXPECT_EQ(half.lines[0].quantity_milli, 500);
  EXPECT_EQ(half.total_pence, 1750);
  EXPECT_NE(half.lines[0].description.find("trial until 2026-11-16"), std::string::npos);

  Bill free = ComputeBill(starter, usage, usage.month_end_ms + kMsPerDay).value();
  EXPECT_EQ(free.total_pence, 0);
}

TEST(BillTest, OverageAboveAllowance) {
  Plan plan = PlanNamed("payg");
  plan.max_nodes = 2;
  plan.max_egress_bytes = 10'000'000'000;
  MonthUsage usage = November();
  usage.active_nodes = 5;
  usage.egress_registry_bytes = 4'000'000'000;  // within the allowance
  Bill bill = ComputeBill(plan, usage).value();
  EXPECT_EQ(bill.lines[1].quantity_milli, 3000);
  EXPECT_EQ(bill.lines[1].amount_pence, 1500);
  EXPECT_EQ(bill.lines[3].amount_pence, 0);
  EXPECT_NE(bill.lines[1].description.find("above the 2 included"), std::string::npos);
}

TEST(BillTest, RefusesUsageWithoutMonth) {
  EXPECT_FALSE(ComputeBill(PlanNamed("payg"), MonthUsage{}));
}

TEST(BillTest, LimitErrorsNameLimitUsageAndRemedy) {
  Plan developer = PlanNamed("developer");
  Status egress = CheckEgressLimit(developer, "acme", 9'800'000'000, 500'000'000);
  ASSERT_FALSE(egress.ok());
  EXPECT_TRUE(IsPlanLimitError(egress));
  EXPECT_EQ(egress.code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(egress.message().rfind(
                "plan_limit_exceeded: egress limit 10 GB of plan Developer reached (used 9.8 GB, "
                "this download 0.5 GB); raise it with `locai plan set --org acme ",
                0),
            0u)
      << egress.message();
  EXPECT_TRUE(CheckEgressLimit(developer, "acme", 9'000'000'000, 1'000'000'000).ok());

  Status nodes = CheckNodeLimit(developer, "acme", 2);
  EXPECT_TRUE(IsPlanLimitError(nodes));
  EXPECT_NE(nodes.message().find("end node limit 2 of plan Developer"), std::string::npos);
  EXPECT_TRUE(CheckNodeLimit(developer, "acme", 1).ok());

  Status registry = CheckRegistryLimit(developer, "acme", 4'800'000'000, 300'000'000);
  EXPECT_TRUE(IsPlanLimitError(registry));
  EXPECT_NE(registry.message().find("registry limit 5 GB"), std::string::npos);

  EXPECT_TRUE(CheckEgressLimit(PlanNamed("payg"), "acme", 1'000'000'000'000, 1).ok());
  EXPECT_FALSE(IsPlanLimitError(Status::ResourceExhausted("queue full")));
  EXPECT_FALSE(IsPlanLimitError(Status::Ok()));
}

TEST(BillTest, ThresholdWarningsAt80And100Percent) {
  Plan developer = PlanNamed("developer");
  MonthUsage usage = November();
  EXPECT_TRUE(ThresholdWarnings(developer, usage).empty());
  usage.active_nodes = 2;                       // 100 %
  usage.storage_bytes = 4'200'000'000;          // 84 %
  usage.egress_registry_bytes = 7'900'000'000;  // 79 %: none
  auto warnings = ThresholdWarnings(developer, usage);
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_EQ(warnings[0].resource, "nodes");
  EXPECT_EQ(warnings[0].percent, 100);
  EXPECT_EQ(warnings[1].resource, "registry");
  EXPECT_EQ(warnings[1].percent, 80);
  EXPECT_NE(warnings[1].message.find("84 %"), std::string::npos) << warnings[1].message;
  EXPECT_NE(warnings[1].message.find("4.2 GB of 5 GB"), std::string::npos);
  EXPECT_TRUE(ThresholdWarnings(PlanNamed("payg"), usage).empty());  // no limits
}

TEST(BillTest, CrossedThresholdsAreReportedOnce) {
  Plan developer = PlanNamed("developer");
  MonthUsage before = November();
  before.egress_registry_bytes = 7'000'000'000;
  MonthUsage after = before;
  after.egress_registry_bytes = 8'500'000'000;  // crosses 80 %
  auto crossed = CrossedThresholds(developer, before, after);
  ASSERT_EQ(crossed.size(), 1u);
  EXPECT_EQ(crossed[0].resource, "egress");
  EXPECT_EQ(crossed[0].percent, 80);
  MonthUsage more = after;
  more.egress_registry_bytes = 9'000'000'000;  // still 80 %: nothing new
  EXPECT_TRUE(CrossedThresholds(developer, after, more).empty());
  more.egress_registry_bytes = 10'000'000'000;  // 100 %
  crossed = CrossedThresholds(developer, after, more);
  ASSERT_EQ(crossed.size(), 1u);
  EXPECT_EQ(crossed[0].percent, 100);
  EXPECT_NE(crossed[0].message.find("further use is refused"), std::string::npos);
}

TEST(BillTest, InOrgShare) {
  MonthUsage usage = November();
  EXPECT_EQ(usage.in_org_permille(), 1000);
  usage.local.requests = 6;
  usage.node.requests = 2;
  usage.cloud.requests = 2;
  EXPECT_EQ(usage.total_requests(), 10);
  EXPECT_EQ(usage.in_org_permille(), 800);
}

}  // namespace
}  // namespace locai::control::metering

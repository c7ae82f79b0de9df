#include "control/metering/usage_meter.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "control/metering/calendar.h"
#include "store/testing/temp_dir.h"

namespace locai::control::metering {
namespace {

using store::Database;
using store::testing::TempDir;

constexpr int64_t kGb = 1'000'000'000;
constexpr int64_t kNov1 = 20758LL * kMsPerDay;  // 2026-11-01T00:00:00Z
constexpr int64_t kDec1 = kNov1 + 30 * kMsPerDay;

class UsageMeterTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }

  // Opens the database file afresh, as a restarted server does.
  void Reopen() {
    meter_.reset();
    db_.reset();
    auto db = Database::Open(dir_.File("locai.db"));
    ASSERT_TRUE(db) << db.error().ToString();
    db_ = std::move(*db);
    auto meter = UsageMeter::Open(*db_, [this] { return now_.load(); });
    ASSERT_TRUE(meter) << meter.error().ToString();
    meter_ = std::move(*meter);
  }

  MonthUsage UsageOf(std::string_view month, std::string_view org = "acme") {
    auto usage = meter_->Usage(org, month);
    EXPECT_TRUE(usage) << usage.error().ToString();
    return usage ? *usage : MonthUsage{};
  }

  Plan PlanNamed(std::string_view name) {
    return LoadPlanCatalog(DefaultPlansJson()).value().Find(name).value();
  }

  TempDir dir_;
  std::atomic<int64_t> now_{kNov1};
  std::unique_ptr<Database> db_;
  std::unique_ptr<UsageMeter> meter_;
};

TEST_F(UsageMeterTest, TenGbForHalfAMonthIsFiveGbMonths) {
  ASSERT_TRUE(meter_->RecordStorage("acme", 10 * kGb, kNov1).ok());
  now_ = kNov1 + 15 * kMsPerDay;
  MonthUsage mid = UsageOf("2026-11");  // still held: counted up to now
  EXPECT_EQ(mid.storage_bytes, 10 * kGb);
  EXPECT_EQ(mid.storage_byte_months, 5 * kGb);
  ASSERT_TRUE(meter_->RecordStorage("acme", 0, now_).ok());  // model deleted
  now_ = kDec1 + 5 * kMsPerDay;
  MonthUsage nov = UsageOf("2026-11");
  EXPECT_EQ(nov.storage_byte_months, 5 * kGb);
  EXPECT_EQ(nov.storage_bytes, 0);
  EXPECT_EQ(nov.as_of_ms, kDec1);
  EXPECT_EQ(UsageOf("2026-12").storage_byte_months, 0);

  Bill bill = ComputeBill(PlanNamed("payg"), nov).value();
  ASSERT_EQ(bill.lines.size(), 4u);
  EXPECT_EQ(bill.lines[2].quantity_milli, 5000);  // 5.000 GB-months
  EXPECT_EQ(bill.lines[2].amount_pence, 25);      // x GBP 0.05
  EXPECT_EQ(bill.total_pence, 25);
}

TEST_F(UsageMeterTest, StorageIsSplitAtTheMonthBoundary) {
  // 31 GB from 2026-10-31T00:00 to 2026-11-02T00:00: one day in October (31 days), one in
  // November (30 days).
  ASSERT_TRUE(meter_->RecordStorage("acme", 31 * kGb, kNov1 - kMsPerDay).ok());
  ASSERT_TRUE(meter_->RecordStorage("acme", 0, kNov1 + kMsPerDay).ok());
  now_ = kDec1;
  EXPECT_EQ(UsageOf("2026-10").storage_byte_months, 1 * kGb);        // 31 GB x 1/31
  EXPECT_EQ(UsageOf("2026-10").storage_bytes, 31 * kGb);             // held at October's end
  EXPECT_EQ(UsageOf("2026-11").storage_byte_months, 1'033'333'333);  // 31 GB / 30, rounded
  EXPECT_EQ(UsageOf("2026-11").storage_bytes, 0);
}

TEST_F(UsageMeterTest, StorageChangesAccumulateAndSurviveRestart) {
  ASSERT_TRUE(meter_->RecordStorage("acme", 4 * kGb, kNov1).ok());
  ASSERT_TRUE(meter_->RecordStorage("acme", 10 * kGb, kNov1 + 6 * kMsPerDay).ok());  // push
  ASSERT_TRUE(meter_->RecordStorage("acme", 10 * kGb, kNov1 + 9 * kMsPerDay).ok());  // same
  ASSERT_TRUE(meter_->RecordStorage("acme", 2 * kGb, kNov1 + 12 * kMsPerDay).ok());  // delete
  Reopen();
  now_ = kDec1;
  // 4 GB x 6 d + 10 GB x 6 d + 2 GB x 18 d = 120 GB-days = 4 GB-months of a 30-day month.
  EXPECT_EQ(UsageOf("2026-11").storage_byte_months, 4 * kGb);
  // Held on: December counts from its start.
  now_ = kDec1 + 31 * kMsPerDay;
  EXPECT_EQ(UsageOf("2026-12").storage_byte_months, 2 * kGb);
  EXPECT_EQ(UsageOf("2026-12").storage_bytes, 2 * kGb);
}

TEST_F(UsageMeterTest, ClockGoingBackCountsNothing) {
  ASSERT_TRUE(meter_->RecordStorage("acme", 30 * kGb, kNov1 + 10 * kMsPerDay).ok());
  ASSERT_TRUE(meter_->RecordStorage("acme", 30 * kGb, kNov1 + 5 * kMsPerDay).ok());  // backwards
  ASSERT_TRUE(meter_->RecordStorage("acme", 0, kNov1 + 11 * kMsPerDay).ok());
  now_ = kDec1;
  EXPECT_EQ(UsageOf("2026-11").storage_byte_months, 1 * kGb);  // 30 GB x 1 day / 30
}

TEST_F(UsageMeterTest, TenTerabytesForAMonthDoesNotOverflow) {
  ASSERT_TRUE(meter_->RecordStorage("acme", 10'000 * kGb, kNov1).ok());
  ASSERT_TRUE(meter_->RecordStorage("acme", 10'000 * kGb, kDec1).ok());  // integrates the month
  now_ = kDec1 + kMsPerDay;
  EXPECT_EQ(UsageOf("2026-11").storage_byte_months, 10'000 * kGb);
}

TEST_F(UsageMeterTest, NodesActivePerMonthWithNodeDays) {
  ASSERT_TRUE(meter_->RecordNodeSeen("acme", "n_a", kNov1 - 1).ok());  // October
  ASSERT_TRUE(meter_->RecordNodeSeen("acme", "n_a", kNov1).ok());
  ASSERT_TRUE(meter_->RecordNodeSeen("acme", "n_a", kNov1 + 1000).ok());  // same day
  ASSERT_TRUE(meter_->RecordNodeSeen("acme", "n_a", kNov1 + kMsPerDay).ok());
  ASSERT_TRUE(meter_->RecordNodeSeen("acme", "n_b", kNov1 + kMsPerDay).ok());
  ASSERT_TRUE(meter_->RecordNodeSeen("other", "n_c", kNov1).ok());
  Reopen();
  MonthUsage nov = UsageOf("2026-11");
  EXPECT_EQ(nov.active_nodes, 2);
  EXPECT_EQ(nov.node_days, 3);
  EXPECT_EQ(UsageOf("2026-10").active_nodes, 1);
  EXPECT_EQ(UsageOf("2026-11", "other").active_nodes, 1);
}

TEST_F(UsageMeterTest, EgressAndRequestsKeptApartAndSurviveRestart) {
  ASSERT_TRUE(meter_->RecordEgress("acme", "registry", 3 * kGb, kNov1).ok());
  ASSERT_TRUE(meter_->RecordEgress("acme", "registry", 1 * kGb, kNov1 + 5).ok());
  ASSERT_TRUE(meter_->RecordEgress("acme", "cloud", 7, kNov1).ok());
  ASSERT_TRUE(meter_->RecordEgress("acme", "registry", 9, kDec1).ok());
  ASSERT_TRUE(meter_->RecordRequest("acme", "local", 10, 20, kNov1).ok());
  ASSERT_TRUE(meter_->RecordRequest("acme", "local", 1, 2, kNov1).ok());
  ASSERT_TRUE(meter_->RecordRequest("acme", "node", 5, 5, kNov1).ok());
  ASSERT_TRUE(meter_->RecordRequest("acme", "cloud", 100, 200, kNov1).ok());
  Reopen();
  MonthUsage nov = UsageOf("2026-11");
  EXPECT_EQ(nov.egress_registry_bytes, 4 * kGb);
  EXPECT_EQ(nov.egress_cloud_bytes, 7);
  EXPECT_EQ(nov.local.requests, 2);
  EXPECT_EQ(nov.local.tokens_in, 11);
  EXPECT_EQ(nov.local.tokens_out, 22);
  EXPECT_EQ(nov.node.requests, 1);
  EXPECT_EQ(nov.cloud.tokens_out, 200);
  EXPECT_EQ(nov.in_org_permille(), 750);
  EXPECT_EQ(UsageOf("2026-12").egress_registry_bytes, 9);
}

TEST_F(UsageMeterTest, EgressQuotaRefusesWithNothingRecorded) {
  Plan developer = PlanNamed("developer");
  ASSERT_TRUE(meter_->ChargeEgress("acme", developer, 9'800'000'000, kNov1).ok());
  EXPECT_TRUE(meter_->CheckEgress("acme", developer, 200'000'000).ok());
  Status refused = meter_->ChargeEgress("acme", developer, 500'000'000, kNov1 + 1);
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(IsPlanLimitError(refused));
  EXPECT_NE(refused.message().find("egress limit 10 GB of plan Developer reached (used 9.8 GB, "
                                   "this download 0.5 GB)"),
            std::string::npos)
      << refused.message();
  EXPECT_FALSE(meter_->CheckEgress("acme", developer, 500'000'000).ok());
  EXPECT_EQ(UsageOf("2026-11").egress_registry_bytes, 9'800'000'000);
  // A plan that bills overage is never refused.
  EXPECT_TRUE(meter_->ChargeEgress("acme", PlanNamed("payg"), 50 * kGb, kNov1 + 2).ok());
  // The quota is monthly.
  now_ = kDec1;
  EXPECT_TRUE(meter_->CheckEgress("acme", developer, 9 * kGb).ok());
}

// Two downloads race for the last 6 GB of a 10 GB quota through two connections: one wins.
TEST_F(UsageMeterTest, RacingDownloadsTakeTheLastOfTheQuotaOnce) {
  Plan developer = PlanNamed("developer");
  ASSERT_TRUE(meter_->ChargeEgress("acme", developer, 4 * kGb, kNov1).ok());
  for (int round = 0; round < 5; ++round) {
    std::atomic<int> ok{0}, refused{0};
    std::vector<std::thread> threads;
    std::string month_org = "race" + std::to_string(round);
    ASSERT_TRUE(meter_->ChargeEgress(month_org, developer, 4 * kGb, kNov1).ok());
    for (int t = 0; t < 2; ++t) {
      threads.emplace_back([&] {
        auto db = Database::Open(dir_.File("locai.db"));
        ASSERT_TRUE(db);
        auto meter = UsageMeter::Open(**db, [] { return kNov1; });
        ASSERT_TRUE(meter);
        Status status = (*meter)->ChargeEgress(month_org, developer, 6 * kGb, kNov1 + 1);
        (status.ok() ? ok : refused)++;
        if (!status.ok()) {
          EXPECT_TRUE(IsPlanLimitError(status)) << status.ToString();
        }
      });
    }
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(ok.load(), 1);
    EXPECT_EQ(refused.load(), 1);
    EXPECT_EQ(UsageOf("2026-11", month_org).egress_registry_bytes, 10 * kGb);
  }
}

TEST_F(UsageMeterTest, MeteredMonthGivesTheExpectedBill) {
  Plan payg = PlanNamed("payg");
  for (const char* node : {"n_1", "n_2", "n_3"}) {
    ASSERT_TRUE(meter_->RecordNodeSeen("acme", node, kNov1 + kMsPerDay).ok());
  }
  ASSERT_TRUE(meter_->RecordStorage("acme", 20 * kGb, kNov1).ok());
  ASSERT_TRUE(meter_->RecordStorage("acme", 0, kNov1 + 3 * kMsPerDay).ok());  // 2 GB-months
  ASSERT_TRUE(meter_->ChargeEgress("acme", payg, 25 * kGb, kNov1 + kMsPerDay).ok());
  now_ = kDec1;
  MonthUsage nov = UsageOf("2026-11");
  Bill bill = ComputeBill(payg, nov).value();
  int64_t sum = 0;
  for (const BillLine& line : bill.lines) sum += line.amount_pence;
  EXPECT_EQ(bill.total_pence, sum);
  EXPECT_EQ(bill.lines[1].amount_pence, 1500);  // 3 nodes x 5.00
  EXPECT_EQ(bill.lines[2].amount_pence, 10);    // 2 GB-months x 0.05
  EXPECT_EQ(bill.lines[3].amount_pence, 350);   // 25 GB x 0.14
  EXPECT_EQ(bill.total_pence, 1860);
}

TEST_F(UsageMeterTest, RefusesBadInput) {
  EXPECT_EQ(meter_->RecordEgress("acme", "s3", 1, kNov1).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(meter_->RecordEgress("acme", "cloud", -1, kNov1).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(meter_->RecordRequest("acme", "moon", 1, 1, kNov1).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(meter_->RecordStorage("", 1, kNov1).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(meter_->RecordNodeSeen("acme", "", kNov1).code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(meter_->Usage("acme", "2026-13"));
  EXPECT_EQ(UsageOf("2027-05").storage_byte_months, 0);  // a future month is empty
}

}  // namespace
}  // namespace locai::control::metering

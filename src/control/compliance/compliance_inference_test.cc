// Compliance::RecordInference, prompt capture, scheduled retention and plan warnings, on real
// SQLite with a fake clock.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>
#include <vector>

#include "control/compliance/compliance.h"
#include "control/compliance/compliance_fixture.h"

namespace locai::control::compliance {
namespace {

using nlohmann::json;

constexpr int64_t kDayMs = 86'400'000;
constexpr int64_t kGB = 1'000'000'000;
constexpr char kCanary[] = "CANARY-7f3a9c-zebra-quartz";

InferenceRecord Request(const std::string& id, const std::string& route,
                        const std::string& target) {
  InferenceRecord record;
  record.at_ms = testing::kNov10Ms;
  record.request_id = id;
  record.org_id = "org_acme";
  record.actor = "key:k_123";
  record.endpoint = "/v1/chat/completions";
  record.model = "llama3.2:1b";
  record.route = route;
  record.target = target;
  record.prompt_tokens = 12;
  record.completion_tokens = 30;
  record.duration_ms = 250;
  record.status = 200;
  return record;
}

std::string ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

class ComplianceInferenceTest : public testing::ComplianceTest {
 protected:
  std::vector<json> Exported() {
    std::stringstream out;
    EXPECT_TRUE(compliance_->audit_log().Export(0, "jsonl", out).ok());
    std::vector<json> records;
    for (std::string line; std::getline(out, line);) records.push_back(json::parse(line));
    return records;
  }

  std::vector<json> InferenceRecords() {
    std::vector<json> all = Exported();
    std::vector<json> inference;
    std::copy_if(all.begin(), all.end(), std::back_inserter(inference),
                 [](const json& r) { return r["kind"] == "inference"; });
    return inference;
  }

  // Every byte SQLite and the audit head file hold on disk, the WAL folded into the database.
  std::string DiskBytes() {
    EXPECT_TRUE(store_->database().Exec("PRAGMA wal_checkpoint(TRUNCATE)").ok());
    const std::string db = dir_.File("server/locai.db");
    return ReadFileBytes(db) + ReadFileBytes(db + "-wal") + ReadFileBytes(db + "-journal") +
           ReadFileBytes(dir_.File("server/audit.head"));
  }

  bool LogHas(const std::string& needle) {
    for (const std::string& line : LogLines()) {
      if (line.find(needle) != std::string::npos) return true;
    }
    return false;
  }
};

TEST_F(ComplianceInferenceTest, RecordsOneAuditRecordPerRequestWithRouteAndMetering) {
  InferenceRecord local = Request("req-local", "local", "");
  local.pii_detections = {{"email", 2}, {"phone", 1}};
  InferenceRecord node = Request("req-node", "node", "node_b");
  InferenceRecord cloud = Request("req-cloud", "cloud", "openai");
  cloud.cloud_bytes_sent = 1200;
  cloud.cloud_bytes_received = 3400;
  InferenceRecord refused = Request("req-refused", "", "");
  refused.status = 402;
  refused.error = "no route for this model";
  refused.prompt_tokens = 0;
  refused.completion_tokens = 0;
  for (const auto& record : {local, node, cloud, refused}) compliance_->RecordInference(record);
  compliance_->FlushInference();

  std::vector<json> records = InferenceRecords();
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(records[0]["action"], "inference.request");
  EXPECT_EQ(records[0]["request_id"], "req-local");
  EXPECT_EQ(records[0]["org"], "org_acme");
  EXPECT_EQ(records[0]["actor"], "k_123");
  EXPECT_EQ(records[0]["model"], "llama3.2:1b");
  EXPECT_EQ(records[0]["route"], "local");
  EXPECT_EQ(records[0]["tokens_in"], 12);
  EXPECT_EQ(records[0]["tokens_out"], 30);
  EXPECT_EQ(records[0]["duration_ms"], 250);
  EXPECT_EQ(records[0]["status"], 200);
  EXPECT_EQ(records[0]["pii"], (json{{"email", 2}, {"phone", 1}}));
  EXPECT_EQ(records[0]["details"]["endpoint"], "/v1/chat/completions");
  EXPECT_EQ(records[0]["details"]["started_ms"], testing::kNov10Ms);
  EXPECT_EQ(records[0]["content_captured"], false);
  EXPECT_EQ(records[1]["route"], "node");
  EXPECT_EQ(records[1]["node"], "node_b");
  EXPECT_EQ(records[2]["node"], "openai");
  EXPECT_EQ(records[2]["details"]["cloud_bytes_sent"], 1200);
  EXPECT_EQ(records[2]["details"]["cloud_bytes_received"], 3400);
  EXPECT_EQ(records[3]["route"], "");
  EXPECT_EQ(records[3]["status"], 402);
  EXPECT_EQ(records[3]["details"]["error"], "no route for this model");

  auto usage = compliance_->meter().CurrentUsage("org_acme");
  ASSERT_TRUE(usage) << usage.error().ToString();
  EXPECT_EQ(usage->local.requests, 1);
  EXPECT_EQ(usage->node.requests, 1);
  EXPECT_EQ(usage->cloud.requests, 1);
  EXPECT_EQ(usage->cloud.tokens_in, 12);
  EXPECT_EQ(usage->cloud.tokens_out, 30);
  EXPECT_EQ(usage->total_requests(), 3);  // the refused one is audited, not metered
  EXPECT_EQ(usage->egress_cloud_bytes, 4600);
  EXPECT_EQ(usage->egress_registry_bytes, 0);  // cloud egress kept apart from the registry's

  auto report = compliance_->audit_log().Verify();
  ASSERT_TRUE(report);
  EXPECT_TRUE(report->ok) << report->message;
}

TEST_F(ComplianceInferenceTest, CanaryNeverReachesTheDiskWithCaptureOff) {
  EXPECT_FALSE(compliance_->CapturePrompts("org_acme"));
  // The gateway sends no text with capture off; even a record that carries some keeps none.
  InferenceRecord record = Request("req-1", "local", "");
  record.prompt_text = std::string("tell me about ") + kCanary;
  record.completion_text = std::string("the answer ") + kCanary;
  record.error = "";
  compliance_->RecordInference(record);
  compliance_->FlushInference();
  ASSERT_EQ(InferenceRecords().size(), 1u);
  EXPECT_EQ(InferenceRecords()[0]["content_captured"], false);
  EXPECT_EQ(DiskBytes().find(kCanary), std::string::npos);
  for (const std::string& line : LogLines()) EXPECT_EQ(line.find(kCanary), std::string::npos);
}

TEST_F(ComplianceInferenceTest, CanaryOnlyInThePromptTableWithCaptureOn) {
  ASSERT_TRUE(compliance_->settings().SetPromptCapture("org_acme", true, 7, now_.load()));
  EXPECT_TRUE(compliance_->CapturePrompts("org_acme"));
  InferenceRecord record = Request("req-1", "node", "node_b");
  record.prompt_text = std::string("tell me about ") + kCanary;
  record.completion_text = "a completion";
  compliance_->RecordInference(record);
  compliance_->FlushInference();

  std::vector<json> records = InferenceRecords();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0]["content_captured"], true);
  EXPECT_EQ(records[0].dump().find(kCanary), std::string::npos);
  auto content = compliance_->audit_log().Content(records[0]["seq"].get<int64_t>());
  ASSERT_TRUE(content && *content);
  EXPECT_EQ((*content)->prompt, record.prompt_text);
  EXPECT_EQ((*content)->completion, "a completion");
  EXPECT_NE(DiskBytes().find(kCanary), std::string::npos);

  // Remove the prompt table's rows: nothing else held the text, so the file no longer does.
  ASSERT_TRUE(store_->database().Exec("DELETE FROM audit_content").ok());
  EXPECT_EQ(DiskBytes().find(kCanary), std::string::npos);
  for (const std::string& line : LogLines()) EXPECT_EQ(line.find(kCanary), std::string::npos);
}

TEST_F(ComplianceInferenceTest, TextCapturedBeforeTheSwitchWentOffIsDropped) {
  ASSERT_TRUE(compliance_->settings().SetPromptCapture("org_acme", true, std::nullopt, 1));
  ASSERT_TRUE(compliance_->settings().SetPromptCapture("org_acme", false, std::nullopt, 2));
  InferenceRecord record = Request("req-1", "local", "");
  record.prompt_text = kCanary;
  compliance_->RecordInference(record);
  compliance_->FlushInference();
  ASSERT_EQ(InferenceRecords().size(), 1u);
  EXPECT_EQ(InferenceRecords()[0]["content_captured"], false);
  EXPECT_EQ(DiskBytes().find(kCanary), std::string::npos);
}

TEST_F(ComplianceInferenceTest, PromptCaptureIsPerOrganisationAndSurvivesARestart) {
  auto initial = compliance_->settings().PromptCapture("org_acme");
  ASSERT_TRUE(initial);
  EXPECT_FALSE(initial->enabled);
  EXPECT_EQ(initial->retention_days, kDefaultPromptRetentionDays);
  auto set = compliance_->settings().SetPromptCapture("org_acme", true, 14, now_.load());
  ASSERT_TRUE(set);
  EXPECT_TRUE(compliance_->CapturePrompts("org_acme"));
  EXPECT_FALSE(compliance_->CapturePrompts("org_default"));
  EXPECT_FALSE(compliance_->settings().SetPromptCapture("org_acme", true, 0, now_.load()));
  EXPECT_FALSE(compliance_->settings().SetPromptCapture("", true, 5, now_.load()));

  OpenCompliance();
  auto reopened = compliance_->settings().PromptCapture("org_acme");
  ASSERT_TRUE(reopened);
  EXPECT_TRUE(reopened->enabled);
  EXPECT_EQ(reopened->retention_days, 14);
  // Turning it off keeps the period.
  auto off = compliance_->settings().SetPromptCapture("org_acme", false, std::nullopt, 5);
  ASSERT_TRUE(off);
  EXPECT_FALSE(off->enabled);
  EXPECT_EQ(off->retention_days, 14);
  EXPECT_FALSE(compliance_->CapturePrompts("org_acme"));
}

TEST_F(ComplianceInferenceTest, AuditRetentionDaysDefaultAndPersist) {
  EXPECT_EQ(compliance_->settings().AuditRetentionDays().value(), kDefaultAuditRetentionDays);
  EXPECT_FALSE(compliance_->settings().SetAuditRetentionDays(0).ok());
  EXPECT_FALSE(compliance_->settings().SetAuditRetentionDays(kMaxRetentionDays + 1).ok());
  ASSERT_TRUE(compliance_->settings().SetAuditRetentionDays(90).ok());
  OpenCompliance();
  EXPECT_EQ(compliance_->settings().AuditRetentionDays().value(), 90);
}

TEST_F(ComplianceInferenceTest, RetentionRemovesOldRecordsAndTheChainStillVerifies) {
  ASSERT_TRUE(compliance_->settings().SetAuditRetentionDays(30).ok());
  ASSERT_TRUE(compliance_->settings().SetPromptCapture("org_acme", true, 7, now_.load()));
  InferenceRecord old_request = Request("req-old", "local", "");
  old_request.prompt_text = "old prompt";
  compliance_->RecordInference(old_request);
  compliance_->FlushInference();
  now_ += 10 * kDayMs;
  InferenceRecord newer = Request("req-new", "local", "");
  newer.prompt_text = "newer prompt";
  compliance_->RecordInference(newer);
  compliance_->FlushInference();

  // Day 10: the first text is past its 7 days, no record past 30 days.
  auto run = compliance_->RunRetention();
  ASSERT_TRUE(run) << run.error().ToString();
  EXPECT_EQ(run->audit_records, 0);
  EXPECT_EQ(run->captured_texts, 1);
  std::vector<json> records = InferenceRecords();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_FALSE(compliance_->audit_log().Content(records[0]["seq"].get<int64_t>()).value());
  EXPECT_TRUE(compliance_->audit_log().Content(records[1]["seq"].get<int64_t>()).value());

  // Day 35: the records of day 0 go, with a signed checkpoint; the chain verifies.
  now_ += 25 * kDayMs;
  run = compliance_->RunRetention();
  ASSERT_TRUE(run) << run.error().ToString();
  EXPECT_EQ(run->audit_records, 1);  // the first request
  records = InferenceRecords();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0]["request_id"], "req-new");
  auto report = compliance_->audit_log().Verify();
  ASSERT_TRUE(report);
  EXPECT_TRUE(report->ok) << report->message;
  EXPECT_TRUE(LogHas("audit: retention removed"));
}

TEST_F(ComplianceInferenceTest, RetentionThreadRunsOnItsInterval) {
  retention_interval_ms_ = 20;
  OpenCompliance();
  ASSERT_TRUE(compliance_->settings().SetAuditRetentionDays(1).ok());
  compliance_->RecordInference(Request("req-1", "local", ""));
  compliance_->FlushInference();
  ASSERT_EQ(InferenceRecords().size(), 1u);
  now_ += 2 * kDayMs;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!InferenceRecords().empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(InferenceRecords().empty());
  auto report = compliance_->audit_log().Verify();
  ASSERT_TRUE(report);
  EXPECT_TRUE(report->ok) << report->message;
}

TEST_F(ComplianceInferenceTest, QueuedRecordsAreWrittenOnShutdown) {
  for (int i = 0; i < 50; ++i) compliance_->RecordInference(Request("req", "local", ""));
  compliance_.reset();  // no Flush: the destructor writes what is queued
  OpenCompliance();
  EXPECT_EQ(InferenceRecords().size(), 50u);
  EXPECT_EQ(compliance_->meter().CurrentUsage("org_acme")->local.requests, 50);
}

TEST_F(ComplianceInferenceTest, RecordInferenceIsQuickOnTheCallersThread) {
  constexpr int kRequests = 2000;
  std::vector<int64_t> micros;
  micros.reserve(kRequests);
  InferenceRecord record = Request("req", "node", "node_b");
  record.pii_detections = {{"email", 1}};
  for (int i = 0; i < kRequests; ++i) {
    const auto start = std::chrono::steady_clock::now();
    compliance_->RecordInference(record);
    micros.push_back(std::chrono::duration_cast<std::chrono::microseconds>(
                         std::chrono::steady_clock::now() - start)
                         .count());
  }
  std::sort(micros.begin(), micros.end());
  const int64_t p50 = micros[kRequests / 2];
  const int64_t p99 = micros[kRequests * 99 / 100];
  std::printf("RecordInference: p50 %lld us, p99 %lld us\n", static_cast<long long>(p50),
              static_cast<long long>(p99));
  EXPECT_LT(p50, 1000);
  compliance_->FlushInference();
  EXPECT_EQ(InferenceRecords().size(), static_cast<size_t>(kRequests));
}

TEST_F(ComplianceInferenceTest, PlanWarningsAreLoggedOncePerThresholdAndMonth) {
  // acme is on Developer: 10 GB of egress.
  ASSERT_TRUE(compliance_->ChargeEgress("org_acme", 7 * kGB).ok());
  EXPECT_FALSE(LogHas("plan warning"));
  ASSERT_TRUE(compliance_->ChargeEgress("org_acme", kGB + kGB / 2).ok());  // 85 %
  EXPECT_TRUE(LogHas("plan warning: org acme (org_acme) 2026-11: egress at 85 %"));
  ASSERT_TRUE(compliance_->ChargeEgress("org_acme", kGB / 10).ok());  // 86 %: no new line
  auto count = [&](const std::string& needle) {
    std::vector<std::string> lines = LogLines();
    return std::count_if(lines.begin(), lines.end(), [&](const std::string& line) {
      return line.find(needle) != std::string::npos;
    });
  };
  EXPECT_EQ(count("plan warning"), 1);
  ASSERT_TRUE(compliance_->ChargeEgress("org_acme", 14 * kGB / 10).ok());  // exactly 100 %
  EXPECT_EQ(count("plan warning"), 2);
  EXPECT_TRUE(LogHas("egress at 100 %"));
  // A restart does not log them again; nodes have their own warnings (2 nodes on Developer).
  OpenCompliance();
  ASSERT_TRUE(compliance_->RecordNodeSeen("org_acme", "node_a").ok());
  EXPECT_EQ(count("plan warning"), 2);  // 1 of 2 nodes is 50 %
  ASSERT_TRUE(compliance_->RecordNodeSeen("org_acme", "node_b").ok());
  EXPECT_TRUE(LogHas("nodes at 100 %"));
  EXPECT_EQ(count("plan warning"), 3);
  // The API shows them too.
  auto report = compliance_->UsageReport("org_acme", "2026-11", false);
  ASSERT_TRUE(report);
  json warnings = json::parse(*report)["warnings"];
  ASSERT_EQ(warnings.size(), 2u);
  // Next month starts over.
  now_ += 25 * kDayMs;
  ASSERT_TRUE(compliance_->ChargeEgress("org_acme", 9 * kGB).ok());
  EXPECT_TRUE(LogHas("2026-12: egress at 90 %"));
}

TEST_F(ComplianceInferenceTest, AMonthOfStorageGivesGbMonthsAndTheBill) {
  ASSERT_TRUE(compliance_->SetPlan("org_acme", "payg"));
  // 2026-11-01 00:00Z is 9 days before the fixture's clock; November has 30 days.
  const int64_t nov1 = testing::kNov10Ms - 9 * kDayMs;
  now_ = nov1;
  ASSERT_TRUE(compliance_->meter().RecordStorage("org_acme", 10 * kGB, now_.load()).ok());
  now_ = nov1 + 15 * kDayMs;  // 10 GB held for half the month ...
  ASSERT_TRUE(compliance_->meter().RecordStorage("org_acme", 4 * kGB, now_.load()).ok());
  now_ = nov1 + 30 * kDayMs + 5 * kDayMs;  // ... then 4 GB to its end; the report is read later
  auto report = compliance_->UsageReport("org_acme", "2026-11", false);
  ASSERT_TRUE(report) << report.error().ToString();
  json usage = json::parse(*report);
  // 10 x 0.5 + 4 x 0.5 = 7 GB-months, at GBP 0.05 = GBP 0.35.
  EXPECT_EQ(usage["usage"]["registry_byte_months"], 7 * kGB) << usage.dump(2);
  EXPECT_EQ(usage["bill"]["total_pence"], 35) << usage.dump(2);
}

}  // namespace
}  // namespace locai::control::compliance

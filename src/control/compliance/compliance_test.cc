#include "control/compliance/compliance.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "control/compliance/compliance_fixture.h"
#include "control/compliance/plan_limit_reply.h"
#include "control/metering/bill.h"

namespace locai::control::compliance {
namespace {

using nlohmann::json;
using testing::ComplianceTest;

constexpr int64_t kGB = 1'000'000'000;

store::JoinToken Token(const std::string& id, const std::string& org) {
  return store::JoinToken{id, org, "hash", "default", testing::kNov10Ms + 86'400'000, 10, 0, false};
}

store::Node NewNode(const std::string& id) {
  store::Node node;
  node.id = id;
  node.name = id;
  node.public_key = "pk";
  return node;
}

TEST_F(ComplianceTest, AuditAdapterWritesAVerifiableChain) {
  control::AuditEvent event;
  event.org_id = "org_acme";
  event.actor = "key:k1";
  event.action = "admin.key.create";
  event.target = "k2";
  compliance_->Audit(event);
  event.action = "registry.tag.put";
  event.target = "llama3.2:1b";
  event.detail = "sha256:ab";
  compliance_->Audit(event);
  event.action = "node.enroll";
  event.actor = "system";
  compliance_->Audit(event);

  auto report = compliance_->audit_log().Verify();
  ASSERT_TRUE(report) << report.error().ToString();
  EXPECT_TRUE(report->ok) << report->message;
  EXPECT_EQ(report->records_checked, 3);
  EXPECT_EQ(report->head_seq, 3);

  std::ostringstream out;
  ASSERT_TRUE(compliance_->audit_log().Export(0, "jsonl", out).ok());
  std::istringstream lines(out.str());
  std::vector<json> records;
  for (std::string line; std::getline(lines, line);) records.push_back(json::parse(line));
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0]["kind"], "admin");
  EXPECT_EQ(records[0]["action"], "key.create");
  EXPECT_EQ(records[0]["actor"], "k1");
  EXPECT_EQ(records[0]["org"], "org_acme");
  EXPECT_EQ(records[1]["action"], "model.push");
  EXPECT_EQ(records[1]["target"], "llama3.2:1b");
  EXPECT_EQ(records[1]["details"]["detail"], "sha256:ab");
  EXPECT_EQ(records[1]["details"]["server_action"], "registry.tag.put");
  EXPECT_EQ(records[2]["action"], "node.enroll");
  EXPECT_EQ(records[2]["prev_hash"], records[1]["hash"]);
}

TEST_F(ComplianceTest, AuditKeyAndHeadFileLiveInTheServerDirectory) {
  struct stat st {};
  ASSERT_EQ(::stat(dir_.File("server/audit.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  control::AuditEvent event{0, "org_acme", "key:k", "admin.key.revoke", "k", ""};
  compliance_->Audit(event);
  std::ifstream head(dir_.File("server/audit.head"));
  std::string line;
  std::getline(head, line);
  EXPECT_EQ(line.substr(0, 2), "1 ");

  // A restart keeps the key and continues the chain.
  OpenCompliance();
  compliance_->Audit(event);
  auto report = compliance_->audit_log().Verify();
  ASSERT_TRUE(report);
  EXPECT_TRUE(report->ok) << report->message;
  EXPECT_EQ(report->records_checked, 2);
}

TEST_F(ComplianceTest, ActionNamesMapOntoTheAuditLogs) {
  EXPECT_EQ(AuditActionFor("admin.key.revoke"), "key.revoke");
  EXPECT_EQ(AuditActionFor("registry.tag.delete"), "model.delete");
  EXPECT_EQ(AuditActionFor("admin.something.new"), "something.new");
  EXPECT_EQ(AuditActionFor("deployment.rollback"), "deployment.rollback");
}

TEST_F(ComplianceTest, LimitsFollowThePlan) {
  EXPECT_EQ(compliance_->NodeLimit("org_acme"), std::optional<int64_t>(2));
  EXPECT_EQ(compliance_->RegistryLimit("org_acme"), std::optional<uint64_t>(5 * kGB));
  // The operator's organisation is unlimited.
  EXPECT_EQ(compliance_->NodeLimit("org_default"), std::nullopt);
  EXPECT_EQ(compliance_->RegistryLimit("org_default"), std::nullopt);
  // "free" (the admin API's default) is the catalog's default plan, Developer.
  ASSERT_TRUE(store_->CreateOrg({"org_free", "freebie", "free", 3000}).ok());
  EXPECT_EQ(compliance_->NodeLimit("org_free"), std::optional<int64_t>(2));
  // Pay-as-you-go bills overage instead of refusing.
  ASSERT_TRUE(compliance_->SetPlan("org_acme", "payg"));
  EXPECT_EQ(compliance_->NodeLimit("org_acme"), std::nullopt);
  EXPECT_EQ(compliance_->RegistryLimit("org_acme"), std::nullopt);
  // An unknown organisation fails open (logged).
  EXPECT_EQ(compliance_->NodeLimit("org_nope"), std::nullopt);
  EXPECT_FALSE(LogLines().empty());
}

TEST_F(ComplianceTest, TheStoresNodeLimitBecomesA402) {
  ASSERT_TRUE(store_->CreateJoinToken(Token("t1", "org_acme")).ok());
  const auto limit = compliance_->NodeLimit("org_acme");
  ASSERT_TRUE(store_->EnrollNode("t1", testing::kNov10Ms, NewNode("n1"), limit));
  ASSERT_TRUE(store_->EnrollNode("t1", testing::kNov10Ms, NewNode("n2"), limit));
  auto third = store_->EnrollNode("t1", testing::kNov10Ms, NewNode("n3"), limit);
  ASSERT_FALSE(third);
  const Status refused = compliance_->NodeLimitError("org_acme", third.error());
  EXPECT_TRUE(metering::IsPlanLimitError(refused)) << refused.ToString();
  EXPECT_NE(refused.message().find("acme"), std::string::npos) << refused.message();

  const net::HttpResponse response = ComplianceErrorResponse(refused);
  EXPECT_EQ(response.status, 402);
  const json body = json::parse(response.body);
  EXPECT_EQ(body["error"]["type"], "plan_limit_exceeded");
  EXPECT_EQ(body["error"]["code"], "plan_limit_exceeded");
  EXPECT_NE(body["error"]["message"].get<std::string>().find("node limit"), std::string::npos);
  EXPECT_EQ(body["error"]["message"].get<std::string>().find("plan_limit_exceeded: "),
            std::string::npos);

  // Other errors pass through unchanged, and render as before.
  const Status other = Status::Unauthenticated("unknown join token");
  EXPECT_EQ(compliance_->NodeLimitError("org_acme", other).code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(ComplianceErrorResponse(other).status, 401);
}

TEST_F(ComplianceTest, TheStoresStorageLimitBecomesA402) {
  const auto limit = compliance_->RegistryLimit("org_acme");
  const std::string digest_a = "sha256:" + std::string(64, 'a');
  const std::string digest_b = "sha256:" + std::string(64, 'b');
  ASSERT_TRUE(store_->PutBlobRecord({digest_a, 4 * kGB, 1}, "org_acme", limit).ok());
  const Status refused = store_->PutBlobRecord({digest_b, 2 * kGB, 1}, "org_acme", limit);
  ASSERT_EQ(refused.code(), StatusCode::kResourceExhausted);
  const Status mapped = compliance_->RegistryLimitError("org_acme", refused, 2 * kGB);
  EXPECT_TRUE(metering::IsPlanLimitError(mapped)) << mapped.ToString();
  EXPECT_EQ(ComplianceErrorResponse(mapped).status, 402);

  ASSERT_TRUE(compliance_->RecordStorage("org_acme").ok());
  auto usage = compliance_->meter().Usage("org_acme", "2026-11");
  ASSERT_TRUE(usage);
  EXPECT_EQ(usage->storage_bytes, 4 * kGB);
}

TEST_F(ComplianceTest, EgressIsChargedUntilTheQuotaThenRefused) {
  ASSERT_TRUE(compliance_->ChargeEgress("org_acme", 9 * kGB).ok());
  const Status refused = compliance_->ChargeEgress("org_acme", 2 * kGB);
  EXPECT_TRUE(metering::IsPlanLimitError(refused)) << refused.ToString();
  EXPECT_EQ(ComplianceErrorResponse(refused).status, 402);
  ASSERT_TRUE(compliance_->ChargeEgress("org_acme", kGB).ok());  // exactly the last of it
  auto usage = compliance_->meter().Usage("org_acme", "2026-11");
  ASSERT_TRUE(usage);
  EXPECT_EQ(usage->egress_registry_bytes, 10 * kGB);
  // Unlimited is never refused.
  EXPECT_TRUE(compliance_->ChargeEgress("org_default", 100 * kGB).ok());
}

TEST_F(ComplianceTest, NodesSeenCountOncePerDay) {
  ASSERT_TRUE(compliance_->RecordNodeSeen("org_acme", "n1").ok());
  ASSERT_TRUE(compliance_->RecordNodeSeen("org_acme", "n1").ok());
  now_ += 86'400'000;
  ASSERT_TRUE(compliance_->RecordNodeSeen("org_acme", "n1").ok());
  ASSERT_TRUE(compliance_->RecordNodeSeen("org_acme", "n2").ok());
  auto usage = compliance_->meter().Usage("org_acme", "2026-11");
  ASSERT_TRUE(usage);
  EXPECT_EQ(usage->active_nodes, 2);
  EXPECT_EQ(usage->node_days, 3);
}

TEST_F(ComplianceTest, SetPlanChangesTheStoresOrgAndRecordsWhen) {
  now_ += 5000;
  auto set = compliance_->SetPlan("org_acme", "starter");
  ASSERT_TRUE(set) << set.error().ToString();
  EXPECT_EQ(set->plan.name, "starter");
  EXPECT_EQ(set->started_ms, now_.load());
  EXPECT_EQ(store_->GetOrg("org_acme")->plan, "starter");
  EXPECT_EQ(compliance_->NodeLimit("org_acme"), std::optional<int64_t>(15));

  auto unknown = compliance_->SetPlan("org_acme", "platinum");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code(), StatusCode::kNotFound);
  EXPECT_NE(unknown.error().message().find("developer"), std::string::npos);
  EXPECT_FALSE(compliance_->SetPlan("org_nope", "starter"));
}

TEST_F(ComplianceTest, APlansFileInTheDataDirectoryReplacesTheBuiltInCatalog) {
  std::ofstream(dir_.File("server/plans.json"))
      << R"({"currency":"GBP","default_plan":"tiny","plans":[{"name":"tiny",)"
         R"("display_name":"Tiny","monthly_fee_gbp":1,"max_nodes":1,"bills_overage":false}]})";
  OpenCompliance();
  ASSERT_TRUE(store_->CreateOrg({"org_free", "freebie", "free", 3000}).ok());
  EXPECT_EQ(compliance_->NodeLimit("org_free"), std::optional<int64_t>(1));

  std::ofstream(dir_.File("server/plans.json")) << R"({"plans": [{"name": 3}]})";
  ComplianceOptions options;
  options.data_dir = dir_.path();
  options.now_ms = [] { return testing::kNov10Ms; };
  auto bad = Compliance::Open(*store_, store_->database(), std::move(options));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.error().message().find("plans.json"), std::string::npos);
}

}  // namespace
}  // namespace locai::control::compliance

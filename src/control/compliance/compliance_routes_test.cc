// The usage, plan and audit admin routes, called through the Router with a real Authenticator
// and SQLite store.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <sstream>

#include "control/auth/api_key.h"
#include "control/auth/authenticator.h"
#include "control/compliance/compliance.h"
#include "control/compliance/compliance_fixture.h"
#include "net/http/router.h"

namespace locai::control::compliance {
namespace {

using nlohmann::json;

constexpr int64_t kGB = 1'000'000'000;

class CapturingWriter : public net::ResponseWriter {
 public:
  bool Send(net::HttpResponse response) override {
    response_ = std::move(response);
    sent_ = true;
    return true;
  }
  bool StartStream(int, net::HttpHeaders) override { return false; }
  bool Write(std::string) override { return false; }
  bool End() override { return false; }
  bool closed() const override { return false; }
  void OnClose(std::function<void()>) override {}
  size_t queued_bytes() const override { return 0; }

  bool sent_ = false;
  net::HttpResponse response_;
};

class ComplianceRoutesTest : public testing::ComplianceTest {
 protected:
  void SetUp() override {
    testing::ComplianceTest::SetUp();
    authenticator_ = std::make_unique<auth::Authenticator>(*store_);
    ASSERT_TRUE(compliance_->RegisterRoutes(router_, *authenticator_).ok());
    platform_key_ = Key("org_default", auth::Role::kAdmin);
    acme_admin_ = Key("org_acme", auth::Role::kAdmin);
    acme_deployer_ = Key("org_acme", auth::Role::kDeployer);
  }

  std::string Key(const std::string& org, auth::Role role) {
    auto key = auth::CreateApiKey(*store_, org, "test", role, now_.load());
    EXPECT_TRUE(key) << key.error().ToString();
    return key ? key->key : "";
  }

  net::HttpResponse Call(const std::string& method, const std::string& target,
                         const std::string& key, const std::string& body = "") {
    net::HttpRequest request;
    request.method = method;
    request.target = target;
    EXPECT_TRUE(net::ParseTarget(target, &request.path, &request.query));
    request.headers.Set("Authorization", "Bearer " + key);
    request.body = body;
    net::Router::Match match = router_.Find(method, request.path);
    EXPECT_EQ(match.kind, net::Router::MatchKind::kFound) << method << " " << target;
    if (match.kind != net::Router::MatchKind::kFound) return {};
    auto writer = std::make_shared<CapturingWriter>();
    (*match.handler)(request, writer);
    EXPECT_TRUE(writer->sent_);
    return writer->response_;
  }

  std::unique_ptr<auth::Authenticator> authenticator_;
  net::Router router_;
  std::string platform_key_;
  std::string acme_admin_;
  std::string acme_deployer_;
};

TEST_F(ComplianceRoutesTest, UsageJsonTotalsMatchTheMeter) {
  ASSERT_TRUE(compliance_->SetPlan("org_acme", "payg"));
  ASSERT_TRUE(compliance_->RecordNodeSeen("org_acme", "n1").ok());
  ASSERT_TRUE(compliance_->RecordNodeSeen("org_acme", "n2").ok());
  ASSERT_TRUE(compliance_->ChargeEgress("org_acme", 3 * kGB).ok());

  const net::HttpResponse response = Call("GET", "/v1/admin/usage?month=2026-11", acme_admin_);
  ASSERT_EQ(response.status, 200) << response.body;
  const json report = json::parse(response.body);
  EXPECT_EQ(report["org"], "org_acme");
  EXPECT_EQ(report["month"], "2026-11");
  EXPECT_EQ(report["plan"]["name"], "payg");
  EXPECT_EQ(report["usage"]["active_nodes"], 2);
  EXPECT_EQ(report["usage"]["egress_registry_bytes"], 3 * kGB);
  // Pay-as-you-go: 2 nodes at GBP 5 and 3 GB of egress at GBP 0.14 = GBP 10.42.
  EXPECT_EQ(report["bill"]["total_pence"], 1042);
  int64_t lines = 0;
  for (const json& line : report["bill"]["lines"]) lines += line["amount_pence"].get<int64_t>();
  EXPECT_EQ(lines, 1042);

  const net::HttpResponse text =
      Call("GET", "/v1/admin/usage?month=2026-11&format=text", acme_admin_);
  ASSERT_EQ(text.status, 200);
  EXPECT_NE(text.body.find("10.42"), std::string::npos) << text.body;
}

TEST_F(ComplianceRoutesTest, UsageOfAnotherOrganisationOnlyForPlatformAdmins) {
  EXPECT_EQ(Call("GET", "/v1/admin/usage?org=default", acme_admin_).status, 403);
  EXPECT_EQ(Call("GET", "/v1/admin/usage", acme_deployer_).status, 403);
  EXPECT_EQ(Call("GET", "/v1/admin/usage", "locai_nope_nope").status, 401);
  const net::HttpResponse other = Call("GET", "/v1/admin/usage?org=acme", platform_key_);
  ASSERT_EQ(other.status, 200) << other.body;
  EXPECT_EQ(json::parse(other.body)["org"], "org_acme");
  EXPECT_EQ(json::parse(other.body)["month"], "2026-11");  // the clock's month
  EXPECT_EQ(Call("GET", "/v1/admin/usage?month=2026-13", acme_admin_).status, 400);
  EXPECT_EQ(Call("GET", "/v1/admin/usage?org=nobody", platform_key_).status, 404);
}

TEST_F(ComplianceRoutesTest, PlanIsShownAndChangedByPlatformAdminsAndAudited) {
  const net::HttpResponse shown = Call("GET", "/v1/admin/plan", acme_admin_);
  ASSERT_EQ(shown.status, 200) << shown.body;
  EXPECT_EQ(json::parse(shown.body)["plan"], "developer");
  EXPECT_EQ(json::parse(shown.body)["limits"]["nodes"], 2);

  EXPECT_EQ(Call("PUT", "/v1/admin/plan", acme_admin_, R"({"plan":"enterprise"})").status, 403);
  EXPECT_EQ(Call("PUT", "/v1/admin/plan", platform_key_, R"({"org":"acme","plan":"gold"})").status,
            404);
  const net::HttpResponse set =
      Call("PUT", "/v1/admin/plan", platform_key_, R"({"org":"acme","plan":"starter"})");
  ASSERT_EQ(set.status, 200) << set.body;
  EXPECT_EQ(json::parse(set.body)["plan"], "starter");
  EXPECT_EQ(json::parse(set.body)["limits"]["nodes"], 15);
  EXPECT_EQ(compliance_->NodeLimit("org_acme"), std::optional<int64_t>(15));

  std::ostringstream out;
  ASSERT_TRUE(compliance_->audit_log().Export(0, "jsonl", out).ok());
  const json record = json::parse(out.str());
  EXPECT_EQ(record["action"], "plan.update");
  EXPECT_EQ(record["org"], "org_acme");
  EXPECT_EQ(record["details"]["from"], "developer");
  EXPECT_EQ(record["details"]["to"], "starter");
}

TEST_F(ComplianceRoutesTest, VerifyAndExportTheAuditLog) {
  compliance_->Audit({0, "org_acme", "key:a", "admin.key.create", "k1", ""});
  now_ += 1000;
  compliance_->Audit({0, "org_default", "key:b", "admin.org.create", "org_x", ""});

  const net::HttpResponse verify = Call("GET", "/v1/admin/audit/verify", acme_admin_);
  ASSERT_EQ(verify.status, 200) << verify.body;
  EXPECT_EQ(json::parse(verify.body)["ok"], true);
  EXPECT_EQ(json::parse(verify.body)["records_checked"], 2);

  // A platform admin gets every record, another admin its organisation's only.
  const net::HttpResponse all = Call("GET", "/v1/admin/audit/export?since=0", platform_key_);
  ASSERT_EQ(all.status, 200) << all.body;
  EXPECT_EQ(all.headers.GetOr("Content-Type", ""), "application/x-ndjson");
  EXPECT_EQ(std::count(all.body.begin(), all.body.end(), '\n'), 2);
  const net::HttpResponse own = Call("GET", "/v1/admin/audit/export", acme_admin_);
  ASSERT_EQ(own.status, 200);
  ASSERT_EQ(std::count(own.body.begin(), own.body.end(), '\n'), 1);
  EXPECT_EQ(json::parse(own.body)["org"], "org_acme");
  // since= filters by time.
  const std::string since = std::to_string(now_.load());
  const net::HttpResponse later =
      Call("GET", "/v1/admin/audit/export?since=" + since, platform_key_);
  EXPECT_EQ(std::count(later.body.begin(), later.body.end(), '\n'), 1);
  EXPECT_EQ(Call("GET", "/v1/admin/audit/export?since=yesterday", platform_key_).status, 400);
  EXPECT_EQ(Call("GET", "/v1/admin/audit/export?format=csv", platform_key_).status, 400);
  EXPECT_EQ(Call("GET", "/v1/admin/audit/verify", acme_deployer_).status, 403);
}

TEST_F(ComplianceRoutesTest, VerifyNamesTheEditedRecord) {
  for (int i = 0; i < 3; ++i)
    compliance_->Audit({0, "org_acme", "key:a", "admin.key.create", "k" + std::to_string(i), ""});
  // Someone with the file drops the trigger and edits record 2.
  ASSERT_TRUE(store_->database().Exec("DROP TRIGGER audit_records_no_update").ok());
  ASSERT_TRUE(store_->database()
                  .Exec("UPDATE audit_records SET content = replace(content, '\"k1\"', '\"kX\"') "
                        "WHERE seq = 2")
                  .ok());
  const net::HttpResponse verify = Call("GET", "/v1/admin/audit/verify", platform_key_);
  ASSERT_EQ(verify.status, 200) << verify.body;
  const json report = json::parse(verify.body);
  EXPECT_EQ(report["ok"], false);
  EXPECT_EQ(report["problem"], "changed");
  EXPECT_EQ(report["first_bad_seq"], 2);
}

TEST_F(ComplianceRoutesTest, PromptCaptureIsShownSetAndAudited) {
  const net::HttpResponse shown = Call("GET", "/v1/admin/audit/prompt-capture", acme_admin_);
  ASSERT_EQ(shown.status, 200) << shown.body;
  EXPECT_EQ(
      json::parse(shown.body),
      (json{{"org", "org_acme"}, {"enabled", false}, {"retention_days", 30}, {"updated_at", 0}}));
  EXPECT_EQ(Call("GET", "/v1/admin/audit/prompt-capture", acme_deployer_).status, 403);
  EXPECT_EQ(
      Call("PUT", "/v1/admin/audit/prompt-capture", acme_deployer_, R"({"enabled":true})").status,
      403);
  EXPECT_EQ(
      Call("PUT", "/v1/admin/audit/prompt-capture", acme_admin_, R"({"enabled":"yes"})").status,
      400);
  EXPECT_EQ(Call("PUT", "/v1/admin/audit/prompt-capture", acme_admin_,
                 R"({"enabled":true,"retention_days":0})")
                .status,
            400);
  EXPECT_EQ(Call("PUT", "/v1/admin/audit/prompt-capture", acme_admin_,
                 R"({"enabled":true,"org":"default"})")
                .status,
            403);
  EXPECT_FALSE(compliance_->CapturePrompts("org_acme"));

  const net::HttpResponse on = Call("PUT", "/v1/admin/audit/prompt-capture", acme_admin_,
                                    R"({"enabled":true,"retention_days":7})");
  ASSERT_EQ(on.status, 200) << on.body;
  EXPECT_EQ(json::parse(on.body)["enabled"], true);
  EXPECT_EQ(json::parse(on.body)["retention_days"], 7);
  EXPECT_TRUE(compliance_->CapturePrompts("org_acme"));
  EXPECT_FALSE(compliance_->CapturePrompts("org_default"));
  // A platform admin sets another organisation's.
  const net::HttpResponse other = Call("PUT", "/v1/admin/audit/prompt-capture", platform_key_,
                                       R"({"enabled":false,"org":"acme"})");
  ASSERT_EQ(other.status, 200) << other.body;
  EXPECT_EQ(json::parse(other.body)["retention_days"], 7);
  EXPECT_FALSE(compliance_->CapturePrompts("org_acme"));

  std::stringstream out;
  ASSERT_TRUE(compliance_->audit_log().Export(0, "jsonl", out).ok());
  std::vector<json> sets;
  for (std::string line; std::getline(out, line);) {
    json record = json::parse(line);
    if (record["action"] == "audit.prompt_capture.set") sets.push_back(record);
  }
  ASSERT_EQ(sets.size(), 2u);
  EXPECT_EQ(sets[0]["org"], "org_acme");
  EXPECT_EQ(sets[0]["details"]["enabled"], true);
  EXPECT_EQ(sets[0]["details"]["was_enabled"], false);
  EXPECT_EQ(sets[1]["details"]["enabled"], false);
}

TEST_F(ComplianceRoutesTest, AuditRetentionIsSetByPlatformAdmins) {
  const net::HttpResponse shown = Call("GET", "/v1/admin/audit/retention", acme_admin_);
  ASSERT_EQ(shown.status, 200) << shown.body;
  EXPECT_EQ(json::parse(shown.body)["days"], 365);
  EXPECT_EQ(Call("PUT", "/v1/admin/audit/retention", acme_admin_, R"({"days":30})").status, 403);
  EXPECT_EQ(Call("PUT", "/v1/admin/audit/retention", platform_key_, R"({"days":0})").status, 400);
  EXPECT_EQ(Call("PUT", "/v1/admin/audit/retention", platform_key_, R"({"days":"x"})").status, 400);
  const net::HttpResponse set =
      Call("PUT", "/v1/admin/audit/retention", platform_key_, R"({"days":90})");
  ASSERT_EQ(set.status, 200) << set.body;
  EXPECT_EQ(json::parse(set.body)["days"], 90);
  EXPECT_EQ(compliance_->settings().AuditRetentionDays().value(), 90);
  std::stringstream out;
  ASSERT_TRUE(compliance_->audit_log().Export(0, "jsonl", out).ok());
  EXPECT_NE(out.str().find("\"audit.retention.set\""), std::string::npos) << out.str();
}

}  // namespace
}  // namespace locai::control::compliance

// The routing admin routes on a real net::HttpServer over a real SQLite store and PolicyStore,
// called through a real HttpClient: authentication, validation, air-gapped refusals (the
// organisation's and the process's), provider keys never returned, audit events, the node-signed
// policy fetch and the egress journal.
#include "control/routing_admin/routing_admin.h"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "control/auth/api_key.h"
#include "control/auth/authenticator.h"
#include "control/router/policy_store.h"
#include "crypto/base64.h"
#include "crypto/ed25519.h"
#include "crypto/node_signature.h"
#include "net/egress/connector.h"
#include "net/http/http_client.h"
#include "net/http/http_server.h"
#include "store/sqlite/sqlite_store.h"
#include "store/testing/temp_dir.h"

namespace locai::control::routing_admin {
namespace {

using nlohmann::json;

constexpr const char* kSecret = "sk-test-SECRET-0123456789";

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class RoutingAdminTest : public ::testing::Test {
 protected:
  void SetUp() override { Start(/*airgapped=*/false); }
  void TearDown() override { Stop(); }

  void Start(bool airgapped) {
    auto store = store::SqliteStore::Open(dir_.path() + "/locai.db");
    ASSERT_TRUE(store) << store.error().ToString();
    store_ = std::move(*store);
    if (!store_->GetOrg("org_default")) {
      ASSERT_TRUE(store_->CreateOrg({"org_default", "default", "unlimited", 1000}).ok());
      ASSERT_TRUE(store_->CreateOrg({"org_acme", "acme", "developer", 2000}).ok());
      ASSERT_TRUE(store_->CreateOrg({"org_other", "other", "developer", 3000}).ok());
    }
    auto policies = router::PolicyStore::Open(store_->database(), {airgapped});
    ASSERT_TRUE(policies) << policies.error().ToString();
    policies_ = std::move(*policies);
    authenticator_ = std::make_unique<auth::Authenticator>(*store_);
    hooks_.audit = [this](const AuditEvent& event) {
      std::lock_guard<std::mutex> lock(mu_);
      audit_.push_back(event);
    };
    journal_path_ = dir_.path() + "/server/egress.jsonl";
    net::Router router;
    RoutingAdminContext context{*policies_, *authenticator_, hooks_, *store_,
                                [this] { ++providers_changed_; }, NowMs, journal_path_};
    ASSERT_TRUE(RegisterRoutingAdminRoutes(router, std::move(context)).ok());
    net::HttpServerOptions options;
    options.io_threads = 2;
    options.log = [](std::string_view) {};
    server_ = std::make_unique<net::HttpServer>(options, std::move(router));
    ASSERT_TRUE(server_->Start().ok());
    net::egress::ConnectorOptions connector;
    connector.rules.push_back(*net::egress::EgressRule::Parse("allow 127.0.0.1:*"));
    connector_ = std::make_unique<net::egress::Connector>(std::move(connector));
    client_ = std::make_unique<net::HttpClient>(*connector_);
  }

  void Stop() {
    client_.reset();
    if (server_) server_->Stop();
    server_.reset();
    authenticator_.reset();
    policies_.reset();
    store_.reset();
  }

  std::string Key(const std::string& org, auth::Role role) {
    auto key = auth::CreateApiKey(*store_, org, "test", role, NowMs());
    EXPECT_TRUE(key) << key.error().ToString();
    return key ? key->key : "";
  }
  std::string KeyId(const std::string& org, auth::Role role, std::string* id) {
    auto key = auth::CreateApiKey(*store_, org, "test", role, NowMs());
    EXPECT_TRUE(key) << key.error().ToString();
    if (!key) return "";
    *id = key->record.id;
    return key->key;
  }

  struct Reply {
    int status = 0;
    std::string body;
    json Json() const { return json::parse(body, nullptr, false); }
    std::string Message() const { return Json()["error"].value("message", ""); }
  };

  Reply Call(const std::string& method, const std::string& path, const std::string& key,
             const json& body = nullptr, const net::HttpHeaders& extra = {}) {
    net::ClientRequest request;
    request.method = method;
    request.url = "http://127.0.0.1:" + std::to_string(server_->port()) + path;
    request.headers = extra;
    if (!key.empty()) request.headers.Set("Authorization", "Bearer " + key);
    if (!body.is_null()) {
      request.body = body.dump();
      request.headers.Set("Content-Type", "application/json");
    }
    auto response = client_->Fetch(request);
    EXPECT_TRUE(response) << response.error().ToString();
    if (!response) return {};
    all_bodies_ += response->body;
    return {response->status, response->body};
  }

  std::vector<AuditEvent> Audit() {
    std::lock_guard<std::mutex> lock(mu_);
    return audit_;
  }
  std::vector<std::string> AuditActions() {
    std::vector<std::string> actions;
    for (const AuditEvent& event : Audit()) actions.push_back(event.action);
    return actions;
  }

  store::testing::TempDir dir_;
  std::unique_ptr<store::SqliteStore> store_;
  std::unique_ptr<router::PolicyStore> policies_;
  std::unique_ptr<auth::Authenticator> authenticator_;
  ControlHooks hooks_;
  std::mutex mu_;
  std::vector<AuditEvent> audit_;
  std::atomic<int> providers_changed_{0};
  std::string journal_path_;
  std::unique_ptr<net::HttpServer> server_;
  std::unique_ptr<net::egress::Connector> connector_;
  std::unique_ptr<net::HttpClient> client_;
  std::string all_bodies_;  // every response body seen, to look for secrets
};

json Provider(const std::string& name, const std::string& kind = "openai") {
  return {{"name", name},
          {"kind", kind},
          {"base_url", "https://api.openai.com/v1"},
          {"api_key", kSecret},
          {"models", {"gpt-4o-mini"}}};
}

TEST_F(RoutingAdminTest, PolicyNeedsAnAdminKeyOfTheOrganisation) {
  EXPECT_EQ(Call("GET", "/v1/admin/policy", "").status, 401);
  EXPECT_EQ(Call("GET", "/v1/admin/policy", "locai_nope_nope").status, 401);
  EXPECT_EQ(Call("GET", "/v1/admin/policy", Key("org_acme", auth::Role::kInference)).status, 403);
  EXPECT_EQ(Call("PUT", "/v1/admin/policy", Key("org_acme", auth::Role::kDeployer),
                 json{{"policy", "local"}})
                .status,
            403);
  EXPECT_EQ(Call("GET", "/v1/admin/providers", Key("org_acme", auth::Role::kDeployer)).status,
            403);
  EXPECT_TRUE(Audit().empty());
}

TEST_F(RoutingAdminTest, PolicyIsShownSetAndAudited) {
  const std::string admin = Key("org_acme", auth::Role::kAdmin);
  Reply shown = Call("GET", "/v1/admin/policy", admin);
  ASSERT_EQ(shown.status, 200) << shown.body;
  EXPECT_EQ(shown.Json()["policy"], "onprem");  // the safe default
  EXPECT_EQ(shown.Json()["max_queue_wait_ms"], 5000);
  EXPECT_EQ(shown.Json()["pii_action"], "block");
  EXPECT_EQ(shown.Json()["airgapped"], false);
  EXPECT_EQ(shown.Json()["cloud_models"], json::object());
  EXPECT_EQ(shown.Json()["org"], "org_acme");

  Reply set = Call("PUT", "/v1/admin/policy", admin,
                   json{{"policy", "hybrid"},
                        {"max_queue_wait_ms", 250},
                        {"cloud_models", {{"llama3.2:1b", "openai/gpt-4o-mini"}}},
                        {"pii_action", "redact"}});
  ASSERT_EQ(set.status, 200) << set.body;
  // A PUT changes the fields it names only.
  ASSERT_EQ(Call("PUT", "/v1/admin/policy", admin, json{{"max_queue_wait_ms", 300}}).status, 200);
  shown = Call("GET", "/v1/admin/policy", admin);
  EXPECT_EQ(shown.Json()["policy"], "hybrid");
  EXPECT_EQ(shown.Json()["max_queue_wait_ms"], 300);
  EXPECT_EQ(shown.Json()["pii_action"], "redact");
  EXPECT_EQ(shown.Json()["cloud_models"]["llama3.2:1b"], "openai/gpt-4o-mini");
  // Another organisation is untouched.
  auto other = policies_->GetOrgPolicy("org_other");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->policy, router::DataPolicy::kOnprem);

  const std::vector<AuditEvent> audit = Audit();
  ASSERT_EQ(audit.size(), 2u);
  EXPECT_EQ(audit[0].action, "policy.set");
  EXPECT_EQ(audit[0].org_id, "org_acme");
  EXPECT_EQ(audit[0].actor.substr(0, 4), "key:");
  EXPECT_NE(audit[0].detail.find("hybrid"), std::string::npos) << audit[0].detail;
  EXPECT_GT(audit[0].at_ms, 0);
}

TEST_F(RoutingAdminTest, BadPolicyValuesAre400NamingTheField) {
  const std::string admin = Key("org_acme", auth::Role::kAdmin);
  struct Case {
    json body;
    std::string field;
  };
  const std::vector<Case> cases = {
      {{{"policy", "cloud"}}, "policy"},
      {{{"policy", 3}}, "policy"},
      {{{"pii_action", "maybe"}}, "pii_action"},
      {{{"max_queue_wait_ms", -1}}, "max_queue_wait_ms"},
      {{{"max_queue_wait_ms", 3'600'000}}, "max_queue_wait_ms"},
      {{{"max_queue_wait_ms", "5s"}}, "max_queue_wait_ms"},
      {{{"cloud_models", {{"llama", "no-slash"}}}}, "cloud_models.llama"},
      {{{"cloud_models", "openai/x"}}, "cloud_models"},
      {{{"airgapped", "yes"}}, "airgapped"},
      {{{"max_queue_wait", 100}}, "max_queue_wait"},  // a typo is not ignored
  };
  for (const Case& c : cases) {
    Reply reply = Call("PUT", "/v1/admin/policy", admin, c.body);
    EXPECT_EQ(reply.status, 400) << c.body.dump() << " " << reply.body;
    EXPECT_NE(reply.Message().find("'" + c.field + "'"), std::string::npos)
        << c.body.dump() << " " << reply.body;
  }
  Reply not_json = Call("PUT", "/v1/admin/policy", admin, json("not an object"));
  EXPECT_EQ(not_json.status, 400);
  EXPECT_TRUE(Audit().empty());
  EXPECT_EQ(Call("GET", "/v1/admin/policy", admin).Json()["policy"], "onprem");
}

TEST_F(RoutingAdminTest, KeyOverridesStayInTheirOrganisation) {
  const std::string admin = Key("org_acme", auth::Role::kAdmin);
  std::string key_id;
  KeyId("org_acme", auth::Role::kInference, &key_id);
  std::string foreign_id;
  KeyId("org_other", auth::Role::kInference, &foreign_id);
  const std::string path = "/v1/admin/keys/" + key_id + "/policy";

  Reply none = Call("GET", path, admin);
  ASSERT_EQ(none.status, 200) << none.body;
  EXPECT_TRUE(none.Json()["override"].is_null());
  EXPECT_EQ(none.Json()["effective"]["policy"], "onprem");

  Reply set = Call("PUT", path, admin, json{{"policy", "local"}, {"pii_action", "allow"}});
  ASSERT_EQ(set.status, 200) << set.body;
  EXPECT_EQ(set.Json()["override"], (json{{"policy", "local"}, {"pii_action", "allow"}}));
  EXPECT_EQ(set.Json()["effective"]["policy"], "local");
  EXPECT_EQ(set.Json()["effective"]["max_queue_wait_ms"], 5000);  // the organisation's
  auto resolved = policies_->ResolveForKey("org_acme", key_id);
  ASSERT_TRUE(resolved);
  EXPECT_EQ(resolved->policy, router::DataPolicy::kLocal);

  EXPECT_EQ(Call("PUT", path, admin, json{{"max_queue_wait_ms", -5}}).status, 400);
  EXPECT_EQ(Call("PUT", path, admin, json{{"polcy", "local"}}).status, 400);
  // Another organisation's key and an unknown key are both 404, and nothing is stored for them.
  const std::string foreign = "/v1/admin/keys/" + foreign_id + "/policy";
  EXPECT_EQ(Call("PUT", foreign, admin, json{{"policy", "local"}}).status, 404);
  EXPECT_EQ(Call("GET", foreign, admin).status, 404);
  EXPECT_EQ(Call("DELETE", foreign, admin).status, 404);
  EXPECT_EQ(Call("GET", "/v1/admin/keys/nosuchkey/policy", admin).status, 404);
  auto foreign_override = policies_->GetKeyOverride(foreign_id);
  ASSERT_TRUE(foreign_override);
  EXPECT_FALSE(foreign_override->has_value());

  Reply removed = Call("DELETE", path, admin);
  ASSERT_EQ(removed.status, 200) << removed.body;
  EXPECT_TRUE(Call("GET", path, admin).Json()["override"].is_null());
  EXPECT_EQ(AuditActions(), (std::vector<std::string>{"key.policy.set", "key.policy.delete"}));
  EXPECT_EQ(Audit()[0].target, key_id);
}

TEST_F(RoutingAdminTest, ProvidersNeverReturnTheirKey) {
  const std::string admin = Key("org_acme", auth::Role::kAdmin);
  Reply added = Call("POST", "/v1/admin/providers", admin, Provider("openai"));
  ASSERT_EQ(added.status, 201) << added.body;
  EXPECT_EQ(added.Json()["name"], "openai");
  EXPECT_EQ(added.Json()["kind"], "openai");
  EXPECT_EQ(added.Json()["has_api_key"], true);
  EXPECT_FALSE(added.Json().contains("api_key"));
  EXPECT_EQ(providers_changed_.load(), 1);
  ASSERT_EQ(Call("POST", "/v1/admin/providers", admin,
                 json{{"name", "claude"},
                      {"kind", "anthropic"},
                      {"base_url", "https://api.anthropic.com"}})
                .status,
            201);

  Reply list = Call("GET", "/v1/admin/providers", admin);
  ASSERT_EQ(list.status, 200) << list.body;
  ASSERT_EQ(list.Json()["data"].size(), 2u);
  EXPECT_EQ(list.Json()["data"][0]["name"], "claude");
  EXPECT_EQ(list.Json()["data"][0]["has_api_key"], false);
  EXPECT_EQ(list.Json()["data"][1]["models"], json({"gpt-4o-mini"}));
  Reply one = Call("GET", "/v1/admin/providers/openai", admin);
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_EQ(one.Json()["base_url"], "https://api.openai.com/v1");
  // The key is stored for the cloud client.
  auto stored = policies_->GetProvider("org_acme", "openai");
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->api_key, kSecret);
  // Other organisations see none of it.
  const std::string other_admin = Key("org_other", auth::Role::kAdmin);
  EXPECT_EQ(Call("GET", "/v1/admin/providers", other_admin).Json()["data"].size(), 0u);
  EXPECT_EQ(Call("GET", "/v1/admin/providers/openai", other_admin).status, 404);
  EXPECT_EQ(Call("DELETE", "/v1/admin/providers/openai", other_admin).status, 404);

  Reply removed = Call("DELETE", "/v1/admin/providers/openai", admin);
  ASSERT_EQ(removed.status, 200) << removed.body;
  EXPECT_EQ(Call("GET", "/v1/admin/providers/openai", admin).status, 404);
  EXPECT_EQ(Call("DELETE", "/v1/admin/providers/openai", admin).status, 404);
  EXPECT_EQ(providers_changed_.load(), 3);

  EXPECT_EQ(AuditActions(),
            (std::vector<std::string>{"provider.put", "provider.put", "provider.delete"}));
  for (const AuditEvent& event : Audit()) {
    EXPECT_EQ(event.detail.find(kSecret), std::string::npos) << event.detail;
    EXPECT_EQ(event.target.find(kSecret), std::string::npos);
  }
  EXPECT_NE(Audit()[0].detail.find("api.openai.com"), std::string::npos);
  EXPECT_EQ(all_bodies_.find(kSecret), std::string::npos);
}

TEST_F(RoutingAdminTest, BadProvidersAre400NamingTheField) {
  const std::string admin = Key("org_acme", auth::Role::kAdmin);
  json bad_kind = Provider("p");
  bad_kind["kind"] = "azure";
  json no_url = Provider("p");
  no_url.erase("base_url");
  json bad_url = Provider("p");
  bad_url["base_url"] = "ftp://x";
  json bad_name = Provider("Bad Name");
  json bad_models = Provider("p");
  bad_models["models"] = "gpt";
  for (const auto& [body, field] : std::vector<std::pair<json, std::string>>{
           {bad_kind, "kind"},
           {no_url, "base_url"},
           {bad_url, "base_url"},
           {bad_name, "name"},
           {bad_models, "models"}}) {
    Reply reply = Call("POST", "/v1/admin/providers", admin, body);
    EXPECT_EQ(reply.status, 400) << body.dump() << " " << reply.body;
    EXPECT_NE(reply.Message().find(field), std::string::npos) << reply.body;
    EXPECT_EQ(reply.body.find(kSecret), std::string::npos);
  }
  EXPECT_EQ(providers_changed_.load(), 0);
  EXPECT_TRUE(Audit().empty());
}

TEST_F(RoutingAdminTest, AnAirGappedOrganisationRefusesProvidersAndHybrid) {
  const std::string admin = Key("org_acme", auth::Role::kAdmin);
  ASSERT_EQ(Call("POST", "/v1/admin/providers", admin, Provider("openai")).status, 201);
  // Not while a provider is configured.
  Reply conflict = Call("PUT", "/v1/admin/policy", admin, json{{"airgapped", true}});
  EXPECT_EQ(conflict.status, 409) << conflict.body;
  EXPECT_NE(conflict.Message().find("air-gapped"), std::string::npos) << conflict.body;
  ASSERT_EQ(Call("DELETE", "/v1/admin/providers/openai", admin).status, 200);
  ASSERT_EQ(Call("PUT", "/v1/admin/policy", admin, json{{"airgapped", true}}).status, 200);

  Reply refused = Call("POST", "/v1/admin/providers", admin, Provider("openai"));
  EXPECT_EQ(refused.status, 403) << refused.body;
  EXPECT_NE(refused.Message().find("air-gapped"), std::string::npos) << refused.body;
  Reply hybrid = Call("PUT", "/v1/admin/policy", admin, json{{"policy", "hybrid"}});
  EXPECT_EQ(hybrid.status, 409) << hybrid.body;
  EXPECT_NE(hybrid.Message().find("air-gapped"), std::string::npos) << hybrid.body;
  // The organisation's admin cannot lift it; a platform admin can (of its own organisation).
  Reply lift = Call("PUT", "/v1/admin/policy", admin, json{{"airgapped", false}});
  EXPECT_EQ(lift.status, 403) << lift.body;
  EXPECT_TRUE(policies_->GetOrgPolicy("org_acme")->airgapped);
  const std::string platform = Key("org_default", auth::Role::kAdmin);
  ASSERT_EQ(Call("PUT", "/v1/admin/policy", platform, json{{"airgapped", true}}).status, 200);
  EXPECT_EQ(Call("PUT", "/v1/admin/policy", platform, json{{"airgapped", false}}).status, 200);
  EXPECT_EQ(providers_changed_.load(), 2);  // the put and delete that went through
}

TEST_F(RoutingAdminTest, AnAirGappedServerRefusesProvidersNamingTheFlag) {
  Stop();
  Start(/*airgapped=*/true);
  const std::string admin = Key("org_acme", auth::Role::kAdmin);
  Reply refused = Call("POST", "/v1/admin/providers", admin, Provider("openai"));
  EXPECT_EQ(refused.status, 403) << refused.body;
  EXPECT_NE(refused.Message().find("--airgapped"), std::string::npos) << refused.body;
  EXPECT_EQ(refused.body.find(kSecret), std::string::npos);
  Reply shown = Call("GET", "/v1/admin/policy", admin);
  EXPECT_EQ(shown.Json()["airgapped"], true);
  EXPECT_EQ(shown.Json()["server_airgapped"], true);
  Reply hybrid = Call("PUT", "/v1/admin/policy", admin,
                      json{{"policy", "hybrid"}, {"cloud_models", {{"a", "openai/b"}}}});
  EXPECT_EQ(hybrid.status, 409) << hybrid.body;
  Reply lift = Call("PUT", "/v1/admin/policy", Key("org_default", auth::Role::kAdmin),
                    json{{"airgapped", false}});
  EXPECT_EQ(lift.status, 409) << lift.body;
  EXPECT_NE(lift.Message().find("--airgapped"), std::string::npos) << lift.body;
  // onprem and local stay possible.
  EXPECT_EQ(Call("PUT", "/v1/admin/policy", admin, json{{"policy", "local"}}).status, 200);
  EXPECT_EQ(Call("GET", "/v1/admin/providers", admin).Json()["data"].size(), 0u);
  EXPECT_EQ(providers_changed_.load(), 0);
  EXPECT_EQ(AuditActions(), (std::vector<std::string>{"policy.set"}));
}

TEST_F(RoutingAdminTest, NodesReadTheirOrganisationsPolicyWithTheirSignature) {
  auto keys = crypto::GenerateEd25519();
  ASSERT_TRUE(keys);
  store::Node node;
  node.id = "node_1";
  node.org_id = "org_acme";
  node.name = "laptop";
  node.group = "default";
  node.public_key = crypto::Base64Encode(keys->public_key);
  node.enrolled_at = NowMs();
  ASSERT_TRUE(store_->CreateNode(node).ok());
  router::OrgPolicy policy;
  policy.policy = router::DataPolicy::kLocal;
  ASSERT_TRUE(policies_->SetOrgPolicy("org_acme", policy).ok());

  auto signed_headers = [&](const std::string& private_key) {
    auto signature = crypto::SignNodeRequest("node_1", private_key, "GET", "/v1/fleet/policy",
                                             NowMs() / 1000);
    EXPECT_TRUE(signature);
    net::HttpHeaders headers;
    headers.Set(std::string(crypto::kNodeIdHeader), signature->node_id);
    headers.Set(std::string(crypto::kNodeTimestampHeader), signature->timestamp);
    headers.Set(std::string(crypto::kNodeSignatureHeader), signature->signature_b64);
    return headers;
  };
  Reply fetched = Call("GET", "/v1/fleet/policy", "", nullptr, signed_headers(keys->private_key));
  ASSERT_EQ(fetched.status, 200) << fetched.body;
  EXPECT_EQ(fetched.Json(), (json{{"policy", "local"}, {"airgapped", false}}));

  auto stranger = crypto::GenerateEd25519();
  ASSERT_TRUE(stranger);
  EXPECT_EQ(Call("GET", "/v1/fleet/policy", "", nullptr, signed_headers(stranger->private_key))
                .status,
            401);
  EXPECT_EQ(Call("GET", "/v1/fleet/policy", "").status, 401);
  // An API key is not a node.
  EXPECT_EQ(Call("GET", "/v1/fleet/policy", Key("org_acme", auth::Role::kAdmin)).status, 401);
}

TEST_F(RoutingAdminTest, EgressJournalForPlatformAdmins) {
  net::egress::ConnectorOptions options;
  options.rules.push_back(*net::egress::EgressRule::Parse("allow api.openai.com:443"));
  options.journal_path = journal_path_;
  net::egress::Connector journalled(std::move(options));
  EXPECT_TRUE(journalled.Check("api.openai.com", 443, "cloud:openai").ok());
  EXPECT_FALSE(journalled.Check("evil.example", 443, "telemetry").ok());
  EXPECT_FALSE(journalled.Check("evil.example", 443, "telemetry").ok());

  EXPECT_EQ(Call("GET", "/v1/admin/egress", Key("org_acme", auth::Role::kAdmin)).status, 403);
  Reply report = Call("GET", "/v1/admin/egress", Key("org_default", auth::Role::kAdmin));
  ASSERT_EQ(report.status, 200) << report.body;
  const json body = report.Json();
  EXPECT_EQ(body["totals"]["attempts"], 3);
  EXPECT_EQ(body["totals"]["allowed"], 1);
  EXPECT_EQ(body["totals"]["denied"], 2);
  ASSERT_EQ(body["data"].size(), 3u);
  EXPECT_EQ(body["data"][0]["host"], "api.openai.com");
  EXPECT_EQ(body["data"][0]["purpose"], "cloud:openai");
  EXPECT_EQ(body["data"][1]["allowed"], false);
  ASSERT_EQ(body["destinations"].size(), 2u);
  Reply newest = Call("GET", "/v1/admin/egress?limit=1", Key("org_default", auth::Role::kAdmin));
  ASSERT_EQ(newest.status, 200) << newest.body;
  ASSERT_EQ(newest.Json()["data"].size(), 1u);
  EXPECT_EQ(newest.Json()["data"][0]["host"], "evil.example");
  EXPECT_EQ(newest.Json()["totals"]["attempts"], 3);
  EXPECT_EQ(Call("GET", "/v1/admin/egress?limit=x", Key("org_default", auth::Role::kAdmin)).status,
            400);
  EXPECT_EQ(body["destinations"][1],
            (json{{"host", "evil.example"}, {"port", 443}, {"allowed", 0}, {"denied", 2},
                  {"failed", 0}}));
}

}  // namespace
}  // namespace locai::control::routing_admin

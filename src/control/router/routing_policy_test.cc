#include "control/router/routing_policy.h"

#include <gtest/gtest.h>

#include "net/egress/connector.h"

namespace locai::control::router {
namespace {

using std::chrono::milliseconds;

TEST(RoutingPolicy, NamesRoundTrip) {
  for (DataPolicy policy : {DataPolicy::kLocal, DataPolicy::kOnprem, DataPolicy::kHybrid}) {
    EXPECT_EQ(*ParseDataPolicy(DataPolicyName(policy)), policy);
  }
  Result<DataPolicy> bad = ParseDataPolicy("cloud");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(*ParseProviderKind("anthropic"), ProviderKind::kAnthropic);
  EXPECT_EQ(ProviderKindName(ProviderKind::kOpenAi), "openai");
  EXPECT_FALSE(ParseProviderKind("OpenAI"));
}

TEST(RoutingPolicy, DefaultNeverLeavesTheDevices) {
  OrgPolicy policy;
  EXPECT_EQ(policy.policy, DataPolicy::kOnprem);
  EXPECT_EQ(policy.pii_action, policy::PiiAction::kBlock);
  policy.cloud_models["llama3.2:1b"] = "openai/gpt-4o-mini";
  EXPECT_FALSE(CloudTargetFor(policy, "llama3.2:1b").has_value());
}

TEST(RoutingPolicy, KeyOverrideReplacesOnlyItsFields) {
  OrgPolicy org;
  org.policy = DataPolicy::kHybrid;
  org.max_queue_wait = milliseconds(2000);
  org.pii_action = policy::PiiAction::kRedact;
  org.cloud_models["m"] = "p/x";

  EXPECT_EQ(ResolvePolicy(org, std::nullopt), org);

  KeyPolicyOverride key;
  key.policy = DataPolicy::kLocal;
  OrgPolicy resolved = ResolvePolicy(org, key);
  EXPECT_EQ(resolved.policy, DataPolicy::kLocal);
  EXPECT_EQ(resolved.max_queue_wait, milliseconds(2000));
  EXPECT_EQ(resolved.pii_action, policy::PiiAction::kRedact);
  EXPECT_EQ(resolved.cloud_models, org.cloud_models);
  EXPECT_FALSE(CloudTargetFor(resolved, "m").has_value());

  key = {};
  key.max_queue_wait = milliseconds(0);
  key.pii_action = policy::PiiAction::kBlock;
  resolved = ResolvePolicy(org, key);
  EXPECT_EQ(resolved.policy, DataPolicy::kHybrid);
  EXPECT_EQ(resolved.max_queue_wait, milliseconds(0));
  EXPECT_EQ(resolved.pii_action, policy::PiiAction::kBlock);
}

TEST(RoutingPolicy, KeyCannotOpenAirgappedOrganisationToCloud) {
  OrgPolicy org;
  org.airgapped = true;
  KeyPolicyOverride key;
  key.policy = DataPolicy::kHybrid;
  OrgPolicy resolved = ResolvePolicy(org, key);
  EXPECT_TRUE(resolved.airgapped);
  EXPECT_EQ(resolved.policy, DataPolicy::kOnprem);
  resolved.cloud_models["m"] = "p/x";
  EXPECT_FALSE(CloudTargetFor(resolved, "m").has_value());
}

TEST(RoutingPolicy, CloudTargetForHybridMappedModel) {
  OrgPolicy org;
  org.policy = DataPolicy::kHybrid;
  org.cloud_models["llama3.2:1b"] = "azure/deployments/gpt-4o";
  std::optional<CloudTarget> target = CloudTargetFor(org, "llama3.2:1b");
  ASSERT_TRUE(target.has_value());
  EXPECT_EQ(target->provider, "azure");
  EXPECT_EQ(target->model, "deployments/gpt-4o");
  EXPECT_FALSE(CloudTargetFor(org, "qwen3:8b").has_value());
}

TEST(RoutingPolicy, Validation) {
  OrgPolicy org;
  EXPECT_TRUE(ValidateOrgPolicy(org).ok());
  org.max_queue_wait = milliseconds(-1);
  EXPECT_EQ(ValidateOrgPolicy(org).code(), StatusCode::kInvalidArgument);
  org.max_queue_wait = kMaxQueueWaitLimit + milliseconds(1);
  EXPECT_EQ(ValidateOrgPolicy(org).code(), StatusCode::kInvalidArgument);
  org.max_queue_wait = milliseconds(100);
  for (const char* bad : {"gpt-4o", "/gpt-4o", "openai/", ""}) {
    org.cloud_models = {{"m", bad}};
    Status status = ValidateOrgPolicy(org);
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(status.message().find("cloud_models['m']"), std::string::npos) << status.message();
  }
  org.cloud_models = {{"m", "openai/gpt-4o"}};
  EXPECT_TRUE(ValidateOrgPolicy(org).ok());
  org.airgapped = true;
  EXPECT_EQ(ValidateOrgPolicy(org).code(), StatusCode::kFailedPrecondition);
  org.cloud_models.clear();
  org.policy = DataPolicy::kHybrid;
  EXPECT_EQ(ValidateOrgPolicy(org).code(), StatusCode::kFailedPrecondition);
  org.policy = DataPolicy::kLocal;
  EXPECT_TRUE(ValidateOrgPolicy(org).ok());

  KeyPolicyOverride key;
  key.max_queue_wait = milliseconds(-5);
  EXPECT_EQ(ValidateKeyOverride(key).code(), StatusCode::kInvalidArgument);
}

TEST(RoutingPolicy, ProviderValidationAndInfoHidesKey) {
  ProviderConfig provider{
      "openai", ProviderKind::kOpenAi, "https://api.openai.com/v1", "sk-secret", {"gpt-4o-mini"}};
  EXPECT_TRUE(ValidateProvider(provider).ok());
  ProviderInfo info = ToProviderInfo(provider);
  EXPECT_EQ(info.name, "openai");
  EXPECT_TRUE(info.has_api_key);
  EXPECT_EQ(info.models, provider.models);

  const std::string too_long(65, 'a');
  for (const std::string& name :
       {std::string(), std::string("Open"), std::string("-x"), std::string("a b"), too_long}) {
    ProviderConfig bad = provider;
    bad.name = name;
    EXPECT_EQ(ValidateProvider(bad).code(), StatusCode::kInvalidArgument) << name;
  }
  for (const char* url : {"ftp://x", "api.openai.com", "https://user@host/", "https://h/v1?x=1"}) {
    ProviderConfig bad = provider;
    bad.base_url = url;
    EXPECT_EQ(ValidateProvider(bad).code(), StatusCode::kInvalidArgument) << url;
  }
  ProviderConfig empty_model = provider;
  empty_model.models = {""};
  EXPECT_EQ(ValidateProvider(empty_model).code(), StatusCode::kInvalidArgument);
}

TEST(RoutingPolicy, EgressRulesAllowOnlyControlPlaneAndProviders) {
  std::vector<ProviderConfig> providers = {
      {"openai", ProviderKind::kOpenAi, "https://api.openai.com/v1", "k", {}},
      {"claude", ProviderKind::kAnthropic, "https://api.anthropic.com", "k", {}},
      {"again", ProviderKind::kOpenAi, "https://api.openai.com/other", "k", {}},
      {"broken", ProviderKind::kOpenAi, "not a url", "k", {}},
  };
  std::vector<net::egress::EgressRule> rules =
      EgressRulesFor(providers, "https://control.example:8443");
  ASSERT_EQ(rules.size(), 4u);  // control plane, two distinct hosts, deny all
  EXPECT_EQ(rules[0].ToString(), "allow control.example:8443");
  EXPECT_EQ(rules[1].ToString(), "allow api.openai.com:443");
  EXPECT_EQ(rules[2].ToString(), "allow api.anthropic.com:443");
  EXPECT_EQ(rules[3].ToString(), "deny *:*");

  net::egress::Connector connector(net::egress::ConnectorOptions{rules, 100, {}});
  EXPECT_TRUE(connector.Check("api.openai.com", 443, "cloud:openai").ok());
  EXPECT_TRUE(connector.Check("control.example", 8443, "control-plane").ok());
  EXPECT_EQ(connector.Check("api.openai.com", 80, "x").code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(connector.Check("evil.example", 443, "x").code(), StatusCode::kPermissionDenied);
}

TEST(RoutingPolicy, AirgappedServerEgressDeniesEverything) {
  std::vector<net::egress::EgressRule> rules = EgressRulesFor({}, "");
  ASSERT_EQ(rules.size(), 1u);
  net::egress::Connector connector(net::egress::ConnectorOptions{rules, 100, {}});
  EXPECT_EQ(connector.Check("api.openai.com", 443, "cloud").code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(connector.Attempts().size(), 1u);
  EXPECT_FALSE(connector.Attempts()[0].allowed);
}

}  // namespace
}  // namespace locai::control::router

#include "control/router/route_info.h"

namespace locai::control::router {
namespace {

TEST(RouteInfo, NamesAndSessionId) {
  EXPECT_EQ(RouteKindName(RouteKind::kLocal), "local");
  EXPECT_EQ(RouteKindName(RouteKind::kNode), "node");
  EXPECT_EQ(RouteKindName(RouteKind::kCloud), "cloud");
  EXPECT_EQ(SessionIdFor(std::string_view("conv-9"), "alice"), "conv-9");
  EXPECT_EQ(SessionIdFor(std::string_view(""), "alice"), "alice");
  EXPECT_EQ(SessionIdFor(std::nullopt, "alice"), "alice");
  EXPECT_EQ(SessionIdFor(std::nullopt, ""), "");
  EXPECT_EQ(SessionIdFor(std::string(1000, 'x'), "").size(), kMaxSessionIdBytes);
}

}  // namespace
}  // namespace locai::control::router

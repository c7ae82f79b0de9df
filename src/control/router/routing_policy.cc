#include "control/router/routing_policy.h"

#include <utility>

#include "net/http/url.h"

namespace locai::control::router {
namespace {

bool IsNameStart(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool IsNameChar(char c) { return IsNameStart(c) || c == '.' || c == '_' || c == '-'; }

Status CheckQueueWait(std::chrono::milliseconds wait) {
  if (wait.count() < 0 || wait > kMaxQueueWaitLimit) {
    return Status::InvalidArgument("max_queue_wait must be between 0 and " +
                                   std::to_string(kMaxQueueWaitLimit.count()) + " ms");
  }
  return Status::Ok();
}

}  // namespace

std::string_view DataPolicyName(DataPolicy policy) {
  switch (policy) {
    case DataPolicy::kLocal:
      return "local";
    case DataPolicy::kOnprem:
      return "onprem";
    case DataPolicy::kHybrid:
      return "hybrid";
  }
  return "onprem";
}

Result<DataPolicy> ParseDataPolicy(std::string_view name) {
  if (name == "local") return DataPolicy::kLocal;
  if (name == "onprem") return DataPolicy::kOnprem;
  if (name == "hybrid") return DataPolicy::kHybrid;
  return Err(Status::InvalidArgument("unknown data policy '" + std::string(name) +
                                     "' (expected local, onprem or hybrid)"));
}

OrgPolicy ResolvePolicy(const OrgPolicy& org, const std::optional<KeyPolicyOverride>& key) {
  OrgPolicy resolved = org;
  if (key.has_value()) {
    if (key->policy.has_value()) resolved.policy = *key->policy;
    if (key->max_queue_wait.has_value()) resolved.max_queue_wait = *key->max_queue_wait;
    if (key->pii_action.has_value()) resolved.pii_action = *key->pii_action;
  }
  if (resolved.airgapped && resolved.policy == DataPolicy::kHybrid) {
    resolved.policy = DataPolicy::kOnprem;
  }
  return resolved;
}

Status ValidateOrgPolicy(const OrgPolicy& policy) {
  LOCAI_RETURN_IF_ERROR(CheckQueueWait(policy.max_queue_wait));
  for (const auto& [local_model, target] : policy.cloud_models) {
    if (local_model.empty()) {
      return Status::InvalidArgument("cloud_models: empty local model name");
    }
    Result<CloudTarget> parsed = ParseCloudTarget(target);
    if (!parsed) {
      return Status::InvalidArgument("cloud_models['" + local_model +
                                     "']: " + parsed.error().message());
    }
  }
  if (policy.airgapped && policy.policy == DataPolicy::kHybrid) {
    return Status::FailedPrecondition("air-gapped: the hybrid policy is not available");
  }
  if (policy.airgapped && !policy.cloud_models.empty()) {
    return Status::FailedPrecondition("air-gapped: models cannot be mapped to cloud providers");
  }
  return Status::Ok();
}

Status ValidateKeyOverride(const KeyPolicyOverride& key) {
  if (key.max_queue_wait.has_value()) return CheckQueueWait(*key.max_queue_wait);
  return Status::Ok();
}

Result<CloudTarget> ParseCloudTarget(std::string_view text) {
  size_t slash = text.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == text.size()) {
    return Err(Status::InvalidArgument("cloud model '" + std::string(text) +
                                       "' is not of the form provider/model"));
  }
  return CloudTarget{std::string(text.substr(0, slash)), std::string(text.substr(slash + 1))};
}

std::optional<CloudTarget> CloudTargetFor(const OrgPolicy& policy, std::string_view local_model) {
  if (policy.airgapped || policy.policy != DataPolicy::kHybrid) return std::nullopt;
  auto it = policy.cloud_models.find(std::string(local_model));
  if (it == policy.cloud_models.end()) return std::nullopt;
  Result<CloudTarget> target = ParseCloudTarget(it->second);
  if (!target) return std::nullopt;
  return *std::move(target);
}

std::string_view ProviderKindName(ProviderKind kind) {
  return kind == ProviderKind::kAnthropic ? "anthropic" : "openai";
}

Result<ProviderKind> ParseProviderKind(std::string_view name) {
  if (name == "openai") return ProviderKind::kOpenAi;
  if (name == "anthropic") return ProviderKind::kAnthropic;
  return Err(Status::InvalidArgument("unknown provider kind '" + std::string(name) +
                                     "' (expected openai or anthropic)"));
}

ProviderInfo ToProviderInfo(const ProviderConfig& provider) {
  return ProviderInfo{provider.name, provider.kind, provider.base_url, provider.models,
                      !provider.api_key.empty()};
}

Status ValidateProvider(const ProviderConfig& provider) {
  const std::string& name = provider.name;
  bool name_ok = !name.empty() && name.size() <= 64 && IsNameStart(name[0]);
  for (char c : name) name_ok = name_ok && IsNameChar(c);
  if (!name_ok) {
    return Status::InvalidArgument("provider name '" + name +
                                   "' must be 1-64 of [a-z0-9._-] starting with [a-z0-9]");
  }
  Result<net::Url> url = net::ParseUrl(provider.base_url);
  if (!url) {
    return Status::InvalidArgument("provider base_url: " + url.error().message());
  }
  if (url->target.find('?') != std::string::npos) {
    return Status::InvalidArgument("provider base_url must not have a query");
  }
  for (const std::string& model : provider.models) {
    if (model.empty()) return Status::InvalidArgument("provider models: empty model name");
  }
  return Status::Ok();
}

std::vector<net::egress::EgressRule> EgressRulesFor(const std::vector<ProviderConfig>& providers,
                                                    std::string_view control_plane) {
  std::vector<net::egress::EgressRule> rules;
  auto allow = [&rules](std::string_view text) {
    Result<net::Url> url = net::ParseUrl(text);
    if (!url) return;
    for (const auto& rule : rules) {
      if (rule.allow && rule.host == url->host && rule.port == url->port) return;
    }
    rules.push_back(net::egress::EgressRule{true, url->host, url->port});
  };
  if (!control_plane.empty()) allow(control_plane);
  for (const ProviderConfig& provider : providers) allow(provider.base_url);
  rules.push_back(net::egress::EgressRule{false, "*", std::nullopt});
  return rules;
}

}  // namespace locai::control::router

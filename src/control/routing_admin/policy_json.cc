#include "control/routing_admin/policy_json.h"

#include <initializer_list>
#include <string>
#include <string_view>

namespace locai::control::routing_admin {
namespace {

using nlohmann::json;

Status Field(std::string_view field, std::string_view problem) {
  return Status::InvalidArgument("'" + std::string(field) + "' " + std::string(problem));
}

// Refuses fields outside `known`, so that "max_queue_wait" (a typo) is not silently ignored.
Status OnlyKnownFields(const json& body, std::initializer_list<std::string_view> known) {
  if (!body.is_object()) return Status::InvalidArgument("the body must be a JSON object");
  for (const auto& item : body.items()) {
    bool found = false;
    for (std::string_view name : known) found = found || item.key() == name;
    if (!found) return Field(item.key(), "is not a known field");
  }
  return Status::Ok();
}

Result<std::string> StringField(const json& body, const char* field) {
  const json& value = body.at(field);
  if (!value.is_string()) return Err(Field(field, "must be a string"));
  return value.get<std::string>();
}

Result<router::DataPolicy> PolicyField(const json& body) {
  LOCAI_ASSIGN_OR_RETURN(std::string name, StringField(body, "policy"));
  auto policy = router::ParseDataPolicy(name);
  if (!policy) return Err(Field("policy", "must be one of local, onprem, hybrid"));
  return *policy;
}

Result<policy::PiiAction> PiiField(const json& body) {
  LOCAI_ASSIGN_OR_RETURN(std::string name, StringField(body, "pii_action"));
  auto action = policy::ParsePiiAction(name);
  if (!action) return Err(Field("pii_action", "must be one of block, redact, allow"));
  return *action;
}

Result<std::chrono::milliseconds> WaitField(const json& body) {
  const json& value = body.at("max_queue_wait_ms");
  if (!value.is_number_integer()) return Err(Field("max_queue_wait_ms", "must be an integer"));
  const int64_t ms = value.get<int64_t>();
  if (ms < 0 || ms > router::kMaxQueueWaitLimit.count()) {
    return Err(Field("max_queue_wait_ms",
                     "must be 0 to " + std::to_string(router::kMaxQueueWaitLimit.count())));
  }
  return std::chrono::milliseconds(ms);
}

}  // namespace

json OrgPolicyJson(const router::OrgPolicy& policy) {
  json models = json::object();
  for (const auto& [local, target] : policy.cloud_models) models[local] = target;
  return {{"policy", std::string(router::DataPolicyName(policy.policy))},
          {"max_queue_wait_ms", policy.max_queue_wait.count()},
          {"cloud_models", std::move(models)},
          {"pii_action", std::string(policy::PiiActionName(policy.pii_action))},
          {"airgapped", policy.airgapped}};
}

Result<router::OrgPolicy> MergeOrgPolicy(const router::OrgPolicy& current, const json& body) {
  LOCAI_RETURN_IF_ERROR(OnlyKnownFields(
      body, {"policy", "max_queue_wait_ms", "cloud_models", "pii_action", "airgapped"}));
  router::OrgPolicy policy = current;
  if (body.contains("policy")) {
    LOCAI_ASSIGN_OR_RETURN(policy.policy, PolicyField(body));
  }
  if (body.contains("max_queue_wait_ms")) {
    LOCAI_ASSIGN_OR_RETURN(policy.max_queue_wait, WaitField(body));
  }
  if (body.contains("pii_action")) {
    LOCAI_ASSIGN_OR_RETURN(policy.pii_action, PiiField(body));
  }
  if (body.contains("airgapped")) {
    if (!body["airgapped"].is_boolean()) return Err(Field("airgapped", "must be true or false"));
    policy.airgapped = body["airgapped"].get<bool>();
  }
  if (body.contains("cloud_models")) {
    const json& models = body["cloud_models"];
    if (!models.is_object()) {
      return Err(Field("cloud_models", "must be an object {\"local model\": \"provider/model\"}"));
    }
    policy.cloud_models.clear();
    for (const auto& [local, target] : models.items()) {
      if (!target.is_string() || local.empty()) {
        return Err(Field("cloud_models." + local, "must be \"provider/model\""));
      }
      if (!router::ParseCloudTarget(target.get<std::string>())) {
        return Err(Field("cloud_models." + local,
                         "must be \"provider/model\" (got \"" + target.get<std::string>() + "\")"));
      }
      policy.cloud_models[local] = target.get<std::string>();
    }
  }
  return policy;
}

json KeyOverrideJson(const std::optional<router::KeyPolicyOverride>& key) {
  if (!key) return nullptr;
  json out = json::object();
  if (key->policy) out["policy"] = std::string(router::DataPolicyName(*key->policy));
  if (key->max_queue_wait) out["max_queue_wait_ms"] = key->max_queue_wait->count();
  if (key->pii_action) out["pii_action"] = std::string(policy::PiiActionName(*key->pii_action));
  return out;
}

Result<router::KeyPolicyOverride> ParseKeyOverride(const json& body) {
  LOCAI_RETURN_IF_ERROR(OnlyKnownFields(body, {"policy", "max_queue_wait_ms", "pii_action"}));
  router::KeyPolicyOverride key;
  if (body.contains("policy") && !body["policy"].is_null()) {
    LOCAI_ASSIGN_OR_RETURN(key.policy, PolicyField(body));
  }
  if (body.contains("max_queue_wait_ms") && !body["max_queue_wait_ms"].is_null()) {
    LOCAI_ASSIGN_OR_RETURN(key.max_queue_wait, WaitField(body));
  }
  if (body.contains("pii_action") && !body["pii_action"].is_null()) {
    LOCAI_ASSIGN_OR_RETURN(key.pii_action, PiiField(body));
  }
  return key;
}

json ProviderInfoJson(const router::ProviderInfo& provider) {
  return {{"name", provider.name},
          {"kind", std::string(router::ProviderKindName(provider.kind))},
          {"base_url", provider.base_url},
          {"models", provider.models},
          {"has_api_key", provider.has_api_key}};
}

Result<router::ProviderConfig> ParseProvider(const json& body) {
  LOCAI_RETURN_IF_ERROR(OnlyKnownFields(body, {"name", "kind", "base_url", "api_key", "models"}));
  router::ProviderConfig provider;
  for (const char* field : {"name", "kind", "base_url"}) {
    if (!body.contains(field)) return Err(Field(field, "is required"));
  }
  LOCAI_ASSIGN_OR_RETURN(provider.name, StringField(body, "name"));
  LOCAI_ASSIGN_OR_RETURN(std::string kind, StringField(body, "kind"));
  auto parsed_kind = router::ParseProviderKind(kind);
  if (!parsed_kind) return Err(Field("kind", "must be openai or anthropic"));
  provider.kind = *parsed_kind;
  LOCAI_ASSIGN_OR_RETURN(provider.base_url, StringField(body, "base_url"));
  if (body.contains("api_key") && !body["api_key"].is_null()) {
    LOCAI_ASSIGN_OR_RETURN(provider.api_key, StringField(body, "api_key"));
  }
  if (body.contains("models") && !body["models"].is_null()) {
    const json& models = body["models"];
    if (!models.is_array()) return Err(Field("models", "must be a list of model names"));
    for (const json& model : models) {
      if (!model.is_string()) return Err(Field("models", "must be a list of model names"));
      provider.models.push_back(model.get<std::string>());
    }
  }
  LOCAI_RETURN_IF_ERROR(router::ValidateProvider(provider));
  return provider;
}

}  // namespace locai::control::routing_admin

// JSON forms of the routing policy objects on the admin API (docs/control-plane.md, "Routing
// policy, providers and egress"):
//   policy:   {"policy":"onprem","max_queue_wait_ms":5000,"cloud_models":{"llama3.2:1b":
//              "openai/gpt-4o-mini"},"pii_action":"block","airgapped":false}
//   override: {"policy":"local","max_queue_wait_ms":100,"pii_action":"redact"} (each optional)
//   provider: {"name","kind":"openai|anthropic","base_url","models":[...],"has_api_key"}; the key
//             is accepted on input ("api_key") and never written.
// Readers fail with InvalidArgument naming the field ("'pii_action' must be one of block,
// redact, allow"); unknown fields are refused the same way so that a typo is not ignored.
// Thread-safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "control/router/routing_policy.h"

namespace locai::control::routing_admin {

nlohmann::json OrgPolicyJson(const router::OrgPolicy& policy);
// `current` with the fields present in `body` replaced (a PUT changes what it names).
Result<router::OrgPolicy> MergeOrgPolicy(const router::OrgPolicy& current,
                                         const nlohmann::json& body);

// null when there is no override.
nlohmann::json KeyOverrideJson(const std::optional<router::KeyPolicyOverride>& key);
// The override that `body` describes (absent or null fields stay unset).
Result<router::KeyPolicyOverride> ParseKeyOverride(const nlohmann::json& body);

nlohmann::json ProviderInfoJson(const router::ProviderInfo& provider);
// {name, kind, base_url, api_key?, models?}; name, kind and base_url are required.
Result<router::ProviderConfig> ParseProvider(const nlohmann::json& body);

}  // namespace locai::control::routing_admin

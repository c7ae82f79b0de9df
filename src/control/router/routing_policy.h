// Routing policy of an organisation (issue 5): where its requests may run, how long a request may
// queue for a device before a hybrid request falls back to a cloud provider, which local models
// may go to which cloud model, and what the PII guard does before a cloud call. A key may
// override the data policy, the queue wait and the PII action of its organisation; air-gapped
// is a property of the organisation (and of the process) that no key can lift.
//
//   local   this device only: never forwarded to another node or to a cloud provider;
//   onprem  any device of the organisation, never a cloud provider;
//   hybrid  the organisation's devices first, then a cloud provider (when the model is mapped).
//
// Also the cloud providers an admin configures and the egress allowlist they imply.
// Thread-safety: values and pure functions.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "control/policy/pii_policy.h"
#include "net/egress/connector.h"

namespace locai::control::router {

enum class DataPolicy { kLocal, kOnprem, kHybrid };

// "local", "onprem", "hybrid".
std::string_view DataPolicyName(DataPolicy policy);
// Exactly one of the names above; InvalidArgument naming the accepted values otherwise.
Result<DataPolicy> ParseDataPolicy(std::string_view name);

// The longest max_queue_wait accepted (a client would time out long before).
inline constexpr std::chrono::milliseconds kMaxQueueWaitLimit{10 * 60 * 1000};

struct OrgPolicy {
  // The default is the safe one: the organisation's devices only, nothing to a cloud.
  DataPolicy policy = DataPolicy::kOnprem;
  // How long a request waits for a device before it fails (local, onprem) or falls back to a
  // cloud provider (hybrid). 0..kMaxQueueWaitLimit.
  std::chrono::milliseconds max_queue_wait{5000};
  // Local model ("llama3.2:1b") -> "provider/model" ("openai/gpt-4o-mini"): the models that may go
  // to a cloud provider under hybrid, and where. An unmapped model never leaves the devices.
  std::map<std::string, std::string> cloud_models;
  // What the PII guard does before a cloud call when it finds personal data.
  policy::PiiAction pii_action = policy::PiiAction::kBlock;
  // No cloud provider may be configured, and nothing is routed to one, whatever the policy says.
  bool airgapped = false;

  bool operator==(const OrgPolicy&) const = default;
};

// A key's override of its organisation's policy; an absent field keeps the organisation's value.
struct KeyPolicyOverride {
  std::optional<DataPolicy> policy;
  std::optional<std::chrono::milliseconds> max_queue_wait;
  std::optional<policy::PiiAction> pii_action;

  bool operator==(const KeyPolicyOverride&) const = default;
};

// The policy that applies to a request made with a key: the organisation's, with the key's
// override applied. An air-gapped organisation stays air-gapped and a hybrid policy becomes
// onprem there (a key cannot open a way to a cloud).
OrgPolicy ResolvePolicy(const OrgPolicy& org, const std::optional<KeyPolicyOverride>& key);

// Checks a policy before it is stored: max_queue_wait within 0..kMaxQueueWaitLimit, every
// cloud_models entry "local model" -> "provider/model" with non-empty parts (InvalidArgument
// naming the entry); an air-gapped policy with hybrid or with cloud models is FailedPrecondition
// ("air-gapped: ...").
Status ValidateOrgPolicy(const OrgPolicy& policy);
// max_queue_wait as above.
Status ValidateKeyOverride(const KeyPolicyOverride& key);

// Where a cloud fallback goes: provider name and the model to ask it for.
struct CloudTarget {
  std::string provider;
  std::string model;

  bool operator==(const CloudTarget&) const = default;
};

// Splits "provider/model" at the first '/' (the model may contain more slashes).
// InvalidArgument when either part is empty.
Result<CloudTarget> ParseCloudTarget(std::string_view text);

// The cloud target for `local_model` under `policy`, or nullopt when the request may not go to a
// cloud: the policy is not hybrid, the organisation is air-gapped, or the model is not mapped.
std::optional<CloudTarget> CloudTargetFor(const OrgPolicy& policy, std::string_view local_model);

enum class ProviderKind { kOpenAi, kAnthropic };

// "openai", "anthropic".
std::string_view ProviderKindName(ProviderKind kind);
// Exactly "openai" or "anthropic"; InvalidArgument otherwise.
Result<ProviderKind> ParseProviderKind(std::string_view name);

// A cloud provider an admin configured for an organisation.
// `api_key` is a secret: it is stored in the database (which holds the organisation's other
// secrets' hashes and must be protected as a whole) because it has to be sent to the provider,
// and it is never returned by a list API (see ProviderInfo) nor logged.
struct ProviderConfig {
  std::string name;  // 1-64 of [a-z0-9._-], starting with [a-z0-9]; the "provider" of a target
  ProviderKind kind = ProviderKind::kOpenAi;
  // "https://api.openai.com/v1", "https://api.anthropic.com", "http://10.0.0.9:8000": scheme,
  // host, optional port and path prefix. The client appends "/chat/completions" or "/messages"
  // when the path ends in "/v1", else "/v1/chat/completions" or "/v1/messages".
  std::string base_url;
  std::string api_key;              // secret; may be empty for an unauthenticated local gateway
  std::vector<std::string> models;  // the provider's models this organisation may use; empty: any

  bool operator==(const ProviderConfig&) const = default;
};

// What list APIs return about a provider: everything but the key.
struct ProviderInfo {
  std::string name;
  ProviderKind kind = ProviderKind::kOpenAi;
  std::string base_url;
  std::vector<std::string> models;
  bool has_api_key = false;

  bool operator==(const ProviderInfo&) const = default;
};

ProviderInfo ToProviderInfo(const ProviderConfig& provider);

// Checks name, base_url (an http(s) URL without user-info, query or fragment) and model names
// (non-empty); InvalidArgument naming the field.
Status ValidateProvider(const ProviderConfig& provider);

// The egress allowlist for a process that talks to `providers` and to its control plane:
// "allow host:port" for the control plane's URL (when `control_plane` is not empty) and for each
// provider's base_url, then "deny *:*". A URL that does not parse gets no rule (it stays denied).
// An air-gapped process passes no providers, so it may reach its control plane only (a node) or
// nothing at all (a server: empty `control_plane`).
std::vector<net::egress::EgressRule> EgressRulesFor(const std::vector<ProviderConfig>& providers,
                                                    std::string_view control_plane);

}  // namespace locai::control::router

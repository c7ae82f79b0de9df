// PolicyStore: the routing policies of organisations, the keys' overrides and the cloud
// providers, in the control plane's SQLite database (tables router_*, component "router" of
// store::Migrate). The database is shared with the rest of the control plane.
// Policies and key overrides are read on every inference request, so they are cached in memory:
// this store is the only writer of its tables (one control plane process per database), and every
// write through it empties the cache, so a read always sees the last committed write. The cache
// keeps the gateway's requests off the database lock, which the audit writer holds across fsyncs.
//
// Provider keys are secrets kept in the database as they must be sent to the provider: only
// GetProvider / ProvidersForEgress hand them out (to the code that calls the provider);
// ListProviders returns ProviderInfo, which has no key.
//
// Air-gapped (the process's `--airgapped` flag, PolicyStoreOptions::airgapped, or an
// organisation's OrgPolicy::airgapped): PutProvider is refused with
// FailedPrecondition("air-gapped: cloud providers cannot be configured"), and an organisation
// cannot be made air-gapped while it has providers.
//
// Errors: InvalidArgument for a policy or provider that fails validation (routing_policy.h) or an
// empty organisation / key id; NotFound for a provider that is not there; Database errors
// (Unavailable when busy, Internal) otherwise.
// Threading: safe from many threads (each call holds the Database's lock for its statements).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "control/router/routing_policy.h"
#include "store/sqlite/database.h"

namespace locai::control::router {

// The "router" component's migration steps (version i + 1 = element i).
const std::vector<std::string>& RouterMigrations();

struct PolicyStoreOptions {
  bool airgapped = false;  // the process is air-gapped: no cloud provider, no hybrid policy
};

class PolicyStore {
 public:
  // Migrates `db` (component "router") and returns a store on it. `db` must outlive the store.
  static Result<std::unique_ptr<PolicyStore>> Open(store::Database& db,
                                                   PolicyStoreOptions options = {});

  bool airgapped() const { return options_.airgapped; }

  // The organisation's policy; the default OrgPolicy (with airgapped set when the process is)
  // when none was stored.
  Result<OrgPolicy> GetOrgPolicy(std::string_view org_id);
  // Replaces the organisation's policy. ValidateOrgPolicy's errors; with a process that is
  // air-gapped, hybrid or cloud models are FailedPrecondition too; an air-gapped policy for an
  // organisation that still has providers is FailedPrecondition.
  Status SetOrgPolicy(std::string_view org_id, const OrgPolicy& policy);

  // The key's override, nullopt when it has none.
  Result<std::optional<KeyPolicyOverride>> GetKeyOverride(std::string_view key_id);
  // Sets (replaces) the override of key `key_id` of organisation `org_id`.
  Status SetKeyOverride(std::string_view org_id, std::string_view key_id,
                        const KeyPolicyOverride& key);
  // Removes the key's override; OK when it had none.
  Status DeleteKeyOverride(std::string_view key_id);

  // ResolvePolicy(GetOrgPolicy(org_id), GetKeyOverride(key_id)) with the process's air-gapped
  // flag applied; an override stored for a key of another organisation is ignored.
  Result<OrgPolicy> ResolveForKey(std::string_view org_id, std::string_view key_id);

  // Adds or replaces provider `provider.name` of the organisation. FailedPrecondition when
  // air-gapped (see above); ValidateProvider's errors.
  Status PutProvider(std::string_view org_id, const ProviderConfig& provider);
  // NotFound when the organisation has no such provider.
  Status DeleteProvider(std::string_view org_id, std::string_view name);
  // The organisation's providers by name, without their keys.
  Result<std::vector<ProviderInfo>> ListProviders(std::string_view org_id);
  // One provider with its key, for the cloud client. NotFound when absent.
  Result<ProviderConfig> GetProvider(std::string_view org_id, std::string_view name);
  // Every organisation's providers with their keys (for EgressRulesFor at start-up); none when
  // the process is air-gapped, even if rows were stored before it was.
  Result<std::vector<ProviderConfig>> ProvidersForEgress();

 private:
  PolicyStore(store::Database& db, PolicyStoreOptions options) : db_(db), options_(options) {}

  Result<bool> HasProviders(std::string_view org_id);
  Result<OrgPolicy> ReadOrgPolicy(std::string_view org_id);
  Result<std::optional<KeyPolicyOverride>> ReadKeyOverride(std::string_view key_id);
  // A key's override with the organisation it was stored for (nullopt: none).
  struct StoredOverride {
    std::string org_id;
    KeyPolicyOverride key;
  };
  Result<std::optional<StoredOverride>> ReadStoredOverride(std::string_view key_id);
  // Empties the cache after a write (the generation makes a read that raced the write drop its
  // result instead of caching it).
  void InvalidateCache();

  store::Database& db_;
  PolicyStoreOptions options_;

  std::mutex cache_mu_;
  uint64_t generation_ = 0;                                      // guarded by cache_mu_
  std::map<std::string, OrgPolicy, std::less<>> org_cache_;      // guarded by cache_mu_
  std::map<std::string, std::optional<StoredOverride>, std::less<>> key_cache_;  // cache_mu_
  static constexpr size_t kMaxCacheEntries = 10'000;  // past this the cache starts over
};

}  // namespace locai::control::router

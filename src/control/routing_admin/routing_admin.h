// Routing administration routes (issue 5; docs/control-plane.md, "Routing policy, providers and
// egress"): the organisation's routing policy, per-key overrides, cloud providers, the policy a
// node may read, and the server's egress journal.
//
//   GET/PUT    /v1/admin/policy                 admin   the key's organisation's OrgPolicy
//   GET/PUT/DELETE /v1/admin/keys/{id}/policy   admin   a key's override (key of the same org)
//   GET/POST   /v1/admin/providers              admin   list (ProviderInfo: never the api_key) /
//                                                       add or replace
//   GET/DELETE /v1/admin/providers/{name}       admin
//   GET        /v1/fleet/policy                 node signature   {policy, airgapped} of its org
//   GET        /v1/admin/egress[?limit=N]       platform admin   the server's egress journal (the
//                                                       newest N attempts, default 1000; totals
//                                                       over all)
//
// Replies: 400 naming the field for a bad value (unknown fields too); 401/403 for a missing or
// insufficient credential; 404 for an unknown key or provider; air-gapped refusals: adding a
// provider is 403 naming --airgapped (process) or the organisation's `airgapped` policy, and a
// hybrid policy, cloud model map or provider conflicting with air-gapped is 409. Every change is
// audited through hooks.Audit (policy.set, key.policy.set, key.policy.delete, provider.put,
// provider.delete) with a detail that never holds a provider key; providers_changed is called
// after a provider is added, replaced or removed (the server refreshes its egress allowlist).
//
// Everything referenced by the context is borrowed and must outlive the router's server.
// Thread-safety: handlers run concurrently on io threads; every store call is atomic on its own,
// and providers_changed / hooks must be thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "common/status.h"
#include "control/auth/authenticator.h"
#include "control/router/policy_store.h"
#include "control/server/hooks.h"
#include "net/http/router.h"
#include "store/store.h"

namespace locai::control::routing_admin {

struct RoutingAdminContext {
  router::PolicyStore& policies;
  auth::Authenticator& authenticator;
  const ControlHooks& hooks;  // for Audit
  // The control plane's store: a key's organisation is looked up to keep overrides in their own
  // organisation.
  store::Store& store;
  std::function<void()> providers_changed;  // empty: nothing to do
  std::function<int64_t()> now_ms;          // Unix ms; empty: the system clock
  std::string egress_journal_path;          // the server's journal; empty: none kept
};

// Adds the routes above. InvalidArgument if the router refuses one.
Status RegisterRoutingAdminRoutes(net::Router& router, RoutingAdminContext context);

}  // namespace locai::control::routing_admin

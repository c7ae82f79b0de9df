// What the compliance admin routes share: who the admin is, which organisation a request
// addresses, and the binding of a route object's method to a handler.
// Threading: as the Store and the Authenticator.
#pragma once

#include <memory>
#include <string>
#include <utility>

#include "common/status.h"
#include "control/auth/authenticator.h"
#include "control/auth/principal.h"
#include "control/compliance/plan_limit_reply.h"
#include "net/http/router.h"
#include "store/store.h"

namespace locai::control::compliance {

// The request's API key when it holds the admin role; 401 / 403 otherwise.
Result<auth::Principal> RequireAdmin(auth::Authenticator& authenticator,
                                     const net::HttpRequest& request);

// A handler that calls `method` on `routes` (which the handler keeps alive) and sends its response,
// or its error through SendComplianceError (402 for plan limits).
template <typename Routes>
net::Handler BindRoute(std::shared_ptr<Routes> routes,
                       Result<net::HttpResponse> (Routes::*method)(const net::HttpRequest&)) {
  return [routes = std::move(routes), method](net::HttpRequest request,
                                              std::shared_ptr<net::ResponseWriter> writer) {
    auto response = ((*routes).*method)(request);
    if (!response) return SendComplianceError(*writer, response.error());
    writer->Send(std::move(*response));
  };
}

// The organisation an admin request addresses: the caller's own, or (platform admins only) the
// one named by id or name in `requested`. PermissionDenied for another organisation asked by a
// non-platform admin, NotFound for an unknown one.

Result<std::string> TargetOrg(store::Store& store, const auth::Principal& who,
                              const std::string& requested);

}  // namespace locai::control::compliance

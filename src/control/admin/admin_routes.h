// AdminRoutes: organisations, API keys and join tokens (docs/control-plane.md, "HTTP API"):
//   POST/GET /v1/admin/orgs                  platform admin (an admin key of `default`)
//   POST/GET /v1/admin/keys, DELETE .../{id} admin of the organisation
//   POST/GET /v1/admin/join-tokens, DELETE .../{id}   admin of the organisation
// A platform admin may act on another organisation with `"org": "<id or name>"` in a POST body or
// `?org=` on a GET (so the first admin key of a new organisation can be made). Plaintext keys and
// tokens are in the create responses only. Revoking a key drops it from the Authenticator's cache,
// so it stops working on the next request.
// The Store and Authenticator are borrowed and must outlive the routes.
// Thread-safety: handlers run concurrently on io threads (every store call is atomic on its own).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "common/status.h"
#include "control/auth/authenticator.h"
#include "control/server/hooks.h"
#include "net/http/router.h"
#include "store/store.h"

namespace locai::control::admin {

struct AdminOptions {
  std::string ca_fingerprint;  // embedded in join tokens
  std::function<int64_t()> now_ms;  // Unix ms; empty: the system clock
};

class AdminRoutes {
 public:
  AdminRoutes(store::Store& store, auth::Authenticator& authenticator, ControlHooks hooks,
              AdminOptions options);
  AdminRoutes(const AdminRoutes&) = delete;
  AdminRoutes& operator=(const AdminRoutes&) = delete;

  // Adds the routes above. InvalidArgument if the router refuses one.
  Status RegisterRoutes(net::Router& router);

 private:
  using WriterPtr = std::shared_ptr<net::ResponseWriter>;
  void CreateOrg(const net::HttpRequest& request, const WriterPtr& writer);
  void ListOrgs(const net::HttpRequest& request, const WriterPtr& writer);
  void CreateKey(const net::HttpRequest& request, const WriterPtr& writer);
  void ListKeys(const net::HttpRequest& request, const WriterPtr& writer);
  void RevokeKey(const net::HttpRequest& request, const WriterPtr& writer);
  void CreateJoinToken(const net::HttpRequest& request, const WriterPtr& writer);
  void ListJoinTokens(const net::HttpRequest& request, const WriterPtr& writer);
  void RevokeJoinToken(const net::HttpRequest& request, const WriterPtr& writer);

  // An admin of some organisation; the 401/403 otherwise.
  Result<auth::Principal> Admin(const net::HttpRequest& request);
  // The organisation an admin acts on: its own, or `requested` (id or name) for a platform admin.
  Result<std::string> TargetOrg(const auth::Principal& admin, const std::string& requested);
  int64_t NowMs() const;
  void Audit(const auth::Principal& who, std::string action, std::string target);

  store::Store& store_;
  auth::Authenticator& auth_;
  const ControlHooks hooks_;
  const AdminOptions options_;
};

}  // namespace locai::control::admin

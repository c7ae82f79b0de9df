#include "control/compliance/admin_target.h"

namespace locai::control::compliance {

Result<auth::Principal> RequireAdmin(auth::Authenticator& authenticator,
                                     const net::HttpRequest& request) {
  LOCAI_ASSIGN_OR_RETURN(auth::Principal who, authenticator.AuthenticateKey(request));
  LOCAI_RETURN_IF_ERROR(auth::Require(who, auth::Role::kAdmin));
  return who;
}

Result<std::string> TargetOrg(store::Store& store, const auth::Principal& who,
                              const std::string& requested) {
  if (requested.empty() || requested == who.org_id) return who.org_id;
  LOCAI_RETURN_IF_ERROR(auth::RequirePlatformAdmin(who));
  if (auto by_id = store.GetOrg(requested)) return by_id->id;
  auto by_name = store.FindOrgByName(requested);
  if (by_name) return by_name->id;
  if (by_name.error().code() == StatusCode::kNotFound) {
    return Err(Status::NotFound("no organisation '" + requested + "'"));
  }
  return Err(by_name.error());
}

}  // namespace locai::control::compliance

// Roles and principals of the control plane's API (docs/control-plane.md, "Authentication").
//
// A Principal is who an API key says the caller is: the key's organisation, the key id and its
// role. Roles are ordered: admin can do everything a deployer can, a deployer everything an
// inference key can. Admin keys of the `default` organisation are platform admins (they may also
// create organisations). A NodePrincipal is an enrolled node that signed its request.
// Thread-safety: values and pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace locai::control::auth {

enum class Role {
  kInference = 0,  // the /v1 inference routes only
  kDeployer = 1,   // registry and deployments
  kAdmin = 2,      // everything in its organisation
};

// "admin", "deployer", "inference".
std::string_view RoleName(Role role);
// The role named `name`; nullopt for anything else (case-sensitive).
std::optional<Role> ParseRole(std::string_view name);

// The organisation created on first start; its admin keys are platform admins.
inline constexpr std::string_view kDefaultOrgName = "default";

struct Principal {
  std::string org_id;
  std::string key_id;
  Role role = Role::kInference;
  bool is_platform_admin = false;  // an admin key of the default organisation
};

struct NodePrincipal {
  std::string node_id;
  std::string org_id;
};

// OK when `principal` holds `role` or a higher one; PermissionDenied (403) naming both otherwise.
Status Require(const Principal& principal, Role role);
// OK for a platform admin; PermissionDenied otherwise.
Status RequirePlatformAdmin(const Principal& principal);

}  // namespace locai::control::auth

#include "control/auth/principal.h"

#include <string>

namespace locai::control::auth {

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kInference:
      return "inference";
    case Role::kDeployer:
      return "deployer";
    case Role::kAdmin:
      return "admin";
  }
  return "inference";
}

std::optional<Role> ParseRole(std::string_view name) {
  for (Role role : {Role::kInference, Role::kDeployer, Role::kAdmin}) {
    if (name == RoleName(role)) return role;
  }
  return std::nullopt;
}

Status Require(const Principal& principal, Role role) {
  if (static_cast<int>(principal.role) >= static_cast<int>(role)) return Status::Ok();
  return Status::PermissionDenied("this API key has role '" + std::string(RoleName(principal.role)) +
                                  "'; the operation needs '" + std::string(RoleName(role)) + "'");
}

Status RequirePlatformAdmin(const Principal& principal) {
  if (principal.is_platform_admin) return Status::Ok();
  return Status::PermissionDenied(
      "the operation needs an admin key of the '" + std::string(kDefaultOrgName) + "' organisation");
}

}  // namespace locai::control::auth

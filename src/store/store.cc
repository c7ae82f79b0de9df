#include "store/store.h"

namespace locai::store {

bool IsValidRole(std::string_view role) {
  return role == "admin" || role == "deployer" || role == "inference";
}

bool IsValidNodeStatus(std::string_view status) {
  return status == "online" || status == "unhealthy" || status == "offline" || status == "revoked";
}

}  // namespace locai::store

// The organisation an admin request addresses: the caller's own, or (platform admins only) the
// one named by id or name in `requested`. PermissionDenied for another organisation asked by a
// non-platform admin, NotFound for an unknown one. Shared by the compliance admin routes.
// Threading: as the Store.
#pragma once

#include <string>

#include "common/status.h"
#include "control/auth/principal.h"
#include "store/store.h"

namespace locai::control::compliance {

Result<std::string> TargetOrg(store::Store& store, const auth::Principal& who,
                              const std::string& requested);

}  // namespace locai::control::compliance

#include "control/server/bootstrap.h"

#include <string>

#include "control/auth/api_key.h"
#include "control/auth/principal.h"
#include "control/server/files.h"
#include "crypto/random.h"

namespace locai::control::server {

Result<BootstrapResult> Bootstrap(store::Store& store, const std::string& admin_key_path,
                                  int64_t now_ms) {
  BootstrapResult result;
  const std::string default_name(auth::kDefaultOrgName);
  auto org = store.FindOrgByName(default_name);
  if (org) {
    result.default_org_id = org->id;
  } else if (org.error().code() == StatusCode::kNotFound) {
    LOCAI_ASSIGN_OR_RETURN(std::string id, crypto::RandomHex(8));
    store::Org created{"org_" + id, default_name, "unlimited", now_ms};
    LOCAI_RETURN_IF_ERROR(store.CreateOrg(created));
    result.default_org_id = created.id;
  } else {
    return Err(org.error());
  }
  // Keyed on "no key yet" rather than "org just created", so that a first start that died between
  // the two steps still ends with a key.
  LOCAI_ASSIGN_OR_RETURN(std::vector<store::ApiKey> keys, store.ListApiKeys(result.default_org_id));
  if (!keys.empty()) return result;
  LOCAI_ASSIGN_OR_RETURN(auth::NewApiKey key, auth::CreateApiKey(store, result.default_org_id,
                                                                 "bootstrap", auth::Role::kAdmin,
                                                                 now_ms));
  LOCAI_RETURN_IF_ERROR(WriteFileAtomically(admin_key_path, key.key + "\n", 0600));
  result.admin_key = key.key;
  return result;
}

}  // namespace locai::control::server

// First-start setup of the control plane's organisations (docs/control-plane.md,
// "Authentication"): organisation `default` and its bootstrap admin key.
// Thread-safety: call once, from the thread that starts the server.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/status.h"
#include "store/store.h"

namespace locai::control::server {

struct BootstrapResult {
  std::string default_org_id;
  std::optional<std::string> admin_key;  // set only when this call created it
};

// Creates organisation `default` when it does not exist and, when it has no API key yet, an admin
// key named "bootstrap", written (key + newline) to `admin_key_path` with mode 0600. Idempotent:
// a later call finds both and creates nothing. Errors: the store's and the file write's.
Result<BootstrapResult> Bootstrap(store::Store& store, const std::string& admin_key_path,
                                  int64_t now_ms);

}  // namespace locai::control::server

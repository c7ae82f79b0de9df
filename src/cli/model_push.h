// PushModel: uploads a GGUF file to the control plane's registry and names it NAME:TAG
// (docs/control-plane.md, "Registry"); used by `locai models push` and `locai up --demo`.
//
// The file is hashed first. A blob the registry already holds is only tagged. Otherwise it is
// uploaded in 8 MiB chunks; the upload id is kept in DATA/cli/pushes/<digest>.json, so running the
// same push again after an interruption continues from the offset the server holds. A progress bar
// is drawn on a terminal.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "cli/admin_client.h"
#include "common/status.h"

namespace locai::cli {

// Returns the manifest the registry created. NotFound for an unreadable file; the server's errors
// (a file that is not a model, a quota) as AdminClient::Call reports them.
Result<nlohmann::json> PushModel(AdminClient& client, const std::string& path,
                                 const std::string& ref, const std::string& data_dir);

}  // namespace locai::cli

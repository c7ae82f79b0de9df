// `locai server`'s start-up lines, shared with `locai up`.
#pragma once

#include "control/server/control_server.h"

namespace locai::cli {

// Prints the URL, the CA fingerprint (HTTPS) and, on the first start only, the bootstrap admin
// key and where it was written.
void PrintControlServerBanner(const control::server::ControlServer& server);

}  // namespace locai::cli

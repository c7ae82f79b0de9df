// Join tokens as nodes present them: "locaijoin.<token-id>.<secret>.<ca-sha256-hex>"
// (docs/control-plane.md, "Authentication"). The CA fingerprint is for the node, which pins the
// server's CA with it; the server only checks that the token is well formed.
// Thread-safety: pure functions and values.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace locai::control::fleet {

struct JoinTokenParts {
  std::string token_id;
  std::string secret;
  std::string ca_sha256;  // 64 lowercase hex characters
};

// Splits a join token. InvalidArgument ("malformed join token: ...") when the prefix is not
// "locaijoin", a part is missing or empty, a part holds characters other than [A-Za-z0-9_-], or
// the CA fingerprint is not 64 hex characters.
Result<JoinTokenParts> ParseJoinToken(std::string_view token);

}  // namespace locai::control::fleet

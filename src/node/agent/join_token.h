// JoinToken: the one-time secret an administrator hands to a device so that it can enrol.
//
// Format (docs/control-plane.md, Authentication): `locaijoin.<token-id>.<secret>.<ca-sha256-hex>`.
// The CA's SHA-256 fingerprint is part of the token, so the node verifies the control plane's
// certificate chain from its very first connection.
// Thread-safety: a value; ParseJoinToken is a pure function.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace locai::node::agent {

struct JoinToken {
  std::string token_id;
  std::string secret;
  std::string ca_sha256;  // 64 lowercase hex characters
  std::string text;       // the whole token as given (sent to the server as is)
};

// Parses a join token. InvalidArgument (the message says which part is wrong, never echoing the
// secret) for a missing `locaijoin.` prefix, a wrong number of parts, an empty id or secret, a
// character outside [A-Za-z0-9_-] in them, or a fingerprint that is not 64 hex characters.
[[nodiscard]] Result<JoinToken> ParseJoinToken(std::string_view text);

// True for 64 hex characters (either case).
bool IsSha256Hex(std::string_view hex);

}  // namespace locai::node::agent

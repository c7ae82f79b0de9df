#include "control/fleet/join_token.h"

#include <vector>

namespace locai::control::fleet {
namespace {

bool IsTokenChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

bool IsHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

}  // namespace

Result<JoinTokenParts> ParseJoinToken(std::string_view token) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    const size_t dot = token.find('.', start);
    parts.push_back(token.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (parts.size() != 4 || parts[0] != "locaijoin") {
    return Err(Status::InvalidArgument(
        "malformed join token: expected locaijoin.<id>.<secret>.<ca-sha256>"));
  }
  for (size_t i = 1; i < 3; ++i) {
    if (parts[i].empty()) return Err(Status::InvalidArgument("malformed join token: empty part"));
    for (char c : parts[i]) {
      if (!IsTokenChar(c)) {
        return Err(Status::InvalidArgument("malformed join token: bad character"));
      }
    }
  }
  if (parts[3].size() != 64) {
    return Err(Status::InvalidArgument(
        "malformed join token: the CA fingerprint must be 64 hex characters"));
  }
  std::string ca;
  for (char c : parts[3]) {
    if (!IsHex(c)) {
      return Err(Status::InvalidArgument(
          "malformed join token: the CA fingerprint must be 64 hex characters"));
    }
    ca.push_back(c >= 'A' && c <= 'F' ? static_cast<char>(c - 'A' + 'a') : c);
  }
  return JoinTokenParts{std::string(parts[1]), std::string(parts[2]), std::move(ca)};
}

}  // namespace locai::control::fleet

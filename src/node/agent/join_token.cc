#include "node/agent/join_token.h"

#include <algorithm>
#include <cctype>
#include <vector>

namespace locai::node::agent {
namespace {

constexpr std::string_view kPrefix = "locaijoin";

bool IsTokenChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-';
}

std::vector<std::string_view> Split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    const size_t at = text.find(separator, start);
    if (at == std::string_view::npos) {
      parts.push_back(text.substr(start));
      return parts;
    }
    parts.push_back(text.substr(start, at - start));
    start = at + 1;
  }
}

}  // namespace

bool IsSha256Hex(std::string_view hex) {
  return hex.size() == 64 && std::all_of(hex.begin(), hex.end(), [](char c) {
           return std::isxdigit(static_cast<unsigned char>(c)) != 0;
         });
}

Result<JoinToken> ParseJoinToken(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  const std::vector<std::string_view> parts = Split(text, '.');
  if (parts.empty() || parts[0] != kPrefix) {
    return Err(Status::InvalidArgument("not a join token: it must start with 'locaijoin.'"));
  }
  if (parts.size() != 4) {
    return Err(Status::InvalidArgument(
        "malformed join token: expected locaijoin.<id>.<secret>.<ca-sha256>, got " +
        std::to_string(parts.size()) + " dot-separated parts"));
  }
  for (size_t i = 1; i <= 2; ++i) {
    const char* what = i == 1 ? "id" : "secret";
    if (parts[i].empty() || !std::all_of(parts[i].begin(), parts[i].end(), IsTokenChar)) {
      return Err(Status::InvalidArgument(std::string("malformed join token: the ") + what +
                                         " is empty or has a character outside [A-Za-z0-9_-]"));
    }
  }
  if (!IsSha256Hex(parts[3])) {
    return Err(Status::InvalidArgument(
        "malformed join token: the CA fingerprint must be 64 hex characters (SHA-256)"));
  }
  JoinToken token;
  token.token_id = std::string(parts[1]);
  token.secret = std::string(parts[2]);
  token.ca_sha256 = std::string(parts[3]);
  std::transform(
      token.ca_sha256.begin(), token.ca_sha256.end(), token.ca_sha256.begin(),
      [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); });
  token.text = std::string(text);
  return token;
}

}  // namespace locai::node::agent
